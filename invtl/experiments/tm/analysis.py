"""Analysis of E-6 (`tm`): the k x j transfer matrices and the check of claim C8."""

from __future__ import annotations

import numpy as np

from invtl import paper
from invtl.verdict import Evidence, learned_bar, missing_seeds

NUM_OBJECTS = 30

C8_SUBSET_DROP = 0.02
"""(a): for j <= k, M[k][j] may be at most this below M[j][j] ("barely hurt": the paper's subset cells lie in
0.98-1.00 and its own diagonal near 1.00)."""
C8_RISE_TOLERANCE = 0.01
"""(b): j > k: a step j -> j+1 may rise by at most this much (seed noise; the figure's ±0.01 resolution)."""
PAPER_N = 8

C8_TEST = (
    "On the ResNet-18 seed-mean test accuracies M[k][j] (k = # PT transforms, j = # target transforms, "
    "1 <= j, k <= n), over the seeds with all n rows and the rows whose pretrained model learned (twice chance): "
    f"(a) extra invariances barely hurt: for every j <= k, M[k][j] >= M[j][j] - {C8_SUBSET_DROP} (relative to the "
    "model pretrained on exactly the target's transforms, so scale-free; includes the model trained on all n); "
    f"(b) missing ones hurt: for every k < n, along the row from j = k to j = n no step rises by more than "
    f"{C8_RISE_TOLERANCE} and M[k][n] < M[k][k]. Needs all {PAPER_N} nested transforms and the profile's seeds to hold."
)


def tm_matrices(
    records: list[dict], arch: str = "resnet18", metric: str = "test_accuracy"
) -> tuple[np.ndarray, list[int]]:
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


def check_c8(records: list[dict], seeds: list[int] | None = None) -> tuple[str, str]:
    """(ours, verdict) for C8 from the tm records of one profile; see `C8_TEST`."""
    ev = Evidence()
    mats, complete = tm_matrices(records)
    stored = sorted({r["config"]["seed"] for r in records if r["config"].get("arch") == "resnet18"})
    ev.missing += missing_seeds(seeds or stored, complete, "ResNet-18")
    if not complete:
        if not stored:
            ev.missing.append("ResNet-18 grid")
        return ev.result()
    ev.seeds += complete
    m = mats.mean(axis=0)
    n = m.shape[0]
    if n < PAPER_N:
        ev.missing.append(f"transforms {n + 1}-{PAPER_N} of the nested sets (the profile has {n})")
    bad = unlearned(records, complete)
    ev.untestable += [f"k = {k} ({text})" for k, text in bad.items()]
    ok_rows = [k for k in range(n) if k + 1 not in bad]
    sub = [(k, j) for k in ok_rows for j in range(k + 1) if j in ok_rows]
    if sub:
        drops = [m[j, j] - m[k, j] for k, j in sub]
        worst = sub[int(np.argmax(drops))]
        ev.test(
            "(a)",
            max(drops) <= C8_SUBSET_DROP,
            f"j ≤ k: largest drop below M[j][j] {max(drops):+.3f} (k = {worst[0] + 1}, j = {worst[1] + 1})",
        )
    rows = [k for k in ok_rows if k < n - 1]
    if rows:
        falls = [not np.any(np.diff(m[k, k:]) > C8_RISE_TOLERANCE) and m[k, n - 1] < m[k, k] for k in rows]
        ev.test(
            "(b)",
            all(falls),
            f"j > k: {'falls along every row' if all(falls) else 'does not fall along rows '}"
            + ("" if all(falls) else ", ".join(str(k + 1) for k, f in zip(rows, falls) if not f))
            + (f"; k = 1: {m[0, 1]:.3f} (j = 2) → {m[0, n - 1]:.3f} (j = {n})" if 0 in rows and n > 1 else ""),
        )
    return ev.result()


def unlearned(records: list[dict], seeds: list[int], arch: str = "resnet18") -> dict[int, str]:
    """k -> the pretrained models of that row under the learned bar (30 classes: 0.067), over `seeds`."""
    out: dict[int, list[str]] = {}
    for r in records:
        c = r["config"]
        acc = r["result"]["pretraining"]["test_accuracy"]
        if c.get("arch") == arch and c["seed"] in seeds and acc < learned_bar(NUM_OBJECTS):
            out.setdefault(c["k"], []).append(f"seed {c['seed']}: {acc:.2f}")
    return {k: "; ".join(v) for k, v in out.items()}


def paper_claim_records(seeds=(0, 1)) -> list[dict]:
    """Synthetic records whose seed means are the paper's E-6 matrix (the "≈1" cells at 1.0)."""
    rows = [[paper.number(c) for c in row[1:]] for row in paper.TABLES["E-6"].rows]
    return [
        {
            "config": {"arch": "resnet18", "seed": s, "k": k, "num_transforms": PAPER_N},
            "result": {
                "pretraining": {"test_accuracy": 1.0},
                "transfer": [{"j": j, "test_accuracy": rows[k - 1][j - 1]} for j in range(1, PAPER_N + 1)],
            },
            "provenance": {},
        }
        for s in seeds
        for k in range(1, PAPER_N + 1)
    ]


CHECKS = {"C8": check_c8}
TESTS = {"C8": C8_TEST}


ARCH_NAMES = {"resnet18": "ResNet-18", "vgg11": "VGG-11"}
UNDERFIT = 0.98
"""A pretrained model fits its task at the paper's level when its training accuracy reaches this: the paper's k = 8
model keeps >= 0.98 on every subset of its eight transforms, so its models fitted their tasks at least this well."""


def scale_evidence(records: list[dict]) -> tuple[str, str]:
    """(markdown, reading) for a C8 that does not hold: do the cells that break (a) sit in rows whose pretrained
    model did not fit its own pretraining task? reading: "scale" when every such row's model is underfit (training
    accuracy < `UNDERFIT`, so more capacity or steps are the missing ingredient), "non-reproduction" when a row
    that fitted its task still loses more than the tolerance, "open" when (a) is not broken."""
    lines, rows = [], []
    for arch in ("resnet18", "vgg11"):
        mats, seeds = tm_matrices(records, arch)
        if not seeds:
            continue
        m, n = mats.mean(axis=0), mats.shape[1]
        fit = {}
        for r in records:
            c = r["config"]
            if c.get("arch") == arch and c["seed"] in seeds:
                fit.setdefault(c["k"], []).append(r["result"]["pretraining"]["train_accuracy"])
        fit = {k: float(np.mean(v)) for k, v in fit.items()}
        broken = sorted({k + 1 for k in range(n) for j in range(k + 1) if m[j, j] - m[k, j] > C8_SUBSET_DROP})
        worst = {k: max(m[j, j] - m[k - 1, j] for j in range(k)) for k in broken}
        lines.append(
            f"- {ARCH_NAMES.get(arch, arch)}, training accuracy of the model pretrained on k transforms: "
            + ", ".join(f"k = {k} {fit[k]:.3f}" for k in sorted(fit))
            + (
                "; rows breaking (a): " + ", ".join(f"k = {k} (worst drop {worst[k]:+.3f})" for k in broken)
                if broken
                else "; no row breaks (a)"
            )
        )
        rows += [fit[k] for k in broken]
    if not rows:
        return "\n".join(lines), "open"
    reading = "scale" if max(rows) < UNDERFIT else "non-reproduction"
    return "\n".join(lines), reading
