"""Analysis of E-6 (`tm`): the k x j transfer matrices and the check of claim C8."""

from __future__ import annotations

import numpy as np

C8_SUBSET_MIN = 0.97
"""j ≤ k, and the k = n row: every seed-mean accuracy must be at least this: the paper's "≈ 0.98–1.00" band
less the ±0.01 uncertainty of values read off its figure."""
C8_RISE_TOLERANCE = 0.01
"""j > k: a step j → j+1 may rise by at most this much (seed noise; the figure's ±0.01 resolution)."""

C8_TEST = (
    "On the ResNet-18 seed-mean test accuracies M[k][j] (k = # PT transforms, j = # target transforms, "
    f"1 ≤ j, k ≤ n, n = the profile's number of transforms): (a) M[k][j] ≥ {C8_SUBSET_MIN} (the paper's "
    "0.98 less the ±0.01 uncertainty of values read off its figure) for every j ≤ k; "
    f"(b) for every k < n, along the row from j = k to j = n no step rises by more than {C8_RISE_TOLERANCE} "
    "and M[k][n] < M[k][k]; (c) M[n][j] ≥ "
    f"{C8_SUBSET_MIN} for every j. The claim holds when (a), (b) and (c) all hold. Only seeds with all n "
    "rows stored count."
)


def tm_matrices(records: list[dict], arch: str = "resnet18", metric: str = "test_accuracy") -> tuple[np.ndarray, list[int]]:
    """Per-seed LP accuracy matrices of the E-6 grid: array (seeds, n, n) with [s, k-1, j-1], and the
    seed ids; only seeds whose n rows (k = 1..n) are all stored, n = the records' num_transforms."""
    by_seed: dict[int, dict[int, dict]] = {}
    n = None
    for r in records:
        c = r["config"]
        if c.get("arch") != arch:
            continue
        n = c["num_transforms"] if n is None else n
        if c["num_transforms"] != n:
            raise ValueError(f"mixed num_transforms in the tm records ({n} and {c['num_transforms']})")
        by_seed.setdefault(c["seed"], {})[c["k"]] = r["result"]
    seeds = sorted(s for s, rows in by_seed.items() if set(rows) == set(range(1, (n or 0) + 1)))
    if not seeds:
        return np.zeros((0, 0, 0)), []
    out = np.full((len(seeds), n, n), np.nan)
    for si, s in enumerate(seeds):
        for k, result in by_seed[s].items():
            for t in result["transfer"]:
                out[si, k - 1, t["j"] - 1] = t[metric]
    return out, seeds


def check_c8(records: list[dict]) -> tuple[str, str]:
    """(ours, verdict) for C8 from the tm records of one profile; see `C8_TEST`."""
    mats, seeds = tm_matrices(records)
    if not seeds:
        stored = sorted({r["config"]["seed"] for r in records if r["config"].get("arch") == "resnet18"})
        return ("no complete ResNet-18 grid stored" + (f" (partial seeds {stored})" if stored else ""), "not run")
    m = mats.mean(axis=0)
    n = m.shape[0]
    sub = [m[k, j] for k in range(n) for j in range(k + 1)]
    ok_a = min(sub) >= C8_SUBSET_MIN
    ok_b = True
    for k in range(n - 1):
        row = m[k, k:]
        if np.any(np.diff(row) > C8_RISE_TOLERANCE) or not row[-1] < row[0]:
            ok_b = False
    ok_c = m[n - 1].min() >= C8_SUBSET_MIN
    parts = [f"j ≤ k: min {min(sub):.3f}"]
    if n > 1:
        parts.append(f"k = 1: {m[0, 1]:.3f} (j = 2) → {m[0, n - 1]:.3f} (j = {n})")
    parts.append(f"k = {n}: min {m[n - 1].min():.3f}")
    parts.append(f"{'falls' if ok_b else 'does not fall monotonically'} for j > k")
    ours = "; ".join(parts) + f" [ResNet-18, {n} transforms, seeds {_seed_list(seeds)}]"
    return ours, "holds" if ok_a and ok_b and ok_c else "fails"




def _seed_list(seeds: list[int]) -> str:
    return ", ".join(map(str, seeds))


CHECKS = {"C8": check_c8}
TESTS = {"C8": C8_TEST}
