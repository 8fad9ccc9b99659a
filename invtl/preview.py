"""Image grids of Transforms-2D samples (for the CLI, the book and quick looks)."""

from __future__ import annotations

from typing import Sequence

import torch
from PIL import Image, ImageDraw

from invtl.data import Transforms2D


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
