"""The 18 Transforms-2D transformations as batched tensor operations.

A batch of objects is a `Canvas`: straight-alpha RGBA as float32 (N, 4, S, S) holding integer
levels 0..255, plus each sample's nominal bounding box (x, y, w, h). Every transform has two
halves: `draw(name, rng, canvas)` draws its per-sample parameters from keyed random numbers, and
`apply(name, canvas, params)` applies them to the whole batch in one pass (no Python loop over
samples), on whatever device the canvas lives. Results are re-quantised to integer levels after
every step, as the original's PIL pipeline did, following Pillow's integer and mixed-precision
arithmetic where it has any, so `invtl.t2d.reference` (the PIL implementation) agrees bit for bit on
every transform except blur (one level, on rare x.5 ties of the summation order).

Parameter ranges, probabilities and alpha behaviour follow `transforms2d.md` §5. Choices where the
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
    kernel = _gaussian_kernel1d(torch.full((1,), ELASTIC_SIGMA), k)[0]
    pad = k // 2
    eye = torch.eye(size).view(size, 1, 1, size)  # each input pixel as an impulse
    response = F.conv2d(F.pad(eye, (pad, pad, 0, 0), mode="reflect"), kernel.view(1, 1, 1, k))
    return response.view(size, size).T.contiguous().to(device)  # [output, input]


# ---------------------------------------------------------------------------------------------
# Application


def apply(name: str, canvas: Canvas, params: dict[str, torch.Tensor], legacy: frozenset[str] = frozenset()) -> Canvas:
    """Apply transform `name` with per-sample `params` to the whole batch."""
    x, bb = canvas.rgba, canvas.bb
    if name in _RGB_ONLY:  # the gate picks the op's RGB or the input's; the paste happens either way
        rgb = _RGB_ONLY[name](x[:, :3], params, legacy)
        if "apply" in params:
            rgb = torch.lerp(x[:, :3], rgb, params["apply"].to(x.dtype).view(-1, 1, 1, 1))
        return Canvas(_paste(rgb, x[:, 3:]), bb)
    if name == "scale":
        out, bb = _scale(x, bb, params["f"], "legacy_scale_bb" in legacy)
    elif name == "translate":
        dx, dy = params["px"] - bb[:, 0], params["py"] - bb[:, 1]
        out = _shift(x, dx, dy)
        bb = torch.stack([params["px"], params["py"], bb[:, 2], bb[:, 3]], 1)
    elif name == "v_flip":
        out = x.flip(-2)
    elif name == "h_flip":
        out = x.flip(-1)
    elif name == "rotate":
        out = _affine_nearest(x, _rotation(params["angle"].double()))
    elif name == "shear":
        out = _affine_nearest(x, _inverse_shear(params["sx"].double(), params["sy"].double()))
    elif name == "sharpen":
        out = _sharpen(x)
    elif name == "blur":
        out = _gaussian_blur(x, params["sigma"])
    elif name == "pixelate":
        out = _pixelate(x)
    elif name == "elastic":
        out = _elastic(x, params["displacement"])
    elif name == "erasing":
        out = _erase(x, params["x"], params["y"])
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


# --- photometric (RGB-only wrapper: the op's RGB is pasted through the alpha, `_paste`) --------


def _luma(rgb: torch.Tensor) -> torch.Tensor:
    """PIL "L" conversion: (19595 R + 38470 G + 7471 B + 0x8000) >> 16, shape (N, 1, S, S).

    Exact in float32: every partial sum is an integer below 2**24."""
    weights = torch.tensor([19595.0, 38470.0, 7471.0], device=rgb.device).view(1, 3, 1, 1)
    return torch.floor(((rgb * weights).sum(1, keepdim=True) + 32768.0) / 65536.0)


def _blend(degenerate: torch.Tensor, x: torch.Tensor, factor: torch.Tensor) -> torch.Tensor:
    """PIL Image.blend: degenerate + factor * (x - degenerate), truncated and clipped to 0..255
    (after the clip, floor and truncation agree)."""
    f = factor.view(-1, 1, 1, 1)
    return (x - degenerate).mul_(f).add_(degenerate).floor_().clamp_(0, 255)


def _hue(rgb: torch.Tensor, p, legacy) -> torch.Tensor:
    """PIL's hue shift: RGB -> HSV, hue level + trunc(255 h) mod 256, HSV -> RGB (Convert.c).

    Both conversions are table look-ups of Pillow's own arithmetic: the hue level depends only on
    the channel differences (`_hue_levels`), and each output channel is round(v * factor) with a
    factor that depends only on the shifted hue and the saturation (`_hsv_factors`)."""
    h, s, v = _rgb_to_hsv(rgb)
    shift = torch.trunc(p["h"].double() * 255).float().view(-1, 1, 1)  # np.int32(hue_factor * 255)
    # (h + shift) lies in [-128, 384): the factor table covers that range, so no modulo is needed
    row = torch.add(s, h, alpha=256).add_((shift + 128) * 256).int().flatten()
    factor = _hsv_factors(rgb.device).index_select(1, row).view(3, *v.shape).transpose(0, 1)
    return (v.unsqueeze(1) * factor).add_(0.5).floor_()


def _rgb_to_hsv(rgb: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """PIL's integer RGB -> HSV levels, float32 (N, S, S) each. The saturation
    trunc(255 (max - min) / max) is exact in float32; the hue comes from `_hue_levels`."""
    r, g, b = rgb.unbind(1)
    v = torch.maximum(torch.maximum(r, g), b)
    s = (v - torch.minimum(torch.minimum(r, g), b)).div_(v.clamp_min(1)).mul_(255.0).floor_()
    key = torch.add(b, g, alpha=511).sub_(r, alpha=512).add_(255 * 512)  # (g - r + 255) * 511 + b - r + 255
    h = _hue_levels(rgb.device).index_select(0, key.int().flatten()).view_as(v)
    return h, s, v


def _pil_hue(r: torch.Tensor, g: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Pillow's hue level (Convert.c `rgb2hsv_row`), which mixes float32 and float64: the
    divisions by cr are float32, `2.0 + rc - bc` is summed in double and stored as float32,
    `fmod(h / 6.0 + 1.0, 1.0)` runs in double and is stored as float32, and the level is
    (int)(h * 255.0) in double. Matching each step reproduces all 2^24 colours exactly."""
    maxc = torch.maximum(r, torch.maximum(g, b))
    minc = torch.minimum(r, torch.minimum(g, b))
    cr = (maxc - minc).clamp_min(1)
    rc, gc, bc = ((maxc - r) / cr).double(), ((maxc - g) / cr).double(), ((maxc - b) / cr).double()
    h = torch.where(r == maxc, bc - gc, torch.where(g == maxc, 2.0 + rc - bc, 4.0 + gc - rc)).float()
    h = torch.fmod(h.double() / 6.0 + 1.0, 1.0).float()
    return torch.where(maxc == minc, 0.0, torch.trunc(h.double() * 255.0).float())


@functools.cache
def _hue_levels(device: torch.device) -> torch.Tensor:
    """PIL's hue level of every colour, float32, indexed by (g - r + 255) * 511 + (b - r + 255):
    it depends only on these differences (a constant table, built once per device)."""
    d = torch.arange(-255, 256, device=device, dtype=torch.float32)
    dg, db = d.view(-1, 1).expand(511, 511), d.view(1, -1).expand(511, 511)
    r = (-torch.minimum(dg, db)).clamp_min(0)  # any r with r, g, b >= 0
    return _pil_hue(r, r + dg, r + db).flatten()


@functools.cache
def _hsv_factors(device: torch.device) -> torch.Tensor:
    """Pillow's HSV -> RGB (Convert.c `hsv2rgb`) as multipliers of v, float32 (3, 512 * 256),
    indexed by (h + 128) * 256 + s for hue levels h in [-128, 384) (taken mod 256).

    In sector i = floor(6h / 255) the largest channel is v (factor 1), the smallest
    p = round(v (1 - fs)), the middle one q = round(v (1 - fs f)) (odd i) or
    t = round(v (1 - fs (1 - f))) (even i), with f = 6h / 255 - i and fs = s / 255 in float32;
    with s = 0 every factor is 1 (grey). A constant table, built once per device."""
    h = torch.remainder(torch.arange(-128, 384, device=device, dtype=torch.float32), 256).view(-1, 1)
    fs = torch.arange(256, device=device, dtype=torch.float32).view(1, -1) / 255.0
    hf = h * 6.0 / 255.0
    i = torch.floor(hf)
    f = hf - i
    one = torch.ones_like(fs * f)
    p, q, t = one - fs, 1.0 - fs * f, 1.0 - fs * (1.0 - f)
    sector = torch.remainder(i, 6).expand_as(one)
    s0, s1, s2, s3, s4, s5 = (sector == k for k in range(6))
    r = torch.where(s0 | s5, one, torch.where(s1, q, torch.where(s4, t, p)))
    g = torch.where(s1 | s2, one, torch.where(s0, t, torch.where(s3, q, p)))
    b = torch.where(s3 | s4, one, torch.where(s2, t, torch.where(s5, q, p)))
    return torch.stack([r, g, b]).view(3, -1)


def _brightness(rgb, p, legacy):
    return _blend(torch.zeros_like(rgb), rgb, p["b"])


def _contrast(rgb, p, legacy):
    """PIL ImageEnhance.Contrast: the centre is the rounded mean luma of the whole canvas."""
    mean = torch.floor(_luma(rgb).mean((1, 2, 3), keepdim=True) + 0.5)
    return _blend(mean.expand_as(rgb), rgb, p["c"])


def _grayscale(rgb, p, legacy):
    return _luma(rgb).expand_as(rgb)


def _posterize(rgb, p, legacy):
    return torch.where(rgb >= 128, 128.0, 0.0)


def _invert(rgb, p, legacy):
    return 255.0 - rgb


def _noise(rgb, p, legacy):
    v = (rgb / 255.0).add_(p["noise"])  # non-negative, so truncation is floor
    if "legacy_noise_wrap" in legacy:
        return torch.remainder(v.mul_(255.0).floor_(), 256.0)
    return v.clamp_(0.0, 1.0).mul_(255.0).floor_()


_RGB_ONLY = {
    "hue": _hue,
    "brightness": _brightness,
    "grayscale": _grayscale,
    "posterize": _posterize,
    "invert": _invert,
    "noise": _noise,
    "contrast": _contrast,
}


def _sharpen(x: torch.Tensor, factor: float = 7.0) -> torch.Tensor:
    """PIL Sharpness(7) on the RGBA image: blend with the 3x3 SMOOTH filter (1 1 1 / 1 5 1 / 1 1 1, / 13);
    border pixels and alpha are left unchanged, as in Pillow. The filter is nine shifted adds (4x faster on
    a CPU than a one-channel convolution): the integer sum is exact in float32, and sum / 13 is never within
    1/26 of a rounding tie, so rounding it equals Pillow's."""
    rgb = x[:, :3]
    N, _, S, _ = rgb.shape
    total = 4.0 * rgb[:, :, 1:-1, 1:-1]
    for dy in range(3):
        for dx in range(3):
            total = total + rgb[:, :, dy : S - 2 + dy, dx : S - 2 + dx]
    smooth = total.div_(13.0).add_(0.5).floor_().clamp_(0, 255)
    degenerate = rgb.clone()
    degenerate[:, :, 1:-1, 1:-1] = smooth
    out = _blend(degenerate, rgb, torch.full((N,), factor, device=x.device))
    return torch.cat([out, x[:, 3:]], 1)


# --- geometric ---------------------------------------------------------------------------------


def _sample_nearest(x: torch.Tensor, src: torch.Tensor) -> torch.Tensor:
    """out[n, :, i, j] = x[n, :, src[n, 1, i, j], src[n, 0, i, j]] for float64 integer source
    pixels src (N, 2, S, S) ordered (x, y); sources outside the canvas are transparent. This is
    grid_sample's nearest mode fed the exact source pixel centres, so no rounding is involved."""
    S = x.shape[-1]
    grid = src.permute(0, 2, 3, 1).float().mul_(2.0 / S).add_(1.0 / S - 1.0)  # pixel k -> (2k + 1) / S - 1
    return F.grid_sample(x, grid, mode="nearest", padding_mode="zeros", align_corners=False)


def _shift(x: torch.Tensor, dx: torch.Tensor, dy: torch.Tensor) -> torch.Tensor:
    """Integer translation by (dx, dy) per sample; uncovered pixels become transparent."""
    r = torch.arange(x.shape[-1], device=x.device, dtype=torch.float64)
    pixels = torch.stack(torch.meshgrid(r, r, indexing="xy"))  # (2, S, S): (x, y) of each pixel
    return _sample_nearest(x, pixels - torch.stack([dx, dy], 1).view(-1, 2, 1, 1))


def _affine_nearest(x: torch.Tensor, m: torch.Tensor) -> torch.Tensor:
    """PIL's nearest-neighbour AFFINE transform about the canvas centre (Geometry.c `affine_fixed`).

    m: (N, 4) float64 inverse matrix (a, b, d, e) mapping output to input coordinates relative to
    the centre (S/2, S/2). Pillow adds the translation c = -a S/2 - b S/2 + S/2 (f likewise) and
    samples in 16.16 fixed point: with FIX(v) = floor(65536 v + 0.5), the source pixel of output
    (x, y) is (FIX(c + a/2 + b/2) + x FIX(a) + y FIX(b)) >> 16 (an arithmetic shift, i.e. floor),
    and likewise for its row; sources outside the canvas are transparent. The fixed-point sums are
    integers far below 2^53, exact in float64.
    """
    S = x.shape[-1]
    c = S / 2.0
    a, b, d, e = m.unbind(1)
    tx = a * -c + b * -c + c  # in the order of torchvision / Image.rotate
    ty = d * -c + e * -c + c

    def fix(u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:  # (N, 2, 1, 1): FIX of an (x, y) pair
        return torch.floor(torch.stack([u, v], 1) * 65536.0 + 0.5).view(-1, 2, 1, 1)

    r = torch.arange(S, device=x.device, dtype=torch.float64)
    cols = fix(tx + a * 0.5 + b * 0.5, ty + d * 0.5 + e * 0.5) + r.view(1, 1, 1, S) * fix(a, d)  # (N, 2, 1, S)
    rows = r.view(1, 1, S, 1) * fix(b, e)  # (N, 2, S, 1)
    return _sample_nearest(x, (cols + rows).div_(65536.0).floor_())  # >> 16


def _rotation(angle: torch.Tensor) -> torch.Tensor:
    """PIL Image.rotate's inverse matrix (a, b, d, e) for angles in degrees; Pillow rounds the
    cosine and sine to 15 decimals."""
    t = -torch.deg2rad(angle)
    cos, sin = (torch.round(v * 1e15) / 1e15 for v in (torch.cos(t), torch.sin(t)))
    return torch.stack([cos, sin, -sin, cos], 1)


def _inverse_shear(sx_deg: torch.Tensor, sy_deg: torch.Tensor) -> torch.Tensor:
    """torchvision's `_get_inverse_affine_matrix` for angle 0, scale 1 and shear (sx, sy)."""
    sx, sy = torch.deg2rad(sx_deg), torch.deg2rad(sy_deg)
    a = torch.cos(-sy) / torch.cos(sy)
    b = -torch.cos(-sy) * torch.tan(sx) / torch.cos(sy)
    c = torch.sin(-sy) / torch.cos(sy)
    d = -torch.sin(-sy) * torch.tan(sx) / torch.cos(sy) + 1.0
    return torch.stack([d, -b, -c, a], 1)


def _bicubic(t: torch.Tensor) -> torch.Tensor:
    a = -0.5
    t = t.abs()
    near = ((a + 2) * t - (a + 3)) * t * t + 1
    far = (((t - 5) * t + 8) * t - 4) * a
    return torch.where(t < 1, near, torch.where(t < 2, far, torch.zeros_like(t)))


def _box(t: torch.Tensor) -> torch.Tensor:
    return ((t > -0.5) & (t <= 0.5)).to(t.dtype)


def _resample_matrix(in_size: int, out_size: torch.Tensor, canvas: int, offset: torch.Tensor, kernel, support: float):
    """Pillow's separable resampling weights as its 22-bit integer coefficients, float64
    (N, canvas, in_size) (Resample.c `precompute_coeffs` and `normalize_coeffs_8bpc`).

    Row r of sample n computes output pixel r - offset[n] of a resize from `in_size` to
    `out_size[n]` pixels (rows outside the resized image are zero, i.e. transparent).
    """
    dev = out_size.device
    out = out_size.double().view(-1, 1, 1)
    xx = torch.arange(canvas, device=dev, dtype=torch.float64).view(1, -1, 1) - offset.double().view(-1, 1, 1)
    x = torch.arange(in_size, device=dev, dtype=torch.float64).view(1, 1, -1)
    scale = in_size / out
    filterscale = scale.clamp_min(1.0)
    center = (xx + 0.5) * scale
    sup = support * filterscale
    xmin = torch.trunc(center - sup + 0.5).clamp_min(0)
    xmax = torch.trunc(center + sup + 0.5).clamp_max(in_size)
    w = kernel((x - center + 0.5) / filterscale) * ((x >= xmin) & (x < xmax))
    w = w / w.sum(-1, keepdim=True).clamp_min(1e-12)
    w = torch.trunc(w * 2.0**22 + torch.where(w < 0, -0.5, 0.5))  # (int)(w * 2^22 ± 0.5)
    inside = (xx >= 0) & (xx < out)
    return w * inside


def _clip8(acc: torch.Tensor) -> torch.Tensor:
    """Pillow's 8-bit resampling sum (in place): start at 2^21 (rounding), shift right by 22 bits,
    clip to 0..255 (exact in float64)."""
    return acc.add_(2.0**21).div_(2.0**22).floor_().clamp_(0, 255)


def _resize_rgba(x: torch.Tensor, wy: torch.Tensor, wx: torch.Tensor) -> torch.Tensor:
    """Pillow's RGBA resize: premultiply (rounded), horizontal pass, vertical pass (integer
    weights, each rounded to 8 bits), un-premultiply by truncation, 255 v // a, keeping v where
    a is 0 or 255 (Convert.c `rgba2rgbA`). wy: (N, H_out, H_in), wx: (N, W_out, W_in), float64
    integers from `_resample_matrix`; the sums stay below 2^53, so the float64 matmuls are exact."""
    N, C, H, W = x.shape
    pre = x.double()
    pre[:, :3].mul_(pre[:, 3:]).div_(255.0).add_(0.5).floor_()  # round(v a / 255), never a tie
    h = _clip8(pre.view(N, C * H, W) @ wx.transpose(1, 2)).view(N, C, H, -1)
    v = _clip8(wy.unsqueeze(1) @ h).float()
    a = v[:, 3:]
    d = a + 255.0 * (1.0 - a.clamp(max=1.0))  # a, or 255 where a == 0 (v is kept there)
    v[:, :3].mul_(255.0).div_(d).floor_().clamp_(max=255.0)  # where a == 255 this is v again
    return v


def _scale(x: torch.Tensor, bb: torch.Tensor, f: torch.Tensor, legacy_bb: bool):
    S = x.shape[-1]
    new = torch.round(S * f).long()
    o = (S - new) // 2
    w = _resample_matrix(S, new, S, o, _bicubic, 2.0)
    out = _resize_rgba(x, w, w)
    out = torch.lerp(out, x, (new == S).to(x.dtype).view(-1, 1, 1, 1))  # PIL's resize to the same size is a copy
    if legacy_bb:
        xy = bb[:, :2] + o[:, None]
    else:
        xy = torch.round(bb[:, :2] * new[:, None] / S).long() + o[:, None]
    wh = torch.round(bb[:, 2:] * f[:, None]).long()
    return out, torch.cat([xy, wh], 1)


# --- corruption ----------------------------------------------------------------------------------


def _gaussian_kernel1d(sigma: torch.Tensor, k: int) -> torch.Tensor:
    """torchvision's 1-D Gaussian kernel (size k) for each sigma, (N, k)."""
    half = (k - 1) * 0.5
    t = torch.linspace(-half, half, k, device=sigma.device)
    pdf = torch.exp(-0.5 * (t.view(1, -1) / sigma.view(-1, 1)).pow(2))
    return pdf / pdf.sum(1, keepdim=True)


def _gaussian_blur(x: torch.Tensor, sigma: torch.Tensor, k: int = 7) -> torch.Tensor:
    """torchvision GaussianBlur(k) on all 4 channels, reflect padding, per-sample sigma
    (separable; one grouped convolution per axis with a kernel per sample and channel)."""
    N, C, S, _ = x.shape
    w = _gaussian_kernel1d(sigma.float(), k).repeat_interleave(C, 0)  # (N*C, k)
    p = F.pad(x, (k // 2,) * 4, mode="reflect").view(1, N * C, S + k - 1, S + k - 1)
    h = F.conv2d(p, w.view(N * C, 1, 1, k), groups=N * C)
    v = F.conv2d(h, w.view(N * C, 1, k, 1), groups=N * C)
    return v.view(N, C, S, S).round_()  # a convex combination of 0..255: no clamp needed


def _pixelate(x: torch.Tensor, factor: float = 0.3) -> torch.Tensor:
    """Box-downsample to floor(0.3 S) pixels (premultiplied, as Pillow), nearest-upsample back."""
    N, _, S, _ = x.shape
    small = int(factor * S)
    zeros = torch.zeros(N, dtype=torch.long, device=x.device)
    w = _resample_matrix(S, torch.full((N,), small, device=x.device), small, zeros, _box, 0.5)
    down = _resize_rgba(x, w, w)
    src = torch.floor((torch.arange(S, device=x.device) + 0.5) * small / S).long()
    return down[:, :, src][:, :, :, src]


def _elastic(x: torch.Tensor, displacement: torch.Tensor) -> torch.Tensor:
    """torchvision elastic_transform (bilinear, fill 0, including its mask multiplication)."""
    S = x.shape[-1]
    lin = torch.linspace((-S + 1) / S, (S - 1) / S, S, device=x.device)
    gy, gx = torch.meshgrid(lin, lin, indexing="ij")
    grid = torch.stack([gx, gy], -1).unsqueeze(0) + displacement
    src = torch.cat([x, torch.ones_like(x[:, :1])], 1)
    out = F.grid_sample(src, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    return torch.round(out[:, :4] * out[:, 4:]).clamp(0, 255)


def _erase(x: torch.Tensor, ex: torch.Tensor, ey: torch.Tensor) -> torch.Tensor:
    S = x.shape[-1]
    r = torch.arange(S, device=x.device)
    inx = (r.view(1, 1, S) >= ex.view(-1, 1, 1)) & (r.view(1, 1, S) < ex.view(-1, 1, 1) + ERASE_SIZE)
    iny = (r.view(1, S, 1) >= ey.view(-1, 1, 1)) & (r.view(1, S, 1) < ey.view(-1, 1, 1) + ERASE_SIZE)
    return x * ~(inx & iny).unsqueeze(1)

