"""Analysis of E-3 (`cifar_tvo`): the check of claim C5 and the tables of the E-3 chapter.

E-3 records (`invtl.experiments.cifar_tvo`) have the record format of E-1 (`tvo`) plus a "dataset" in
their config ("cifar10" or "cifar100"); the config's "panel" is the bare panel name. `by_dataset` splits
them, and each dataset's records go through `invtl.experiments.tvo.analysis` unchanged (linear probe, clean test
accuracy, seed means over each panel's complete seeds).


The checks return (ours, verdict) like `invtl.claims.check_c8`; their precise tests are `TESTS`.
"""

from __future__ import annotations

import numpy as np

from invtl.experiments.tvo import analysis as tvo

DATASETS = ("cifar10", "cifar100")
DATASET_LABEL = {"cifar10": "CIFAR-10", "cifar100": "CIFAR-100"}


def by_dataset(records: list[dict]) -> dict[str, list[dict]]:
    """dataset -> its records (in `DATASETS` order, only datasets with records)."""
    out: dict[str, list[dict]] = {}
    for r in records:
        out.setdefault(r["config"].get("dataset", "cifar10"), []).append(r)
    return {d: out[d] for d in sorted(out, key=lambda d: (DATASETS.index(d) if d in DATASETS else 99, d))}


def point_gaps(records: list[dict], metric: str = "test_accuracy") -> dict[str, tuple[list, np.ndarray]]:
    """panel -> (values, same − disjoint seed-mean LP gap at each value), for the panels with a complete seed."""
    out = {}
    for p in tvo.PANELS:
        d = tvo.panel_data(records, p, "lp", None, metric)
        if d is not None:
            out[p] = (d.values, d.mean("same") - d.mean("disjoint"))
    return out


C5_TEST = (
    "E-3, linear probe, seed means of the clean test accuracy over each panel's complete seeds, separately for "
    "CIFAR-10 and CIFAR-100: same-transform PT is more accurate than disjoint-transform PT at every measured point "
    "of every stored panel (class relationship, architecture, PT samples, FT samples). The claim holds when this is "
    "true for every dataset in the store; a dataset without results is reported as not run (the verdict then rests "
    "on the other); \"not run\" when neither has a complete seed. Reported, not tested: the difference of means "
    "same − disjoint (the gap) and the within-factor ranges (max − min over the panel's values) of the same- and "
    "disjoint-transform means for the class-relationship, architecture and PT-samples panels, which the paper finds "
    "as large as or larger than the gaps (\"does not dominate\")."
)


def check_c5(records: list[dict]) -> tuple[str, str]:
    data = by_dataset(records)
    parts, ok, ran = [], True, []
    for ds in DATASETS:
        recs = data.get(ds)
        gaps = point_gaps(recs) if recs else {}
        if not gaps:
            parts.append(f"{DATASET_LABEL[ds]}: not run (no results in the store)")
            continue
        ran.append(ds)
        n_pts = sum(len(v) for v, _ in gaps.values())
        worst_p = min(gaps, key=lambda p: gaps[p][1].min())
        i = int(np.argmin(gaps[worst_p][1]))
        good = all(bool((g > 0).all()) for _, g in gaps.values())
        ok &= good
        text = (f"{DATASET_LABEL[ds]}: same > disjoint at {'all' if good else 'not all'} {n_pts} points "
                f"(smallest gap {gaps[worst_p][1][i]:+.3f}, {tvo.PANEL_LABEL[worst_p]} "
                f"{tvo.value_label(worst_p, gaps[worst_p][0][i])})")
        diffs = tvo.differences(recs)
        if diffs:
            text += "; gap / same range / disjoint range: " + ", ".join(
                f"{tvo.PANEL_LABEL[p]} {d.difference:.3f} / {d.same_range:.3f} / {d.disjoint_range:.3f}"
                for p, d in diffs.items())
        text += f" [{tvo._seeds(diffs.values()) if diffs else 'seeds ' + ', '.join(map(str, sorted({r['config']['seed'] for r in recs})))}]"
        parts.append(text)
    if not ran:
        return "; ".join(parts), "not run"
    return "; ".join(parts), "holds" if ok else "fails"


CHECKS = {"C5": check_c5}
TESTS = {"C5": C5_TEST}
