"""Invariance measurement on twin representations (protocol §4).

Row i of the two feature matrices is a twin pair: the same sample under independently drawn
transformation parameters. Each metric compares twin pairs to random pairs within twin a, per
batch of consecutive rows, and averages over batches without weighting by batch size.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import torch
import torch.nn.functional as F

from invtl.engine.timing import phase
from invtl.engine.train import Normalise, Runtime, representations

METRICS = ("l2", "cos", "dotprod", "cka")

_PAIRWISE: dict[str, Callable[[torch.Tensor, torch.Tensor], torch.Tensor]] = {
    "l2": lambda u, v: (u - v).norm(dim=1),
    "cos": lambda u, v: F.cosine_similarity(u, v, dim=1),
    "dotprod": lambda u, v: (u * v).sum(dim=1),
}


def _centred_gram(x: torch.Tensor) -> torch.Tensor:
    """H (X Xᵀ) H with the diagonal then set to 0 (centring before zeroing, as the original)."""
    xc = x - x.mean(dim=0, keepdim=True)  # H X, so (HX)(HX)ᵀ = H X Xᵀ H
    k = xc @ xc.T
    k.fill_diagonal_(0)
    return k


def _hsic(k: torch.Tensor, l: torch.Tensor) -> torch.Tensor:
    """Unbiased HSIC estimator of Nguyen et al. (2021), eq. 3, for symmetric K, L."""
    n = k.shape[0]
    trace = (k * l).sum()
    sums = k.sum() * l.sum() / ((n - 1) * (n - 2))
    cross = k.sum(dim=1) @ l.sum(dim=1) * 2 / (n - 2)
    return (trace + sums - cross) / (n * (n - 3))


def invariance(
    feats_a: torch.Tensor,
    feats_b: torch.Tensor,
    batch_size: int = 2048,
    seed: int = 0,
    metrics: Iterable[str] = METRICS,
) -> dict[str, float]:
    """Twin-vs-random-pair ratios (l2, cos, dotprod) and minibatch linear CKA, per protocol §4.

    One permutation per batch is drawn on the CPU from a generator seeded with `seed`, whatever
    metrics are requested, so a metric's score does not depend on which others are computed.
    CKA skips batches with fewer than 4 rows (the unbiased HSIC needs n ≥ 4).
    """
    metrics = tuple(metrics)
    unknown = set(metrics) - set(METRICS)
    if unknown:
        raise ValueError(f"unknown metrics {sorted(unknown)}; choose from {METRICS}")
    if feats_a.shape != feats_b.shape or feats_a.ndim != 2:
        raise ValueError(
            f"need two (n, d) tensors of equal shape, got {tuple(feats_a.shape)} and {tuple(feats_b.shape)}"
        )
    with phase("invariance"):
        return _invariance(feats_a, feats_b, batch_size, seed, metrics)


def _invariance(
    feats_a: torch.Tensor, feats_b: torch.Tensor, batch_size: int, seed: int, metrics: tuple[str, ...]
) -> dict[str, float]:
    generator = torch.Generator().manual_seed(seed)
    twin: dict[str, list[torch.Tensor]] = {m: [] for m in metrics if m in _PAIRWISE}
    rand: dict[str, list[torch.Tensor]] = {m: [] for m in metrics if m in _PAIRWISE}
    hsic: dict[str, list[torch.Tensor]] = {"ab": [], "aa": [], "bb": []}
    for start in range(0, feats_a.shape[0], batch_size):
        a = feats_a[start : start + batch_size].double()
        b = feats_b[start : start + batch_size].double()
        perm = torch.randperm(a.shape[0], generator=generator).to(a.device)
        for m in twin:
            twin[m].append(_PAIRWISE[m](a, b).mean())
            rand[m].append(_PAIRWISE[m](a, a[perm]).mean())
        if "cka" in metrics and a.shape[0] >= 4:
            k, l = _centred_gram(a), _centred_gram(b)
            hsic["ab"].append(_hsic(k, l))
            hsic["aa"].append(_hsic(k, k))
            hsic["bb"].append(_hsic(l, l))
    out = {m: (torch.stack(twin[m]).mean() / torch.stack(rand[m]).mean()).item() for m in twin}
    if "cka" in metrics:
        if hsic["ab"]:
            ab, aa, bb = (torch.stack(hsic[key]).mean() for key in ("ab", "aa", "bb"))
            out["cka"] = (ab / (aa * bb).sqrt()).item()
        else:
            out["cka"] = float("nan")
    return {m: out[m] for m in metrics}


def twin_features(
    model: torch.nn.Module,
    images_a: torch.Tensor,
    images_b: torch.Tensor,
    rt: Runtime,
    normalise: Normalise,
    batch_size: int | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """The flattened representations (`model.features`) of two uint8 (N, 3, S, S) twin image tensors, in
    eval mode (the previous mode is restored), in batches on the runtime's device."""
    if images_a.shape != images_b.shape:
        raise ValueError(f"twin image tensors differ in shape: {tuple(images_a.shape)} vs {tuple(images_b.shape)}")
    return (
        representations(model, images_a, rt, normalise, batch_size),
        representations(model, images_b, rt, normalise, batch_size),
    )
