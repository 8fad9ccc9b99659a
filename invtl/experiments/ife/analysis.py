"""Analysis of E-4 (`ife`): the LP and invariance matrices, the correlations and the check of claim C6.

E-4 records (`invtl.experiments.ife`) are one per (variant, seed, PT task) with LP accuracies on the four
target tasks and the l2 / cos invariance ratios of the "cifar" and "objects" twin pairs.
"""

from __future__ import annotations

import numpy as np

from invtl.stats import pearson

TASKS = ("C&C", "C+O&C", "C+O&O", "O&O")
VARIANTS = ("fixed", "translate")
PAIRS = ("cifar", "objects")
CO_TARGET = {"cifar": "C+O&C", "objects": "C+O&O"}
"""E-4 correlation: l2-ratio column -> the C+O target whose LP accuracy it is correlated with (protocol E-4)."""
PAPER_TABLES = {"fixed": ("E-4a", "E-4b"), "translate": ("E-4c", "E-4d")}
PAPER_CORRELATION = {"fixed": {"cifar": 0.681, "objects": 0.786}, "translate": {"cifar": 0.683, "objects": 0.940}}


def ife_seeds(records: list[dict], variant: str) -> list[int]:
    """Seeds of a variant with all four PT tasks stored (complete seeds)."""
    have: dict[int, set] = {}
    for r in records:
        c = r["config"]
        if c["variant"] == variant:
            have.setdefault(c["seed"], set()).add(c["pt_task"])
    return sorted(s for s, t in have.items() if set(TASKS) <= t)


def variants(records: list[dict]) -> list[str]:
    present = {r["config"]["variant"] for r in records}
    return [v for v in VARIANTS if v in present] + sorted(present - set(VARIANTS))


def _per_seed(records: list[dict], variant: str, columns: tuple[str, ...], value, seeds: list[int] | None) -> tuple[np.ndarray, list[int]]:
    """(seeds, PT task, column) array of `value(result, column)` over the complete seeds (or `seeds`,
    restricted to complete ones), with tasks in `TASKS` order."""
    sids = [s for s in ife_seeds(records, variant) if seeds is None or s in seeds]
    out = np.full((len(sids), len(TASKS), len(columns)), np.nan)
    for r in records:
        c = r["config"]
        if c["variant"] == variant and c["seed"] in sids:
            for j, column in enumerate(columns):
                out[sids.index(c["seed"]), TASKS.index(c["pt_task"]), j] = value(r["result"], column)
    return out, sids


def lp_matrices(records: list[dict], variant: str, metric: str = "test_accuracy",
                seeds: list[int] | None = None) -> tuple[np.ndarray, list[int]]:
    """Per-seed LP accuracy matrices (seeds, PT task, target task) in `TASKS` order, over the complete seeds
    (or `seeds`, restricted to complete ones)."""
    return _per_seed(records, variant, TASKS, lambda result, t: result["lp"][t][metric], seeds)


def invariance_matrices(records: list[dict], variant: str, metric: str = "l2",
                        seeds: list[int] | None = None) -> tuple[np.ndarray, list[int]]:
    """Per-seed invariance ratios (seeds, PT task, pair) with pairs in `PAIRS` order ("cifar", "objects")."""
    return _per_seed(records, variant, PAIRS, lambda result, p: result["invariance"][p][metric], seeds)




def correlations(records: list[dict], variant: str, seeds: list[int] | None = None) -> dict[str, float]:
    """pair -> Pearson r across the 4 models between the seed-mean l2 ratio of the pair and the seed-mean LP
    accuracy on its C+O target ("cifar" <-> C+O&C, "objects" <-> C+O&O; protocol E-4)."""
    lp, sids = lp_matrices(records, variant, seeds=seeds)
    inv, _ = invariance_matrices(records, variant, seeds=seeds)
    if not sids:
        return {}
    lpm, invm = lp.mean(axis=0), inv.mean(axis=0)
    return {p: pearson(invm[:, j], lpm[:, TASKS.index(CO_TARGET[p])]) for j, p in enumerate(PAIRS)}


C6_TEST = (
    "E-4, per stored variant (fixed, translate), seed means over the seeds with all four PT tasks, clean test "
    "accuracy: (a) the C+O&C model has the lowest \"objects\" l2 ratio of the four models (most object-invariant); "
    "(b) its linear probe for the object label (target C+O&O) is less accurate than the C&C model's. The claim holds "
    "when (a) and (b) hold in every stored variant; \"not run\" without a complete seed. Reported, not tested: the "
    "Pearson correlations across the 4 models between the seed-mean l2 ratio and the seed-mean LP accuracy on the "
    "corresponding C+O target (\"cifar\" ↔ C+O&C, \"objects\" ↔ C+O&O), which the paper finds positive."
)


def check_c6(records: list[dict]) -> tuple[str, str]:
    parts, ok, ran = [], True, False
    for v in variants(records):
        lp, sids = lp_matrices(records, v)
        if not sids:
            parts.append(f"{v}: no complete seed")
            continue
        ran = True
        inv, _ = invariance_matrices(records, v)
        obj = inv.mean(axis=0)[:, PAIRS.index("objects")]
        lpm = lp.mean(axis=0)
        i_co, i_cc, j_obj = TASKS.index("C+O&C"), TASKS.index("C&C"), TASKS.index("C+O&O")
        rest = [i for i in range(len(TASKS)) if i != i_co]
        k = min(rest, key=lambda i: obj[i])
        good_a = bool(obj[i_co] < obj[k])
        probe_co, probe_cc = float(lpm[i_co, j_obj]), float(lpm[i_cc, j_obj])
        good_b = probe_co < probe_cc
        ok &= good_a and good_b
        others = ", ".join(f"{t} {obj[i]:.2f}" for i, t in enumerate(TASKS) if i != i_co)
        r = correlations(records, v)
        parts.append(
            f"{v}: objects l2 ratio C+O&C {obj[i_co]:.2f} {'lowest' if good_a else f'not lowest ({TASKS[k]} {obj[k]:.3f} ≤ {obj[i_co]:.3f})'} "
            f"(others {others}); object probe C+O&C {probe_co:.2f} {'<' if good_b else '≥'} C&C {probe_cc:.2f}; "
            f"r(l2, C+O LP) cifar {r['cifar']:.3f}, objects {r['objects']:.3f} [seeds {', '.join(map(str, sids))}]")
    if not ran:
        return "; ".join(parts) or "no ife results", "not run"
    return "; ".join(parts), "holds" if ok else "fails"


CHECKS = {"C6": check_c6}
TESTS = {"C6": C6_TEST}
