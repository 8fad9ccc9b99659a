"""The image operations behind `invtl.t2d.transforms`, batched and exact: each follows Pillow's (or
torchvision's) integer and mixed-precision arithmetic, so the batched transforms equal the authors' PIL pipeline
pixel for pixel (tests/test_golden.py). Inputs are float32 levels 0..255 with straight alpha, (N, C, S, S)."""

from __future__ import annotations

import functools

import torch
import torch.nn.functional as F

# --- photometric (RGB-only wrapper: the op's RGB is pasted through the alpha, `_paste`) --------


def luma(rgb: torch.Tensor) -> torch.Tensor:
    """PIL "L" conversion: (19595 R + 38470 G + 7471 B + 0x8000) >> 16, shape (N, 1, S, S).

    Exact in float32: every partial sum is an integer below 2**24."""
    weights = torch.tensor([19595.0, 38470.0, 7471.0], device=rgb.device).view(1, 3, 1, 1)
    return torch.floor(((rgb * weights).sum(1, keepdim=True) + 32768.0) / 65536.0)


def blend(degenerate: torch.Tensor, x: torch.Tensor, factor: torch.Tensor) -> torch.Tensor:
    """PIL Image.blend: degenerate + factor * (x - degenerate), truncated and clipped to 0..255
    (after the clip, floor and truncation agree)."""
    f = factor.view(-1, 1, 1, 1)
    return (x - degenerate).mul_(f).add_(degenerate).floor_().clamp_(0, 255)


def hue(rgb: torch.Tensor, p, legacy) -> torch.Tensor:
    """PIL's hue shift: RGB -> HSV, hue level + trunc(255 h) mod 256, HSV -> RGB (Convert.c).

    Both conversions are table look-ups of Pillow's own arithmetic: the hue level depends only on
    the channel differences (`_hue_levels`), and each output channel is round(v * factor) with a
    factor that depends only on the shifted hue and the saturation (`_hsv_factors`)."""
    h, s, v = rgb_to_hsv(rgb)
    shift = torch.trunc(p["h"].double() * 255).float().view(-1, 1, 1)  # np.int32(hue_factor * 255)
    # (h + shift) lies in [-128, 384): the factor table covers that range, so no modulo is needed
    row = torch.add(s, h, alpha=256).add_((shift + 128) * 256).int().flatten()
    factor = _hsv_factors(rgb.device).index_select(1, row).view(3, *v.shape).transpose(0, 1)
    return (v.unsqueeze(1) * factor).add_(0.5).floor_()


def rgb_to_hsv(rgb: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
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


def brightness(rgb, p, legacy):
    return blend(torch.zeros_like(rgb), rgb, p["b"])


def contrast(rgb, p, legacy):
    """PIL ImageEnhance.Contrast: the centre is the rounded mean luma of the whole canvas."""
    mean = torch.floor(luma(rgb).mean((1, 2, 3), keepdim=True) + 0.5)
    return blend(mean.expand_as(rgb), rgb, p["c"])


def grayscale(rgb, p, legacy):
    return luma(rgb).expand_as(rgb)


def posterize(rgb, p, legacy):
    return torch.where(rgb >= 128, 128.0, 0.0)


def invert(rgb, p, legacy):
    return 255.0 - rgb


def noise(rgb, p, legacy):
    v = (rgb / 255.0).add_(p["noise"])  # non-negative, so truncation is floor
    if "legacy_noise_wrap" in legacy:
        return torch.remainder(v.mul_(255.0).floor_(), 256.0)
    return v.clamp_(0.0, 1.0).mul_(255.0).floor_()


RGB_ONLY = {
    "hue": hue,
    "brightness": brightness,
    "grayscale": grayscale,
    "posterize": posterize,
    "invert": invert,
    "noise": noise,
    "contrast": contrast,
}


def sharpen(x: torch.Tensor, factor: float = 7.0) -> torch.Tensor:
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
    out = blend(degenerate, rgb, torch.full((N,), factor, device=x.device))
    return torch.cat([out, x[:, 3:]], 1)


# --- geometric ---------------------------------------------------------------------------------


def _sample_nearest(x: torch.Tensor, src: torch.Tensor) -> torch.Tensor:
    """out[n, :, i, j] = x[n, :, src[n, 1, i, j], src[n, 0, i, j]] for float64 integer source
    pixels src (N, 2, S, S) ordered (x, y); sources outside the canvas are transparent. This is
    grid_sample's nearest mode fed the exact source pixel centres, so no rounding is involved."""
    S = x.shape[-1]
    grid = src.permute(0, 2, 3, 1).float().mul_(2.0 / S).add_(1.0 / S - 1.0)  # pixel k -> (2k + 1) / S - 1
    return F.grid_sample(x, grid, mode="nearest", padding_mode="zeros", align_corners=False)


def shift(x: torch.Tensor, dx: torch.Tensor, dy: torch.Tensor) -> torch.Tensor:
    """Integer translation by (dx, dy) per sample; uncovered pixels become transparent."""
    r = torch.arange(x.shape[-1], device=x.device, dtype=torch.float64)
    pixels = torch.stack(torch.meshgrid(r, r, indexing="xy"))  # (2, S, S): (x, y) of each pixel
    return _sample_nearest(x, pixels - torch.stack([dx, dy], 1).view(-1, 2, 1, 1))


def affine_nearest(x: torch.Tensor, m: torch.Tensor) -> torch.Tensor:
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


def rotation(angle: torch.Tensor) -> torch.Tensor:
    """PIL Image.rotate's inverse matrix (a, b, d, e) for angles in degrees; Pillow rounds the
    cosine and sine to 15 decimals."""
    t = -torch.deg2rad(angle)
    cos, sin = (torch.round(v * 1e15) / 1e15 for v in (torch.cos(t), torch.sin(t)))
    return torch.stack([cos, sin, -sin, cos], 1)


def inverse_shear(sx_deg: torch.Tensor, sy_deg: torch.Tensor) -> torch.Tensor:
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


def scale(x: torch.Tensor, bb: torch.Tensor, f: torch.Tensor, legacy_bb: bool):
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


def gaussian_kernel1d(sigma: torch.Tensor, k: int) -> torch.Tensor:
    """torchvision's 1-D Gaussian kernel (size k) for each sigma, (N, k)."""
    half = (k - 1) * 0.5
    t = torch.linspace(-half, half, k, device=sigma.device)
    pdf = torch.exp(-0.5 * (t.view(1, -1) / sigma.view(-1, 1)).pow(2))
    return pdf / pdf.sum(1, keepdim=True)


def gaussian_blur(x: torch.Tensor, sigma: torch.Tensor, k: int = 7) -> torch.Tensor:
    """torchvision GaussianBlur(k) on all 4 channels, reflect padding, per-sample sigma
    (separable; one grouped convolution per axis with a kernel per sample and channel)."""
    N, C, S, _ = x.shape
    w = gaussian_kernel1d(sigma.float(), k).repeat_interleave(C, 0)  # (N*C, k)
    p = F.pad(x, (k // 2,) * 4, mode="reflect").view(1, N * C, S + k - 1, S + k - 1)
    h = F.conv2d(p, w.view(N * C, 1, 1, k), groups=N * C)
    v = F.conv2d(h, w.view(N * C, 1, k, 1), groups=N * C)
    return v.view(N, C, S, S).round_()  # a convex combination of 0..255: no clamp needed


def pixelate(x: torch.Tensor, factor: float = 0.3) -> torch.Tensor:
    """Box-downsample to floor(0.3 S) pixels (premultiplied, as Pillow), nearest-upsample back."""
    N, _, S, _ = x.shape
    small = int(factor * S)
    zeros = torch.zeros(N, dtype=torch.long, device=x.device)
    w = _resample_matrix(S, torch.full((N,), small, device=x.device), small, zeros, _box, 0.5)
    down = _resize_rgba(x, w, w)
    src = torch.floor((torch.arange(S, device=x.device) + 0.5) * small / S).long()
    return down[:, :, src][:, :, :, src]


def elastic(x: torch.Tensor, displacement: torch.Tensor) -> torch.Tensor:
    """torchvision elastic_transform (bilinear, fill 0, including its mask multiplication)."""
    S = x.shape[-1]
    lin = torch.linspace((-S + 1) / S, (S - 1) / S, S, device=x.device)
    gy, gx = torch.meshgrid(lin, lin, indexing="ij")
    grid = torch.stack([gx, gy], -1).unsqueeze(0) + displacement
    src = torch.cat([x, torch.ones_like(x[:, :1])], 1)
    out = F.grid_sample(src, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    return torch.round(out[:, :4] * out[:, 4:]).clamp(0, 255)


def erase(x: torch.Tensor, ex: torch.Tensor, ey: torch.Tensor, size: int = 14) -> torch.Tensor:
    """Set a size x size square at (ex, ey) to transparent black (RGBA 0)."""
    S = x.shape[-1]
    r = torch.arange(S, device=x.device)
    inx = (r.view(1, 1, S) >= ex.view(-1, 1, 1)) & (r.view(1, 1, S) < ex.view(-1, 1, 1) + size)
    iny = (r.view(1, S, 1) >= ey.view(-1, 1, 1)) & (r.view(1, S, 1) < ey.view(-1, 1, 1) + size)
    return x * ~(inx & iny).unsqueeze(1)
