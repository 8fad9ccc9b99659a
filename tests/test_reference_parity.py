"""Parity of the batched tensor transforms (`invtl.t2d.transforms`) with the PIL reference.

For every transform the batched `draw` gives the parameters of N samples; the batched `apply` and
`invtl.t2d.reference.apply` (one PIL image at a time) then run with the same parameters and their
outputs are compared. Objects are synthetic soft-edged RGBA shapes inside [5, 27)², like the
preprocessed prototypes (fully transparent pixels have RGB 0).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pytest
import torch
from PIL import Image

from invtl.t2d import reference
from invtl.t2d.rng import Draws
from invtl.t2d.transforms import TRANSFORMS, Canvas, apply, composite, draw

S = 32
N = 32
BB = (5, 5, 22, 22)
NAMES = [*TRANSFORMS, "none"]
WRAPPED = ["hue", "brightness", "grayscale", "posterize", "invert", "noise", "contrast"]


class Tol(NamedTuple):
    """At most `frac` of the pixels may have a channel (straight RGBA, every pixel) differing by
    more than `levels`, and no channel anywhere may differ by more than `cap`."""

    levels: int
    frac: float
    cap: int = 255


EXACT = Tol(0, 0.0, 0)
# Measured on these objects, on 6 seeds x 64 of them and on the 61 offline emoji (4 x 256 draws).
# Every transform but blur is bit-exact, including those that follow Pillow's integer arithmetic:
# rotate / shear (16.16 fixed-point nearest-neighbour affine), hue (mixed float32 / float64
# RGB -> HSV; all 2^24 colours agree) and scale / pixelate (22-bit integer resampling weights,
# un-premultiplying by truncation; 0 of 2000 random RGBA images differ).
TOLERANCE: dict[str, Tol] = {
    **{name: EXACT for name in NAMES},
    # separable vs 2-D kernel summation order: an x.5 tie rounds the other way (<= 1 px in 65 536
    # here, 15 px in ~10^6 on the emoji), by one level.
    "blur": Tol(1, 0.0),
}


@pytest.fixture(autouse=True, scope="module")
def _single_thread():
    """One torch thread, as in a DataLoader worker: the per-image convolutions of the reference
    (blur, elastic) are tiny, and on a busy machine a second thread only adds contention."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _objects(n: int = N, seed: int = 0) -> torch.Tensor:
    """Soft-edged discs, squares and stars, flat or textured, uint8 (n, 4, S, S) inside [5, 27)²."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:S, 0:S] + 0.5
    objs = []
    for i in range(n):
        dx, dy = xx - 16 - rng.uniform(-2, 2), yy - 16 - rng.uniform(-2, 2)
        r = np.hypot(dx, dy)
        if i % 3 == 0:
            inside = 8.5 - r  # disc
        elif i % 3 == 1:
            inside = 8.0 - np.maximum(abs(dx), abs(dy))  # square
        else:
            inside = 6.0 + 2.5 * np.cos(5 * np.arctan2(dy, dx)) - r  # star
        alpha = np.clip(inside * rng.uniform(0.5, 2.0), 0, 1) * 255
        grad = rng.uniform(-12, 12, (3, 2, 1, 1))
        texture = rng.normal(0, 20, (3, S, S)) * (i % 2)
        rgb = rng.uniform(0, 255, (3, 1, 1)) + grad[:, 0] * dx + grad[:, 1] * dy + texture
        rgb = np.clip(rgb, 0, 255) * (alpha > 0)
        objs.append(np.concatenate([rgb, alpha[None]]).round())
    return torch.from_numpy(np.stack(objs)).to(torch.uint8)


def _sample(params: dict[str, torch.Tensor], i: int) -> dict:
    """Sample i's parameters as python scalars / numpy arrays, as `reference.apply` takes them."""
    return {k: (v[i].item() if v.dim() == 1 else v[i].numpy()) for k, v in params.items()}


def _pil(rgba: torch.Tensor) -> Image.Image:
    return Image.fromarray(rgba.permute(1, 2, 0).numpy(), "RGBA")


def _tensor(img: Image.Image) -> torch.Tensor:
    return torch.from_numpy(np.array(img)).permute(2, 0, 1).float()


def _both(name: str, canvas: Canvas, params: dict, refs: list, legacy: frozenset[str] = frozenset()):
    """Apply `name` batched to `canvas` and per sample to `refs` [(PIL image, bb)] with the same
    params; returns (batched Canvas, new refs)."""
    out = apply(name, canvas, params, legacy=legacy)
    new = [
        reference.apply(name, img, _sample(params, i), bb, size=S, legacy=legacy) for i, (img, bb) in enumerate(refs)
    ]
    return out, new


def _run(name: str, objects: torch.Tensor, legacy: frozenset[str] = frozenset()):
    """(batched rgba, batched bb, reference rgba, reference bb) of `name` on prototype canvases."""
    n = len(objects)
    canvas = Canvas(objects.float(), torch.tensor([BB] * n))
    params = draw(name, Draws(1234, torch.arange(n)), canvas)
    if "apply" in params:  # both gate states, most samples transformed
        params["apply"] = torch.arange(n) % 4 != 3
    out, refs = _both(name, canvas, params, [(_pil(o), BB) for o in objects], legacy)
    ref_rgba = torch.stack([_tensor(img) for img, _ in refs])
    return out.rgba, out.bb, ref_rgba, torch.tensor([bb for _, bb in refs])


def _check(batched: torch.Tensor, ref: torch.Tensor, tol: Tol) -> None:
    diff = (batched - ref).abs().amax(1)  # (N, S, S): worst channel per pixel
    frac = (diff > tol.levels).float().mean().item()
    assert frac <= tol.frac, f"{frac:.4%} of pixels differ by > {tol.levels} levels (max {diff.max():.0f})"
    assert diff.max() <= tol.cap, f"max |diff| {diff.max():.0f} > {tol.cap}"


@pytest.mark.parametrize("name", NAMES)
def test_parity(name: str) -> None:
    batched, bb, ref, ref_bb = _run(name, _objects())
    assert torch.equal(bb, ref_bb)
    _check(batched, ref, TOLERANCE[name])


@pytest.mark.parametrize("name", ["scale", "rotate", "shear", "pixelate"])
def test_parity_on_noise(name: str) -> None:
    """Random RGBA pixels (any alpha) expose every sampling or rounding difference. Includes the
    angles Pillow special-cases (0, 90, 180, 270, 360 degrees) and a scale that rounds to the full
    size, where PIL's resize is a plain copy."""
    objects = torch.randint(0, 256, (N, 4, S, S), generator=torch.Generator().manual_seed(1), dtype=torch.uint8)
    canvas = Canvas(objects.float(), torch.tensor([BB] * N))
    params = draw(name, Draws(5, torch.arange(N)), canvas)
    if name == "rotate":
        params["angle"][:5] = torch.tensor([0.0, 90.0, 180.0, 270.0, 360.0])
    if name == "scale":
        params["f"][:2] = torch.tensor([0.99, 0.4])
    out, refs = _both(name, canvas, params, [(_pil(o), BB) for o in objects])
    assert torch.equal(out.bb, torch.tensor([bb for _, bb in refs]))
    _check(out.rgba, torch.stack([_tensor(img) for img, _ in refs]), EXACT)


def _colours() -> torch.Tensor:
    """Every 7th of the 2^24 RGB colours, uint8 (3, 1536, 1536)."""
    v = torch.arange(0, 1 << 24, 7, dtype=torch.int32)[: 1536 * 1536]
    return torch.stack([v >> 16, (v >> 8) & 255, v & 255]).to(torch.uint8).view(3, 1536, 1536)


def test_hsv_matches_pil_on_all_hues() -> None:
    """The batched RGB -> HSV (`hue`'s first step) equals PIL's on every 7th of the 2^24 colours
    (Pillow's float32 / float64 mix; the full set was checked once)."""
    from invtl.t2d.kernels import rgb_to_hsv as _rgb_to_hsv

    rgb = _colours()
    hsv = np.array(Image.fromarray(rgb.permute(1, 2, 0).numpy(), "RGB").convert("HSV"))
    ours = torch.stack([c[0].long() for c in _rgb_to_hsv(rgb[None].float())], -1)
    assert torch.equal(ours, torch.from_numpy(hsv).long())


@pytest.mark.parametrize("h", [-0.5, -0.2071, 0.1234, 0.4999])
def test_hue_shift_matches_pil(h: float) -> None:
    """The whole hue shift (table look-ups both ways) equals torchvision's PIL adjust_hue on every
    7th colour, for shifts across the range (all 2^24 colours x 9 shifts were checked once)."""
    import torchvision.transforms.functional as TF

    rgb = _colours()
    ref = np.array(TF.adjust_hue(Image.fromarray(rgb.permute(1, 2, 0).numpy(), "RGB"), h))
    rgba = torch.cat([rgb, torch.full_like(rgb[:1], 255)]).float()[None]
    out = apply("hue", Canvas(rgba, torch.tensor([BB])), {"h": torch.tensor([h])}).rgba[0, :3]
    assert torch.equal(out.permute(1, 2, 0), torch.from_numpy(ref).float())


def _fired(name: str, g: torch.Generator) -> dict:
    """`reference.draw` until the gate fires (so noise / elastic also carry their arrays)."""
    while not (params := reference.draw(name, BB, S, g)).get("apply", True):
        pass
    return params


def _paste_levels(rgb: torch.Tensor, alpha: torch.Tensor) -> torch.Tensor:
    """PIL's paste of RGB through `alpha` onto (0, 0, 0, 0), in its integer arithmetic:
    (v a + 128 + ((v a + 128) >> 8)) >> 8."""
    t = rgb.long() * alpha.long() + 128
    return ((t + (t >> 8)) >> 8).float()


def test_paste_is_pils_integer_rounding() -> None:
    """The batched wrapper's paste equals PIL's MULDIV255 for every (level, alpha) pair, and is
    the identity under alpha 255."""
    from invtl.t2d.transforms import _paste

    v = torch.arange(256.0).view(1, 1, 256, 1).expand(1, 3, 256, 256)
    a = torch.arange(256.0).view(1, 1, 1, 256).expand(1, 1, 256, 256)
    out = _paste(v, a)
    assert torch.equal(out[:, 3:], a)
    assert torch.equal(out[:, :3], _paste_levels(v, a))
    assert torch.equal(out[0, 0, :, 255], torch.arange(256.0)) and (out[0, 0, :, 0] == 0).all()


def _objects_with_hidden_rgb(n: int) -> torch.Tensor:
    """`_objects` with non-zero RGB under alpha 0 (the offline emoji have up to 2 there)."""
    objs = _objects(n)
    hidden = (objs[:, 3:] == 0).expand(-1, 3, -1, -1)
    objs[:, :3][hidden] = torch.randint(
        0, 256, (int(hidden.sum()),), generator=torch.Generator().manual_seed(3), dtype=torch.uint8
    )
    return objs


@pytest.mark.parametrize("name", [*WRAPPED, "sharpen"])
def test_reference_keeps_alpha(name: str) -> None:
    """Spec §5.1: the wrapped photometric ops and sharpen leave the alpha bit-identical. The wrapped
    ones paste their RGB through it, fired or not: RGB under alpha 0 becomes 0, and a gate that is
    off leaves round(RGB alpha / 255)."""
    g = torch.Generator().manual_seed(0)
    for obj in _objects_with_hidden_rgb(8):
        for fired in (True, False) if name in ("grayscale", "posterize", "invert", "noise") else (True,):
            params = _fired(name, g)
            if not fired:
                params["apply"] = False
            out, bb = reference.apply(name, _pil(obj), params, BB, size=S)
            assert out.mode == "RGBA" and bb == BB
            rgba = _tensor(out)
            assert torch.equal(rgba[3], obj[3].float())
            if name in WRAPPED:
                assert (rgba[:3, obj[3] == 0] == 0).all()
                if not fired:
                    assert torch.equal(rgba[:3], _paste_levels(obj[:3], obj[3]))


@pytest.mark.parametrize("name", WRAPPED)
def test_batched_wrapper_pastes_through_alpha(name: str) -> None:
    """The batched wrapped ops: alpha unchanged, RGB = round(op(RGB) alpha / 255) (0 under alpha 0)
    for fired and idle samples alike, equal to the reference (whose op runs on PIL images), and on
    an opaque canvas (CIFAR's whole images) the paste is the identity: the op's RGB as it is."""
    objs = _objects_with_hidden_rgb(N)
    canvas = Canvas(objs.float(), torch.tensor([BB] * N))
    params = draw(name, Draws(9, torch.arange(N)), canvas)
    if "apply" in params:
        params["apply"] = torch.arange(N) % 2 == 0
    out, refs = _both(name, canvas, params, [(_pil(o), BB) for o in objs])
    assert torch.equal(out.rgba, torch.stack([_tensor(img) for img, _ in refs]))
    assert torch.equal(out.rgba[:, 3], objs[:, 3].float())
    assert (out.rgba[:, :3] * (objs[:, 3:] == 0)).eq(0).all()
    if "apply" in params:
        idle = ~params["apply"]
        assert torch.equal(out.rgba[idle, :3], _paste_levels(objs[idle, :3], objs[idle, 3:]))
    opaque = objs.float()
    opaque[:, 3] = 255
    always = {**params, "apply": torch.ones(N, dtype=torch.bool)} if "apply" in params else params
    fired = apply(name, Canvas(opaque, canvas.bb), always).rgba
    gated = apply(name, Canvas(opaque, canvas.bb), params).rgba
    assert (fired[:, 3] == 255).all() and (gated[:, 3] == 255).all()
    if "apply" in params:  # idle samples keep their RGB exactly
        on = params["apply"]
        assert torch.equal(gated[~on], opaque[~on]) and torch.equal(gated[on], fired[on])
    for i in range(0, N, 7):  # the op alone, on the plain RGB image (no alpha, no paste)
        op = reference._rgb_op(name, _sample(always, i), frozenset())
        assert torch.equal(fired[i, :3], _tensor(op(_pil(opaque[i].to(torch.uint8)).convert("RGB"))))


@pytest.mark.parametrize("name", ["blur", "pixelate", "elastic", "erasing"])
def test_reference_changes_alpha(name: str) -> None:
    """Spec §5.1: blur, pixelate, elastic and erasing act on the alpha too."""
    g = torch.Generator().manual_seed(0)
    strong = {"blur": {"sigma": 1.5}, "erasing": {"x": 9, "y": 9}}.get(name, {})
    for obj in _objects(8):
        out, bb = reference.apply(name, _pil(obj), {**_fired(name, g), **strong}, BB, size=S)
        assert out.mode == "RGBA" and bb == BB
        assert not torch.equal(_tensor(out)[3], obj[3].float())


def test_composite() -> None:
    """Batched compositing equals PIL's paste with the alpha as mask exactly (every alpha value)."""
    gen = torch.Generator().manual_seed(0)
    fg = torch.randint(0, 256, (8, 4, S, S), generator=gen, dtype=torch.uint8)
    fg[0, 3, :8] = torch.arange(256, dtype=torch.uint8).view(8, S)
    bg = torch.randint(0, 256, (8, 3, S, S), generator=gen, dtype=torch.uint8)
    batched = composite(Canvas(fg.float(), torch.tensor([BB] * 8)), bg)
    for i in range(8):
        ref = reference.composite(_pil(fg[i]), Image.fromarray(bg[i].permute(1, 2, 0).numpy(), "RGB"))
        assert ref.mode == "RGB"
        assert torch.equal(batched[i], torch.from_numpy(np.array(ref)).permute(2, 0, 1))


def test_legacy_noise_wrap() -> None:
    """Q3: 1.0 + 0.5 -> ⌊382.5⌋ mod 256 = 126 with the flag, clipped to 255 without; the batched op
    agrees exactly under both settings."""
    white = torch.full((1, 4, S, S), 255, dtype=torch.uint8)
    canvas = Canvas(white.float(), torch.tensor([BB]))
    params = {"apply": torch.tensor([True]), "noise": torch.full((1, 3, S, S), 0.5)}
    for legacy, expected in [(frozenset(), 255), (frozenset({"legacy_noise_wrap"}), 126)]:
        out, refs = _both("noise", canvas, params, [(_pil(white[0]), BB)], legacy)
        assert (_tensor(refs[0][0])[:3] == expected).all()
        assert (out.rgba[0, :3] == expected).all()
        batched, _, ref, _ = _run("noise", _objects(), legacy)
        _check(batched, ref, EXACT)


@pytest.mark.parametrize("legacy", [frozenset(), frozenset({"legacy_scale_bb"})])
def test_scale_then_translate(legacy: frozenset[str]) -> None:
    """Q4: after `scale`, `translate` puts the object's top-left at the drawn position (±1 px); with
    `legacy_scale_bb` it lands ≈ 5(1 − f) px up/left of it. Both implementations agree."""
    opaque = torch.zeros(N, 4, S, S, dtype=torch.uint8)
    opaque[:, :, 5:27, 5:27] = torch.tensor([200, 120, 40, 255], dtype=torch.uint8).view(4, 1, 1)
    canvas = Canvas(opaque.float(), torch.tensor([BB] * N))
    refs = [(_pil(o), BB) for o in opaque]
    scale = draw("scale", Draws(0, torch.arange(N)), canvas)
    canvas, refs = _both("scale", canvas, scale, refs, legacy)
    params = draw("translate", Draws(1, torch.arange(N)), canvas)
    canvas, refs = _both("translate", canvas, params, refs, legacy)
    assert torch.equal(canvas.bb, torch.tensor([bb for _, bb in refs]))
    _check(canvas.rgba, torch.stack([_tensor(img) for img, _ in refs]), TOLERANCE["scale"])
    f = scale["f"]
    s = torch.round(S * f)
    expected_lag = 5 - torch.round(5 * s / S) if legacy else torch.zeros(N)  # ≈ 5(1 − f)
    opaque_px = canvas.rgba[:, 3] >= 128  # (N, y, x)
    first_x, first_y = opaque_px.any(1).float().argmax(1), opaque_px.any(2).float().argmax(1)
    for first, pos in [(first_x, params["px"]), (first_y, params["py"])]:
        assert ((first - (pos - expected_lag).clamp_min(0)).abs() <= 1).all()
    if legacy:
        assert expected_lag.max() >= 2 and (expected_lag - 5 * (1 - f)).abs().max() <= 1


def _ks(a: np.ndarray, b: np.ndarray) -> float:
    """Two-sample Kolmogorov-Smirnov statistic."""
    grid = np.concatenate([a, b])
    cdf_a = np.searchsorted(np.sort(a), grid, "right") / len(a)
    cdf_b = np.searchsorted(np.sort(b), grid, "right") / len(b)
    return float(np.abs(cdf_a - cdf_b).max())


@pytest.mark.parametrize("name", TRANSFORMS)
def test_draw_distribution(name: str) -> None:
    """`reference.draw` (torch.rand, like the original's classes) and the batched keyed `draw` give
    the same distributions: KS statistic < 0.05 on 4000 draws per scalar parameter (critical
    value 0.044 at p = 0.001), arrays compared by their statistics on 200 draws."""
    n = 4000 if name not in ("noise", "elastic") else 200
    g = torch.Generator().manual_seed(0)
    ref = [reference.draw(name, BB, S, g) for _ in range(n)]
    batched = draw(name, Draws(7, torch.arange(n)), Canvas(torch.zeros(n, 4, S, S), torch.tensor([BB] * n)))
    assert set(batched) == set(ref[0])
    for key, values in batched.items():
        if values.dim() == 1:
            a = np.array([p[key] for p in ref], dtype=np.float64)
            assert _ks(a, values.double().numpy()) < 0.05, key
    if name in ("translate", "erasing"):  # spec §5: {0..9} per axis for the prototype, {0..17}
        for key in ("px", "py") if name == "translate" else ("x", "y"):
            values = set(range(10 if name == "translate" else 18))
            assert {p[key] for p in ref} == values == set(batched[key].tolist())
    if name in ("noise", "elastic"):  # per-array statistics: Welch z-test, |z| < 4
        key = "noise" if name == "noise" else "displacement"
        fired = [p[key] for p in ref if p["apply"]]
        a, b = np.stack(fired).reshape(len(fired), -1), batched[key].reshape(n, -1).numpy()
        stats = {
            "mean": lambda v: v.mean(1),
            "std": lambda v: v.std(1),
            "zeros": lambda v: (v == 0).mean(1),
            "ones": lambda v: (v == 1).mean(1),
        }
        for stat_name, stat in stats.items():
            sa, sb = stat(a), stat(b)
            se = np.sqrt(sa.var() / len(sa) + sb.var() / len(sb))
            assert abs(sa.mean() - sb.mean()) <= 4 * se + 1e-6, stat_name


def test_reference_dataset() -> None:
    objects, backgrounds = _objects(5), torch.randint(0, 256, (7, 3, S, S), dtype=torch.uint8)
    ds = reference.ReferenceDataset(objects, backgrounds, ["scale", "rotate", "hue", "erasing"], n=16, seed=3)
    assert len(ds) == 16
    x, y = ds[4]
    assert x.shape == (3, S, S) and x.dtype == torch.uint8 and y.dtype == torch.int64 and 0 <= y < 5
    assert torch.equal(ds[4][0], x)
    assert len({int(ds[i][1]) for i in range(16)}) > 1
    plain = reference.ReferenceDataset(objects, torch.zeros(1, 3, S, S, dtype=torch.uint8), [], n=4)
    x, y = plain[0]
    obj = objects[int(y)].float()
    assert torch.equal(x, torch.floor(obj[:3] * obj[3:] / 255 + 0.5).to(torch.uint8))
