"""The 18 Transforms-2D transformations as batched tensor operations.

A batch of objects is a `Canvas`: straight-alpha RGBA as float32 (N, 4, S, S) holding integer
levels 0..255, plus each sample's nominal bounding box (x, y, w, h). Every transform has two
halves: `draw(name, rng, canvas)` draws its per-sample parameters from keyed random numbers, and
`apply(name, canvas, params)` applies them to the whole batch in one pass (no Python loop over
samples), on whatever device the canvas lives. Results are re-quantised to integer levels after
every step, as the original's PIL pipeline did, following Pillow's integer and mixed-precision
arithmetic where it has any, so `invtl.t2d.reference` (the PIL implementation) agrees bit for bit on
every transform except blur (one level, on rare x.5 ties of the summation order).

Parameter ranges, probabilities and alpha behaviour follow book/protocol.md (Data). Choices where the
original had a quirk (each reproducible through `legacy`):

- `noise` clips x + n to [0, 1] before quantising (Q3); `legacy_noise_wrap` wraps modulo 256.
- `scale` tracks the true bounding box, so a later `translate` places the object correctly (Q4);
  `legacy_scale_bb` keeps the original's unscaled offset.

The seven RGB-only photometric transforms (hue, brightness, grayscale, posterize, invert, noise,
contrast) follow the original's wrapper exactly (§5.1, the dataset's definition, not a quirk): the
op runs on the RGB, and the result is pasted through the step's input alpha onto a transparent
canvas, RGB -> round(RGB a / 255) with alpha unchanged (`_paste`). Partly transparent pixels end
with RGB x alpha (the final composite weights them by alpha again) and fully transparent ones with
RGB 0, also when a gated one does not fire; later steps read that RGB. On an opaque canvas (alpha
255) the paste is the identity.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from invtl.t2d import kernels
from invtl.t2d.rng import Draws

CATEGORIES = ("geometric", "photometric", "corruption")

TRANSFORMS: dict[str, str] = {
    "scale": "geometric",
    "translate": "geometric",
    "v_flip": "geometric",
    "h_flip": "geometric",
    "rotate": "geometric",
    "shear": "geometric",
    "hue": "photometric",
    "brightness": "photometric",
    "grayscale": "photometric",
    "posterize": "photometric",
    "invert": "photometric",
    "sharpen": "photometric",
    "blur": "corruption",
    "noise": "corruption",
    "pixelate": "corruption",
    "elastic": "corruption",
    "erasing": "corruption",
    "contrast": "corruption",
}
"""The 18 transform names in the original's canonical order, each mapped to its category."""

GATED = ("v_flip", "h_flip", "grayscale", "posterize", "invert", "sharpen", "noise", "pixelate", "elastic", "erasing")
"""Transforms that fire with probability 0.5; the other 8 always fire."""

LEGACY = ("legacy_noise_wrap", "legacy_scale_bb")

ERASE_SIZE = 14
ELASTIC_ALPHA, ELASTIC_SIGMA = 150.0, 5.0


@dataclass
class Canvas:
    """A batch of RGBA objects (float32 levels 0..255, straight alpha) and their bounding boxes."""

    rgba: torch.Tensor  # (N, 4, S, S)
    bb: torch.Tensor  # (N, 4) int64: x, y, w, h

    @property
    def size(self) -> int:
        return self.rgba.shape[-1]


# ---------------------------------------------------------------------------------------------
# Parameter draws


def draw(name: str, rng: Draws, canvas: Canvas) -> dict[str, torch.Tensor]:
    """Per-sample parameters of transform `name` (tensors with leading dimension N)."""
    S = canvas.size
    dev = canvas.rgba.device
    params: dict[str, torch.Tensor] = {}
    if name in GATED:
        params["apply"] = rng.uniform("gate").to(dev) < 0.5
    if name == "scale":
        params["f"] = 0.4 + 0.6 * rng.uniform("f")
    elif name == "translate":
        params["px"] = (rng.uniform("x") * (S - canvas.bb[:, 2])).floor().long()
        params["py"] = (rng.uniform("y") * (S - canvas.bb[:, 3])).floor().long()
    elif name == "rotate":
        params["angle"] = 360.0 * rng.uniform("angle")
    elif name == "shear":
        params["sx"] = -50.0 + 100.0 * rng.uniform("sx")
        params["sy"] = -50.0 + 100.0 * rng.uniform("sy")
    elif name == "hue":
        params["h"] = rng.uniform("h") - 0.5
    elif name in ("brightness", "contrast"):
        params[name[0]] = 2.0 * rng.uniform(name[0])
    elif name == "blur":
        params["sigma"] = 0.1 + 1.4 * rng.uniform("sigma")
    elif name == "noise":
        params["noise"] = rng.normal("noise", 3, S, S).clamp(0.0, 1.0)
    elif name == "elastic":
        params["displacement"] = elastic_displacement(rng.uniform("displacement", 2, S, S) * 2 - 1)
    elif name == "erasing":
        params["x"] = (rng.uniform("x") * (S - ERASE_SIZE)).floor().long()
        params["y"] = (rng.uniform("y") * (S - ERASE_SIZE)).floor().long()
    elif name not in TRANSFORMS and name != "none":
        raise ValueError(f"unknown transform {name!r}; valid: {', '.join(TRANSFORMS)}, none")
    return {k: v.to(dev) for k, v in params.items()}


def elastic_displacement(u: torch.Tensor) -> torch.Tensor:
    """torchvision's ElasticTransform displacement from uniform noise u in [-1, 1), (N, 2, S, S).

    Each axis is Gaussian-smoothed (sigma 5, kernel 41, reflect padding) and scaled by alpha / S,
    in normalised grid units; returns (N, S, S, 2) ordered (dx, dy). The smoothing with reflect padding is a
    fixed linear map per axis (`_smoothing`), applied as two small matrix products: 50x faster on a CPU than
    the 41-tap convolution, equal to it up to float rounding.
    """
    S = u.shape[-1]
    w = _smoothing(S, u.device)
    x = w @ u.reshape(-1, S, S) @ w.T  # rows (y) and columns (x) smoothed
    return (x.view(-1, 2, S, S) * ELASTIC_ALPHA / S).permute(0, 2, 3, 1).contiguous()


@functools.cache
def _smoothing(size: int, device: torch.device) -> torch.Tensor:
    """(size, size) matrix of torchvision's Gaussian blur (sigma 5, kernel 41) along one axis with reflect
    padding: row i holds the weight of every input pixel in output pixel i."""
    k = int(8 * ELASTIC_SIGMA + 1)
    k += k % 2 == 0
    kernel = kernels.gaussian_kernel1d(torch.full((1,), ELASTIC_SIGMA), k)[0]
    pad = k // 2
    eye = torch.eye(size).view(size, 1, 1, size)  # each input pixel as an impulse
    response = F.conv2d(F.pad(eye, (pad, pad, 0, 0), mode="reflect"), kernel.view(1, 1, 1, k))
    return response.view(size, size).T.contiguous().to(device)  # [output, input]


# ---------------------------------------------------------------------------------------------
# Application


def apply(name: str, canvas: Canvas, params: dict[str, torch.Tensor], legacy: frozenset[str] = frozenset()) -> Canvas:
    """Apply transform `name` with per-sample `params` to the whole batch."""
    x, bb = canvas.rgba, canvas.bb
    if name in kernels.RGB_ONLY:  # the gate picks the op's RGB or the input's; the paste happens either way
        rgb = kernels.RGB_ONLY[name](x[:, :3], params, legacy)
        if "apply" in params:
            rgb = torch.lerp(x[:, :3], rgb, params["apply"].to(x.dtype).view(-1, 1, 1, 1))
        return Canvas(_paste(rgb, x[:, 3:]), bb)
    if name == "scale":
        out, bb = kernels.scale(x, bb, params["f"], "legacy_scale_bb" in legacy)
    elif name == "translate":
        dx, dy = params["px"] - bb[:, 0], params["py"] - bb[:, 1]
        out = kernels.shift(x, dx, dy)
        bb = torch.stack([params["px"], params["py"], bb[:, 2], bb[:, 3]], 1)
    elif name == "v_flip":
        out = x.flip(-2)
    elif name == "h_flip":
        out = x.flip(-1)
    elif name == "rotate":
        out = kernels.affine_nearest(x, kernels.rotation(params["angle"].double()))
    elif name == "shear":
        out = kernels.affine_nearest(x, kernels.inverse_shear(params["sx"].double(), params["sy"].double()))
    elif name == "sharpen":
        out = kernels.sharpen(x)
    elif name == "blur":
        out = kernels.gaussian_blur(x, params["sigma"])
    elif name == "pixelate":
        out = kernels.pixelate(x)
    elif name == "elastic":
        out = kernels.elastic(x, params["displacement"])
    elif name == "erasing":
        out = kernels.erase(x, params["x"], params["y"], ERASE_SIZE)
    elif name == "none":
        out = x
    else:
        raise ValueError(f"unknown transform {name!r}; valid: {', '.join(TRANSFORMS)}, none")
    if "apply" in params:  # integer levels: the lerp with weight 0 or 1 is exact
        out = torch.lerp(x, out, params["apply"].to(x.dtype).view(-1, 1, 1, 1))
    return Canvas(out, bb)


def composite(canvas: Canvas, background: torch.Tensor) -> torch.Tensor:
    """Alpha-composite the objects onto uint8 RGB backgrounds; uint8 output.

    PIL's paste rounds v = rgb a + bg (255 - a) as (v + 128 + ((v + 128) >> 8)) >> 8, i.e.
    floor((v + 127.5) / 255): exact in float32 (v is an integer below 2^16 and the quotient is
    never within 1/510 of an integer), and non-negative, so the integer cast truncates to it."""
    rgb, a = canvas.rgba[:, :3], canvas.rgba[:, 3:]
    v = (rgb - background).mul_(a).add_(background, alpha=255.0).add_(127.5).div_(255.0)
    return v.int().to(torch.uint8)


def _paste(rgb: torch.Tensor, alpha: torch.Tensor) -> torch.Tensor:
    """The original's RGB-only wrapper: paste RGB (N, 3, S, S) through `alpha` (N, 1, S, S) onto a
    (0, 0, 0, 0) canvas; returns RGBA (N, 4, S, S) with the alpha unchanged.

    PIL blends each channel as 0 + MULDIV255(v, a) = (t + (t >> 8)) >> 8 with t = v a + 128, which
    equals floor((v a + 127.5) / 255) for v a < 2^16 (as in `composite`). Computed here as
    floor((v a + 127.5) * fl(1/255)) in float32, exactly: v a + 127.5 is a half-integer below 2^17
    (representable, so addcmul is exact); the true quotient (2 v a + 255) / 510 has an odd
    numerator, so it lies at least 1/510 from any integer, while multiplying by the rounded 1/255
    and rounding the product err by under 256 * 2^-23 < 1/510, so the floor is the exact one
    (also checked on all 256 x 256 level pairs). Alpha 255 gives v back, alpha 0 gives 0. One fused
    pass plus two in-place ones: about the cost of the `torch.cat` it replaces."""
    out = torch.empty(rgb.shape[0], 4, *rgb.shape[2:], dtype=rgb.dtype, device=rgb.device)
    torch.addcmul(rgb.new_full((), 127.5), rgb, alpha, out=out[:, :3])
    out[:, :3].mul_(1.0 / 255.0).floor_()
    out[:, 3:] = alpha
    return out
