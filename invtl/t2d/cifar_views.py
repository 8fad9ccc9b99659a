"""CIFAR splits, class subsets and augmented views: the seeded stratified 90/10 split, nested per-class subsets,
the Transforms-2D transformations applied to whole images (E-3, E-5) and the default crop and flip (E-4). Every
draw is keyed, so an image's view is a pure function of (key, image index)."""

from __future__ import annotations

import warnings

import torch
import torch.nn.functional as F

from invtl.t2d.cifar import CIFAR_LEGACY, CROP_PADDING
from invtl.t2d.rng import Draws, derive
from invtl.t2d.transforms import TRANSFORMS, Canvas, apply, draw

# ---------------------------------------------------------------------------------------------
# Splits and class subsets


def _class_ranks(labels: torch.Tensor, key: int) -> torch.Tensor:
    """Each sample's rank within its class, in an order given by a hash of (key, index)."""
    order = Draws(key, torch.arange(len(labels))).bits("order", 1)[:, 0].argsort(stable=True)
    grouped = order[labels[order].argsort(stable=True)]  # by class, keyed order within a class
    counts = labels.bincount()
    ranks = torch.empty_like(labels)
    ranks[grouped] = torch.arange(len(labels)) - (counts.cumsum(0) - counts).repeat_interleave(counts)
    return ranks


def _round(x: float) -> int:
    return int(x + 0.5)


def _labels(labels: torch.Tensor) -> torch.Tensor:
    labels = torch.as_tensor(labels, dtype=torch.int64).cpu()
    if labels.dim() != 1 or not len(labels) or int(labels.min()) < 0:
        raise ValueError("labels must be a non-empty 1-D tensor of class indices >= 0")
    return labels


def stratified_split(labels: torch.Tensor, seed: int, val_fraction: float = 0.1) -> tuple[torch.Tensor, torch.Tensor]:
    """Sorted (train, val) indices into `labels`: round(val_fraction * n_c) samples of every class c
    go to val (500 / 50 per class for CIFAR-10 / CIFAR-100), chosen by a hash of (seed, index)."""
    if not 0.0 <= val_fraction < 1.0:
        raise ValueError(f"val_fraction must lie in [0, 1), got {val_fraction!r}")
    labels = _labels(labels)
    n_val = torch.tensor([_round(val_fraction * n) for n in labels.bincount().tolist()])
    in_val = _class_ranks(labels, derive("cifar-split", seed)) < n_val[labels]
    return (~in_val).nonzero()[:, 0], in_val.nonzero()[:, 0]


def class_subset(
    labels: torch.Tensor, classes: list[int], per_class: int | float | None, seed: int, clamp: bool = False
) -> tuple[torch.Tensor, torch.Tensor]:
    """Sorted indices into `labels` of the samples kept from `classes`, and their labels remapped to
    0..k-1 in the order of `classes`.

    per_class: an int is a count per class, a float in (0, 1] a fraction of each class
    (round(fraction * n_c) with Python's round, as the authors' int(round(f * n)), at least 1), None keeps every sample. The samples are chosen by a hash
    of (seed, index), so smaller subsets are nested in larger ones. A count above what a class
    holds is a ValueError, or with `clamp=True` is clamped to it (bug B7) with a warning that lists
    the effective counts.
    """
    labels = _labels(labels)
    classes = [int(c) for c in classes]
    if not classes or len(set(classes)) != len(classes):
        raise ValueError(f"classes must be a non-empty list without repeats, got {classes}")
    if isinstance(per_class, bool) or not (
        per_class is None
        or (isinstance(per_class, int) and per_class >= 1)
        or (isinstance(per_class, float) and 0.0 < per_class <= 1.0)
    ):
        raise ValueError(f"per_class must be an int >= 1, a float in (0, 1] or None, got {per_class!r}")
    counts = labels.bincount().tolist()
    want = torch.zeros(len(counts), dtype=torch.int64)
    remap = torch.full((len(counts),), -1, dtype=torch.int64)
    clamped = []
    for k, c in enumerate(classes):
        n = counts[c] if 0 <= c < len(counts) else 0
        if n == 0:
            raise ValueError(f"class {c} has no samples in these labels")
        m = n if per_class is None else per_class if isinstance(per_class, int) else max(1, round(per_class * n))
        if m > n:
            if not clamp:
                raise ValueError(f"class {c} holds {n} samples, {m} requested; pass clamp=True to keep all {n}")
            clamped.append(f"class {c}: {n} of {m}")
            m = n
        want[c], remap[c] = m, k
    if clamped:
        warnings.warn(f"per-class count clamped to what the split holds: {', '.join(clamped)}", stacklevel=2)
    indices = (_class_ranks(labels, derive("cifar-subset", seed)) < want[labels]).nonzero()[:, 0]
    return indices, remap[labels[indices]]


# ---------------------------------------------------------------------------------------------
# Augmentation


def _check_batch(images: torch.Tensor, indices: torch.Tensor) -> torch.Tensor:
    if images.dtype != torch.uint8 or images.dim() != 4 or images.shape[1] != 3 or images.shape[2] != images.shape[3]:
        raise ValueError(f"images must be uint8 (N, 3, S, S), got {images.dtype} {tuple(images.shape)}")
    indices = torch.as_tensor(indices, dtype=torch.int64, device=images.device).flatten()
    if len(indices) != len(images):
        raise ValueError(f"{len(indices)} indices for {len(images)} images")
    return indices


def augment(
    images: torch.Tensor, transforms: list[str], key: int, indices: torch.Tensor, legacy: frozenset[str] = frozenset()
) -> torch.Tensor:
    """Transforms-2D transformations applied in list order to whole images (book/protocol.md, Data).

    Sample i's parameters come from keyed random numbers on (key, indices[i], position, name), so
    the same key gives the same augmentation of an index in any batch, and twin sets use two keys.
    As in the authors' code, a CIFAR image stays a PIL "RGB" image until a transform returns RGBA: `scale`
    and `translate` always do, `erasing` when it fires. While a sample is "RGB", every step's uncovered
    pixels are opaque black (rotate, shear and elastic fill RGB images with black) and the RGB-only
    transforms do not paste through an alpha; afterwards uncovered and erased areas are transparent
    black and wrapped transforms paste. The alpha is dropped at the end (PIL's RGBA -> RGB). `translate` shifts by pos - 4 in {-4..+5} per
    axis, with `legacy_cifar_translate` by pos + 4 in {4..13} (bug B6); `legacy_noise_wrap` as in
    `invtl.t2d.transforms`. Returns uint8 (N, 3, S, S) on the images' device.
    """
    indices = _check_batch(images, indices)
    for t in transforms:
        if t not in TRANSFORMS and t != "none":
            raise ValueError(f"unknown transform {t!r}; valid: {', '.join(TRANSFORMS)}, none")
    for flag in legacy:
        if flag not in CIFAR_LEGACY:
            raise ValueError(f"unknown CIFAR legacy option {flag!r}; valid: {', '.join(CIFAR_LEGACY)}")
    N, _, S, _ = images.shape
    opaque = torch.full((N, 1, S, S), 255.0, device=images.device)
    full = torch.tensor([0, 0, S, S], device=images.device).expand(N, 4)
    canvas = Canvas(torch.cat([images.float(), opaque], 1), full)
    rgb_mode = torch.ones(N, 1, 1, 1, dtype=torch.bool, device=images.device)
    for position, name in enumerate(t for t in transforms if t != "none"):
        rng = Draws(derive("cifar-transform", key, position, name), indices)
        if name == "translate":  # no object box: shift the canvas directly (bb at the origin)
            at_origin = Canvas(canvas.rgba, torch.zeros_like(full))
            canvas = apply(name, at_origin, _translate_shift(rng, S, "legacy_cifar_translate" in legacy))
        else:
            params = draw(name, rng, canvas)
            canvas = apply(name, canvas, params, legacy)
            if name == "erasing":
                rgb_mode &= ~params["apply"].view(N, 1, 1, 1)
        if name in ("scale", "translate"):
            rgb_mode = torch.zeros_like(rgb_mode)
        canvas.rgba[:, 3:] = torch.where(rgb_mode, 255.0, canvas.rgba[:, 3:])  # an "RGB" image is opaque
    return canvas.rgba[:, :3].to(torch.uint8)


def _translate_shift(rng: Draws, size: int, legacy: bool) -> dict[str, torch.Tensor]:
    """pos = floor(U * 0.3 S) per axis ({0..9} at S = 32); shift pos - 4, or pos + 4 (legacy: the
    original subtracts its nominal box offset int(-4.8) = -4)."""
    span = 0.3 * size
    offset = int(span / 2) * (1 if legacy else -1)
    return {
        "px": (rng.uniform("x") * span).floor().long() + offset,
        "py": (rng.uniform("y") * span).floor().long() + offset,
    }


def crop_flip(images: torch.Tensor, key: int, indices: torch.Tensor) -> torch.Tensor:
    """RandomCrop(S, padding=4) (zero fill) and RandomHorizontalFlip(0.5), keyed on (key, index)."""
    indices = _check_batch(images, indices)
    N, C, S, _ = images.shape
    rng = Draws(derive("cifar-crop-flip", key), indices)
    top, left = ((rng.uniform(a) * (2 * CROP_PADDING + 1)).floor().long() for a in ("top", "left"))
    padded = F.pad(images, (CROP_PADDING,) * 4)
    r = torch.arange(S, device=images.device)
    rows = (top.view(N, 1) + r).view(N, 1, S, 1).expand(N, C, S, S + 2 * CROP_PADDING)
    out = padded.gather(2, rows)
    cols = (left.view(N, 1) + r).view(N, 1, 1, S).expand(N, C, S, S)
    out = out.gather(3, cols)
    flip = (rng.uniform("flip") < 0.5).view(N, 1, 1, 1)
    return torch.where(flip, out.flip(-1), out)
