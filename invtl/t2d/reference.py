"""Per-sample PIL reference of the 18 Transforms-2D transformations.

Each transform is applied to one RGBA PIL image with the PIL / torchvision v1 functional ops the
authors' original code used (book/protocol.md, Data). This module is (a) the oracle the batched
tensor implementation (:mod:`invtl.t2d.transforms`) is tested against with identical parameters, and
(b) the original-like per-sample baseline of the data benchmark (:class:`ReferenceDataset`).

The RGB-only wrapper of hue, brightness, grayscale, posterize, invert, noise and contrast is the
original's (``_with_transparency``, spec §5.1): the op runs on ``img.convert("RGB")`` and its
result is pasted with PIL ``Image.paste`` through the input image's alpha onto a (0, 0, 0, 0)
canvas, so partly transparent pixels end with RGB x alpha / 255, fully transparent ones with RGB 0,
and the alpha is unchanged. The paste happens also when a gated one (grayscale, posterize, invert,
noise) does not fire, as in the original, where the gate sits inside the wrapped op. Like the
original, an image in PIL mode "RGB" (a whole CIFAR image before any scale, translate or erasing,
which return RGBA) goes through the op unpasted.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch
import torchvision.transforms.functional as F
from PIL import Image
from torchvision.transforms import InterpolationMode

BBox = tuple[int, int, int, int]

_GATE_ONLY = ("v_flip", "h_flip", "grayscale", "posterize", "invert", "sharpen", "pixelate")
WRAPPED = ("hue", "brightness", "grayscale", "posterize", "invert", "noise", "contrast")
"""The transforms under the original's RGB-only wrapper (`_rgb_only`)."""
ERASE_SIZE = 14
ELASTIC_ALPHA = 150.0
ELASTIC_SIGMA = 5.0
ELASTIC_KERNEL = 41  # torchvision: int(8σ + 1), made odd


def _transparent(size: int) -> Image.Image:
    return Image.new("RGBA", (size, size), (0, 0, 0, 0))


def _rgb_only(op: Callable[[Image.Image], Image.Image], img: Image.Image) -> Image.Image:
    """The original's ``_with_transparency(op)``: an RGB image goes through ``op`` as it is; an
    RGBA one has ``op`` applied to its RGB, and the result pasted through its alpha (``mask=img``)
    onto a transparent canvas, i.e. RGB -> round(RGB a / 255) with PIL's integer rounding and the
    alpha unchanged."""
    if img.mode == "RGB":
        return op(img)
    out = _transparent(img.width)
    out.paste(op(img.convert("RGB")), (0, 0), img)
    return out


def _rgb_op(name: str, p: dict[str, Any], legacy: frozenset[str]) -> Callable[[Image.Image], Image.Image]:
    """The RGB op of wrapped transform ``name`` with one sample's parameters."""
    if name == "hue":
        return lambda x: F.adjust_hue(x, float(p["h"]))
    if name == "brightness":
        return lambda x: F.adjust_brightness(x, float(p["b"]))
    if name == "grayscale":
        return lambda x: F.rgb_to_grayscale(x, num_output_channels=3)
    if name == "posterize":
        return lambda x: F.posterize(x, 1)
    if name == "invert":
        return F.invert
    if name == "noise":
        return lambda x: _add_noise(x, p["noise"], "legacy_noise_wrap" in legacy)
    if name == "contrast":
        return lambda x: F.adjust_contrast(x, float(p["c"]))
    raise ValueError(f"{name!r} is not a wrapped transform")


def _add_noise(rgb: Image.Image, noise: np.ndarray, wrap: bool) -> Image.Image:
    """x + n on the [0, 1] image; default clip then ⌊255·v⌋, legacy ⌊255·v⌋ mod 256 (Q3)."""
    v = F.to_tensor(rgb) + torch.as_tensor(noise, dtype=torch.float32)
    if wrap:
        q = (v * 255).floor().to(torch.int64).remainder(256).to(torch.uint8)
    else:
        q = (v.clamp(0, 1) * 255).to(torch.uint8)
    return F.to_pil_image(q, mode="RGB")


def _scale(img: Image.Image, bb: BBox, f: float, size: int, legacy: bool) -> tuple[Image.Image, BBox]:
    s = round(size * f)
    o = (size - s) // 2
    out = _transparent(size)
    out.paste(img.resize((s, s), Image.BICUBIC), (o, o))
    x, y, w, h = bb
    if legacy:
        x, y = x + o, y + o
    else:
        x, y = round(x * s / size) + o, round(y * s / size) + o
    return out, (x, y, round(w * f), round(h * f))


def _translate(img: Image.Image, bb: BBox, px: int, py: int, size: int) -> tuple[Image.Image, BBox]:
    out = _transparent(size)
    out.paste(img, (px - bb[0], py - bb[1]))
    return out, (px, py, bb[2], bb[3])


def _pixelate(img: Image.Image, size: int) -> Image.Image:
    small = int(size * 0.3)
    return img.resize((small, small), Image.BOX).resize((size, size), Image.NEAREST)


def _erase(img: Image.Image, x: int, y: int) -> Image.Image:
    out = img.copy()
    out.paste((0, 0, 0, 0), (x, y, x + ERASE_SIZE, y + ERASE_SIZE))
    return out


def _elastic(img: Image.Image, displacement: np.ndarray) -> Image.Image:
    d = torch.as_tensor(displacement, dtype=torch.float32)[None]
    return F.elastic_transform(img, d, interpolation=InterpolationMode.BILINEAR, fill=0)


def apply(
    name: str,
    img: Image.Image,
    params: dict[str, Any],
    bb: BBox,
    *,
    size: int = 32,
    legacy: frozenset[str] = frozenset(),
) -> tuple[Image.Image, BBox]:
    """Apply transform ``name`` with ``params`` to the RGBA ``img``; return (image, nominal bb).

    ``params`` holds one sample's values (python scalars / numpy arrays) under the keys of
    :func:`draw`; ``size`` is the canvas side S. ``legacy`` may contain ``"legacy_scale_bb"`` (Q4) and ``"legacy_noise_wrap"`` (Q3).
    """
    p = params
    if name == "scale":
        return _scale(img, bb, float(p["f"]), size, "legacy_scale_bb" in legacy)
    if name == "translate":
        return _translate(img, bb, int(p["px"]), int(p["py"]), size)
    fired = bool(p.get("apply", True))
    if name in WRAPPED:  # a gate that does not fire makes the op the identity; the paste remains
        return _rgb_only(_rgb_op(name, p, legacy) if fired else (lambda x: x), img), bb
    if name == "none" or not fired:
        return img, bb

    if name == "v_flip":
        out = F.vflip(img)
    elif name == "h_flip":
        out = F.hflip(img)
    elif name == "rotate":
        out = F.rotate(img, float(p["angle"]), interpolation=InterpolationMode.NEAREST, fill=0)
    elif name == "shear":
        shear = [float(p["sx"]), float(p["sy"])]
        out = F.affine(img, 0.0, [0, 0], 1.0, shear, interpolation=InterpolationMode.NEAREST, fill=0)
    elif name == "sharpen":
        out = F.adjust_sharpness(img, 7.0)
    elif name == "blur":
        sigma = float(p["sigma"])
        out = F.gaussian_blur(img, [7, 7], [sigma, sigma])
    elif name == "pixelate":
        out = _pixelate(img, size)
    elif name == "elastic":
        out = _elastic(img, p["displacement"])
    elif name == "erasing":
        out = _erase(img, int(p["x"]), int(p["y"]))
    else:
        raise ValueError(f"unknown transform {name!r}")
    return out, bb


def composite(fg: Image.Image, bg: Image.Image) -> Image.Image:
    """Alpha-composite the RGBA ``fg`` at (0, 0) onto the RGB ``bg`` (PIL paste with alpha mask)."""
    out = bg.convert("RGB")
    out.paste(fg, (0, 0), fg)
    return out


def _elastic_displacement(size: int, g: torch.Generator | None) -> np.ndarray:
    """``ElasticTransform.get_params(alpha=[150,150], sigma=[5,5], size=[S,S])``, squeezed to (S, S, 2)."""
    axes = []
    for _ in range(2):
        d = torch.rand(1, 1, size, size, generator=g) * 2 - 1
        d = F.gaussian_blur(d, [ELASTIC_KERNEL] * 2, [ELASTIC_SIGMA] * 2)
        axes.append(d * ELASTIC_ALPHA / size)
    return torch.cat(axes, 1).permute(0, 2, 3, 1)[0].numpy()


def draw(name: str, bb: BBox, size: int = 32, generator: torch.Generator | None = None) -> dict[str, Any]:
    """Draw one sample's parameters of ``name``, distributed like the original torchvision classes.

    Gated transforms fire with p = 0.5; the noise / displacement arrays of noise / elastic are
    drawn only when the gate fires (zeros otherwise), like the original.
    """

    def u() -> float:
        return float(torch.rand(1, generator=generator).item())

    if name == "none":
        return {}
    if name == "scale":
        return {"f": 0.4 + 0.6 * u()}
    if name == "translate":
        return {"px": int(u() * (size - bb[2])), "py": int(u() * (size - bb[3]))}
    if name in _GATE_ONLY:
        return {"apply": u() < 0.5}
    if name == "rotate":
        return {"angle": 360.0 * u()}
    if name == "shear":
        return {"sx": -50.0 + 100.0 * u(), "sy": -50.0 + 100.0 * u()}
    if name == "hue":
        return {"h": u() - 0.5}
    if name == "brightness":
        return {"b": 2.0 * u()}
    if name == "contrast":
        return {"c": 2.0 * u()}
    if name == "blur":
        return {"sigma": 0.1 + 1.4 * u()}
    if name == "noise":
        on = u() < 0.5
        noise = np.zeros((3, size, size), np.float32)
        if on:
            noise = torch.randn(3, size, size, generator=generator).clamp(0, 1).numpy()
        return {"apply": on, "noise": noise}
    if name == "elastic":
        on = u() < 0.5
        disp = _elastic_displacement(size, generator) if on else np.zeros((size, size, 2), np.float32)
        return {"apply": on, "displacement": disp}
    if name == "erasing":
        on = u() < 0.5
        return {"apply": on, "x": int(u() * (size - ERASE_SIZE)), "y": int(u() * (size - ERASE_SIZE))}
    raise ValueError(f"unknown transform {name!r}")


def prototype_bb(size: int = 32) -> BBox:
    """Nominal bb of a 0.7-scaled prototype: (o, o, s₀, s₀), s₀ = round(0.7·S), o = ⌊(S − s₀)/2⌋."""
    s0 = round(0.7 * size)
    o = (size - s0) // 2
    return (o, o, s0, s0)


class ReferenceDataset(torch.utils.data.Dataset):
    """Original-like per-sample PIL pipeline (benchmark baseline).

    Sample i uses a torch generator seeded with ``seed * n + i``: it draws an object and a
    background uniformly (``torch.randint``), then draws and applies each transform in list order,
    composites, and returns (uint8 tensor 3×S×S, int64 label = object index).
    """

    def __init__(
        self,
        objects: torch.Tensor,
        backgrounds: torch.Tensor,
        transforms: list[str],
        n: int,
        seed: int = 0,
        size: int = 32,
    ) -> None:
        self.objects = [Image.fromarray(o.permute(1, 2, 0).numpy(), "RGBA") for o in objects]
        self.backgrounds = [Image.fromarray(b.permute(1, 2, 0).numpy(), "RGB") for b in backgrounds]
        self.transforms = list(transforms)
        self.n = n
        self.seed = seed
        self.size = size

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        g = torch.Generator().manual_seed(self.seed * self.n + i)
        label = int(torch.randint(len(self.objects), (1,), generator=g))
        bg = self.backgrounds[int(torch.randint(len(self.backgrounds), (1,), generator=g))]
        img, bb = self.objects[label], prototype_bb(self.size)
        for name in self.transforms:
            img, bb = apply(name, img, draw(name, bb, self.size, g), bb, size=self.size)
        out = composite(img, bg)
        return F.pil_to_tensor(out), torch.tensor(label, dtype=torch.int64)
