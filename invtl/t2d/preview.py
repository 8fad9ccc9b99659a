"""Image grids of Transforms-2D samples (for the CLI, the book and quick looks)."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from PIL import Image, ImageDraw

from invtl.t2d.dataset import Transforms2D


def grid(rows: Sequence[tuple[str, torch.Tensor]], zoom: int = 3, pad: int = 2, label_width: int = 90) -> Image.Image:
    """One labelled row per (label, uint8 images (K, 3, S, S)), upscaled `zoom` times (nearest)."""
    k = max(len(images) for _, images in rows)
    S = rows[0][1].shape[-1] * zoom
    width = label_width + k * (S + pad) + pad
    canvas = Image.new("RGB", (width, len(rows) * (S + pad) + pad), "white")
    draw = ImageDraw.Draw(canvas)
    for r, (label, images) in enumerate(rows):
        y = pad + r * (S + pad)
        draw.text((4, y + S // 2 - 6), label, fill="black")
        for c, img in enumerate(images):
            tile = Image.fromarray(img.permute(1, 2, 0).cpu().numpy()).resize((S, S), Image.NEAREST)
            canvas.paste(tile, (label_width + pad + c * (S + pad), y))
    return canvas


def preview(
    transforms: Sequence[str],
    objects: Sequence[int],
    seed: int = 0,
    per_row: int = 8,
    per_transform: bool = False,
    **dataset_kwargs,
) -> Image.Image:
    """A grid of samples: one row of the composed `transforms`, or one row per transform alone."""
    rows_of = [[t] for t in transforms] if per_transform else [list(transforms)]
    rows = []
    for ts in rows_of:
        ds = Transforms2D(ts, objects, per_row, seed, **dataset_kwargs)
        rows.append((", ".join(ts) or "none", ds.batch(range(per_row))[0]))
    return grid(rows)


def parameter_captions(params: list[dict], names: Sequence[str]) -> list[list[str]]:
    """Per-sample short captions from `Transforms2D.render` parameters (one dict of tensors per transform)."""
    n = None
    for p in params:
        for v in p.values():
            n = len(v)
            break
    out = []
    for i in range(n or 0):
        parts = []
        for name, p in zip(names, params):
            parts.append(_short_param(name, {k: v[i] for k, v in p.items() if k not in ("noise", "displacement")}))
        out.append(" ".join(x for x in parts if x))
    return out


def _short_param(name: str, p: dict) -> str:
    def f(x) -> float:
        return float(x.item() if hasattr(x, "item") else x)

    if "apply" in p and not bool(f(p["apply"])):
        return "off"
    if name == "scale":
        return f"f={f(p['f']):.2f}"
    if name == "translate":
        return f"({int(f(p['px']))},{int(f(p['py']))})"
    if name == "rotate":
        return f"{f(p['angle']):.0f}°"
    if name == "shear":
        return f"{f(p['sx']):.0f}°,{f(p['sy']):.0f}°"
    if name == "hue":
        return f"h={f(p['h']):+.2f}"
    if name == "brightness":
        return f"b={f(p['b']):.2f}"
    if name == "contrast":
        return f"c={f(p['c']):.2f}"
    if name == "blur":
        return f"σ={f(p['sigma']):.2f}"
    if name == "erasing":
        return f"at {int(f(p['x']))},{int(f(p['y']))}"
    return "on"
