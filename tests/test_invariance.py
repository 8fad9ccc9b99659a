import math

import pytest
import torch

from invtl.engine.invariance import METRICS, invariance, twin_features
from invtl.engine.train import Normalise, Runtime


def _features(n: int, d: int = 32, seed: int = 0) -> torch.Tensor:
    return torch.randn(n, d, generator=torch.Generator().manual_seed(seed))


def test_identical_twins():
    a = _features(300)
    out = invariance(a, a.clone(), batch_size=128)
    assert set(out) == set(METRICS)
    assert out["l2"] == 0.0
    assert out["cos"] >= 1.0
    assert out["cka"] == pytest.approx(1.0, abs=1e-9)


def test_independent_features_l2_ratio_near_one():
    out = invariance(_features(4096, seed=1), _features(4096, seed=2), metrics=("l2", "cka"))
    assert out["l2"] == pytest.approx(1.0, abs=0.05)
    assert abs(out["cka"]) < 0.05


def test_more_invariant_gives_lower_l2_ratio():
    a = _features(1000, seed=3).abs()  # non-negative like post-ReLU features: random-pair cos, dotprod > 0
    noise = _features(1000, seed=4)
    close = invariance(a, a + 0.1 * noise, batch_size=256)
    far = invariance(a, a + 1.0 * noise, batch_size=256)
    assert close["l2"] < 0.5 < far["l2"]
    assert close["cos"] > far["cos"] > 1.0
    assert close["cka"] > far["cka"]


def test_unweighted_batch_mean():
    # Batch 1 (4 rows): a = b = (1, 0). Batch 2 (1 row): a = (2, 0), b = (0, 0). Within each batch all
    # rows of a are equal, so random pairs do not depend on the permutation.
    a = torch.tensor([[1.0, 0.0]] * 4 + [[2.0, 0.0]])
    b = torch.tensor([[1.0, 0.0]] * 4 + [[0.0, 0.0]])
    out = invariance(a, b, batch_size=4, metrics=("dotprod", "cos"))
    # dotprod: s = (1, 0), z = (1, 4) -> 0.5 / 2.5 (a row-weighted mean would give 0.8 / 1.6).
    assert out["dotprod"] == pytest.approx(0.2)
    # cos: s = (1, 0), z = (1, 1) -> 0.5 (row-weighted: 0.8).
    assert out["cos"] == pytest.approx(0.5)


def _hsic_reference(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    n = x.shape[0]
    h = torch.eye(n, dtype=x.dtype) - 1.0 / n
    k, l = h @ x @ x.T @ h, h @ y @ y.T @ h
    k.fill_diagonal_(0)
    l.fill_diagonal_(0)
    one = torch.ones(n, 1, dtype=x.dtype)
    value = (
        torch.trace(k @ l)
        + (one.T @ k @ one) * (one.T @ l @ one) / ((n - 1) * (n - 2))
        - 2 * (one.T @ k @ l @ one) / (n - 2)
    )
    return value.squeeze() / (n * (n - 3))


def test_cka_matches_formula_and_skips_small_batches():
    a = _features(23, d=5, seed=5).double()
    b = a @ _features(5, d=5, seed=6).double() + 0.5 * _features(23, d=5, seed=7).double()
    batches = [(a[i : i + 10], b[i : i + 10]) for i in (0, 10)]  # the last batch (3 rows) is skipped
    ab, aa, bb = (
        torch.stack([_hsic_reference(*pair) for pair in pairs]).mean()
        for pairs in (batches, [(x, x) for x, _ in batches], [(y, y) for _, y in batches])
    )
    expected = (ab / (aa * bb).sqrt()).item()
    assert invariance(a, b, batch_size=10, metrics=("cka",))["cka"] == pytest.approx(expected, rel=1e-10)
    assert math.isnan(invariance(a[:3], b[:3], metrics=("cka",))["cka"])


def test_permutation_seed_determinism():
    a, b = _features(500, seed=8), _features(500, seed=9)
    first = invariance(a, b, batch_size=100, seed=3)
    assert invariance(a, b, batch_size=100, seed=3) == first
    assert invariance(a, b, batch_size=100, seed=4)["l2"] != first["l2"]
    # The permutation sequence does not depend on which metrics are requested.
    assert invariance(a, b, batch_size=100, seed=3, metrics=("cos",))["cos"] == first["cos"]


def test_rejects_bad_input():
    a = _features(10)
    with pytest.raises(ValueError):
        invariance(a, a, metrics=("l1",))
    with pytest.raises(ValueError):
        invariance(a, a[:9])


class _Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.scale = torch.nn.Parameter(torch.ones(()))
        self.modes: list[bool] = []

    def features(self, x: torch.Tensor) -> torch.Tensor:
        self.modes.append(self.training)
        return x * self.scale


def test_twin_features():
    images_a = torch.randint(0, 256, (5, 3, 4, 4), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))
    images_b = 255 - images_a
    net = _Net().train()
    half = Normalise()
    fa, fb = twin_features(net, images_a, images_b, Runtime(), half, batch_size=2)
    assert fa.shape == fb.shape == (5, 48) and fa.dtype == torch.float32
    torch.testing.assert_close(fa, (images_a.float() / 255 * 2 - 1).flatten(1))
    torch.testing.assert_close(fb, -fa)
    assert net.modes == [False] * 6 and net.training
    assert (
        half(torch.tensor([0, 255], dtype=torch.uint8).view(1, 1, 1, 2).expand(1, 3, 1, 2)).flatten().tolist()
        == [-1.0, 1.0] * 3
    )
    fa, _ = twin_features(net, images_a, images_b, Runtime(), lambda x: x.float())
    torch.testing.assert_close(fa, images_a.float().flatten(1))
