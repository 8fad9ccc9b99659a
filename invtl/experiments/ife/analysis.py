"""Analysis of E-4 (`ife`): the LP and invariance matrices, the correlations and the check of claim C6.

E-4 records (`invtl.experiments.ife`) are one per (variant, seed, PT task) with LP accuracies on the four
target tasks and the l2 / cos invariance ratios of the "cifar" and "objects" twin pairs.
"""

from __future__ import annotations

import numpy as np

from invtl import paper
from invtl.stats import pearson
from invtl.verdict import Evidence, learned_bar, missing_seeds

TASKS = ("C&C", "C+O&C", "C+O&O", "O&O")
NUM_CLASSES = 10
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


def _per_seed(
    records: list[dict], variant: str, columns: tuple[str, ...], value, seeds: list[int] | None
) -> tuple[np.ndarray, list[int]]:
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


def lp_matrices(
    records: list[dict], variant: str, metric: str = "test_accuracy", seeds: list[int] | None = None
) -> tuple[np.ndarray, list[int]]:
    """Per-seed LP accuracy matrices (seeds, PT task, target task) in `TASKS` order, over the complete seeds
    (or `seeds`, restricted to complete ones)."""
    return _per_seed(records, variant, TASKS, lambda result, t: result["lp"][t][metric], seeds)


def invariance_matrices(
    records: list[dict], variant: str, metric: str = "l2", seeds: list[int] | None = None
) -> tuple[np.ndarray, list[int]]:
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
    "E-4, per variant (fixed, translate), seed means over the seeds whose four pretrained models all learned "
    '(clean test accuracy): (a) the C+O&C model has the lowest "objects" l2 ratio of the four models (the most '
    "object-invariant); (b) its linear probe for the object label (target C+O&O) is less accurate than the C&C "
    "model's; (c) across the 4 models the seed-mean l2 ratio correlates positively (Pearson r > 0) with the "
    'seed-mean LP accuracy on the corresponding C+O target ("cifar" ↔ C+O&C, "objects" ↔ C+O&O). Needs both '
    "variants and the profile's seeds to hold."
)


def unlearned(records: list[dict], variant: str) -> dict[int, list[str]]:
    """seed -> the pretrained models of the variant under the learned bar (10 classes: 0.2)."""
    bar, out = learned_bar(NUM_CLASSES), {}
    for r in records:
        c, acc = r["config"], r["result"]["training"]["test_accuracy"]
        if c["variant"] == variant and acc < bar:
            out.setdefault(c["seed"], []).append(f"{variant} {c['pt_task']} seed {c['seed']}: {acc:.2f}")
    return out


def check_c6(records: list[dict], seeds: list[int] | None = None) -> tuple[str, str]:
    ev = Evidence()
    present = variants(records)
    ev.missing += [f"{v} variant" for v in VARIANTS if v not in present]
    for v in present:
        complete = ife_seeds(records, v)
        ev.missing += missing_seeds(seeds, complete, f"{v} variant")
        bad = unlearned(records, v)
        for models in bad.values():
            ev.untestable += models
        use = [s for s in complete if s not in bad and (seeds is None or s in seeds)]
        if not use:
            continue
        ev.seeds += use
        lp, _ = lp_matrices(records, v, seeds=use)
        inv, _ = invariance_matrices(records, v, seeds=use)
        obj, lpm = inv.mean(axis=0)[:, PAIRS.index("objects")], lp.mean(axis=0)
        i_co, i_cc, j_obj = TASKS.index("C+O&C"), TASKS.index("C&C"), TASKS.index("C+O&O")
        ev.test(
            f"(a) {v}",
            obj[i_co] < min(obj[i] for i in range(len(TASKS)) if i != i_co),
            f"{v}: objects l2 " + ", ".join(f"{t} {obj[i]:.2f}" for i, t in enumerate(TASKS)),
        )
        ev.test(
            f"(b) {v}",
            lpm[i_co, j_obj] < lpm[i_cc, j_obj],
            f"object probe C+O&C {lpm[i_co, j_obj]:.2f} vs C&C {lpm[i_cc, j_obj]:.2f}",
        )
        r = correlations(records, v, seeds=use)
        ev.test(
            f"(c) {v}",
            all(np.isfinite(x) and x > 0 for x in r.values()),
            f"r(l2, C+O LP) cifar {r['cifar']:.3f}, objects {r['objects']:.3f}",
        )
    return ev.result()


CHECKS = {"C6": check_c6}
TESTS = {"C6": C6_TEST}


def paper_claim_records(seeds=(0, 1)) -> list[dict]:
    """Synthetic records whose seed means are the paper's E-4a-d tables (cells without a value: none)."""
    records = []
    for variant, (lp_id, inv_id) in PAPER_TABLES.items():
        lp_rows, inv_rows = paper.TABLES[lp_id].rows, paper.TABLES[inv_id].rows
        for k, pt_task in enumerate(TASKS):
            lp = {t: {"test_accuracy": paper.number(lp_rows[k][1 + j])} for j, t in enumerate(TASKS)}
            inv = {pair: {"l2": paper.number(inv_rows[k][1 + j])} for j, pair in enumerate(PAIRS)}
            for s in seeds:
                records.append(
                    {
                        "config": {"variant": variant, "seed": s, "pt_task": pt_task},
                        "result": {"training": {"test_accuracy": 1.0}, "lp": lp, "invariance": inv},
                        "provenance": {},
                    }
                )
    return records
