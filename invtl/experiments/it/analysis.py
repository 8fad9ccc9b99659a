"""E-5 (`it`) analysis: Same / Other / None invariance tables, matrices for the plots, and the C7 check.

r(model, data type d, target transform t) is a model's l2 invariance ratio on the twin test set of
data type d under transformation t (lower = more invariant). Per model group g (img: trained on
op-img; rand: trained on rp-rand), data type d, target transform t and seed (book/protocol.md, E-5,
"Aggregation"):

- Same  = r(g model trained on t, d, t);
- Other = mean over the g models trained on t' != t (`none` excluded) of r(., d, t);
- None  = r(g model trained on `none`, d, t).

Only target transforms for which the group has a trained model count (with a subset of the 18
transformations, Other averages over the trained ones that are present). A table cell is the mean and
the pandas sample std (ddof = 1) over seeds x counted transforms. Only seeds whose group holds every
model the group has for any seed count, so a run in progress does not bias Other.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from invtl import paper
from invtl.t2d.dataset import TRANSFORMS
from invtl.verdict import Evidence, learned_bar, missing_seeds

ROWS = ("Same", "Other", "None")
ROW_KEYS = {"Same": "target", "Other": "other", "None": "base"}  # the original's model-type suffixes
GROUP_LABEL = {
    "img": "img models (trained on op-img)",
    "rand": "rand models (trained on rp-rand)",
    "untrained": "untrained",
}
T2D_TYPES = ("op-img", "os-img", "op-rand", "os-rand", "rp-img", "rs-img", "rp-rand", "rs-rand")
CIFAR_TYPES = {"CIFAR-10": "cifar10", "CIFAR-100": "cifar100"}
NUM_CLASSES = 30
"""Table column -> data-type key of the records (`invtl.experiments.it`)."""
DATA_TYPE_ORDER = (*T2D_TYPES, *CIFAR_TYPES.values())
TABLE_COLUMNS = {  # group -> (paper table id, [(paper column label, data type)])
    "img": (
        "E-5a",
        [
            ("op-img (in-distribution)", "op-img"),
            ("os-img (other objects)", "os-img"),
            ("rs-rand (far OOD)", "rs-rand"),
            ("CIFAR-10", "cifar10"),
            ("CIFAR-100", "cifar100"),
        ],
    ),
    "rand": (
        "E-5b",
        [
            ("rp-rand (in-distribution)", "rp-rand"),
            ("rs-rand (other random patterns)", "rs-rand"),
            ("os-img (far OOD)", "os-img"),
            ("CIFAR-10", "cifar10"),
            ("CIFAR-100", "cifar100"),
        ],
    ),
}
NOT_MEASURED = "not measured (data absent)"
"""A column of the profile whose dataset was not under the data root when the jobs ran (they record nothing
for it)."""
NOT_IN_PROFILE = "not in this profile"

C7_GAP = 0.04
"""(b): |Other - None| may be at most this in every measured column: the paper's "within 0.03" plus the rounding
of its two printed 2-decimal values (±0.005 each); the paper's own largest gap is 0.51 - 0.48."""
C7_OTHER_DROP = 0.04
"""(d): the img models' Other ratio may fall at most this much below its in-distribution (op-img) value (the
paper: "Other stays at 0.40 or above", its op-img value; the same rounding allowance as (b))."""
C7_DISTANCE_ORDER = ("op-img", "os-img", "cifar10", "rs-rand")
"""(c): the img models' Same ratio rises along this order of data types (the paper's domain distance)."""
GROUP_COLUMNS = {
    group: [d for _, d in cols]
    for group, (_, cols) in {
        "img": ("E-5a", [("", "op-img"), ("", "os-img"), ("", "rs-rand"), ("", "cifar10"), ("", "cifar100")]),
        "rand": ("E-5b", [("", "rp-rand"), ("", "rs-rand"), ("", "os-img"), ("", "cifar10"), ("", "cifar100")]),
    }.items()
}

C7_TEST = (
    "On the l2 invariance ratios of ResNet-18, per model group (img, rand) and table column, Same / Other / None "
    "are the means over seeds x target transforms (protocol E-5 aggregation; only transforms the group has a "
    "trained model for, only seeds with all of the group's models, only models whose own-task accuracy reached "
    "twice chance). (a) Same < Other and Same < None in every column; "
    f"(b) |Other - None| <= {C7_GAP} in every column (the paper's 0.03 plus the rounding of its printed values); "
    "(c) for img models, Same rises strictly along op-img < os-img < CIFAR-10 < rs-rand; "
    f'(d) for img models, Other in every column is at least its op-img value less {C7_OTHER_DROP} ("Other stays '
    "at 0.40 or above\", scale-free). Needs both groups, all ten columns and the profile's seeds to hold."
)


def _order(values, order) -> list:
    rank = {v: i for i, v in enumerate(order)}
    return sorted(set(values), key=lambda v: (rank.get(v, len(rank)), str(v)))


def ratio_frame(records: list[dict], arch: str | None = "resnet18", metric: str = "l2") -> pd.DataFrame:
    """Long table of every measurement: arch, seed, group, train (transform), data_type, target, value."""
    rows = []
    for r in records:
        c = r["config"]
        if arch is not None and c.get("arch") != arch:
            continue
        for d, by_t in r["result"]["scores"].items():
            for t, m in by_t.items():
                rows.append((c["arch"], c["seed"], c["group"], c["train_transform"], d, t, float(m[metric])))
    frame = pd.DataFrame(rows, columns=["arch", "seed", "group", "train", "data_type", "target", "value"])
    frame.attrs["data_types"] = sorted({d for r in records for d in r["config"].get("data_types", [])})
    frame.attrs["not_measured"] = sorted({d for r in records for d in r["result"].get("not_measured", [])})
    return frame


def complete_seeds(frame: pd.DataFrame, group: str) -> tuple[list[int], list[int], list[str]]:
    """(complete seeds, partial seeds, trained transforms) of a group: a seed is complete when it holds
    every model the group has for any seed."""
    g = frame[frame.group == group]
    models = _order(g.train.unique(), ("none", *TRANSFORMS))
    by_seed = g.groupby("seed").train.agg(lambda s: set(s))
    full = sorted(int(s) for s, m in by_seed.items() if m == set(models))
    partial = sorted(int(s) for s in by_seed.index if int(s) not in full)
    return full, partial, models


def same_other_none(frame: pd.DataFrame) -> pd.DataFrame:
    """Per (group, seed, data type, target transform) the Same, Other and None ratios (NaN where the group
    lacks the models): columns group, seed, data_type, target, row, value. Only counted transforms."""
    out = []
    for group in _order(frame.group.unique(), ("img", "rand")):
        if group == "untrained":
            continue
        seeds, _, models = complete_seeds(frame, group)
        trained = [m for m in models if m != "none"]
        g = frame[(frame.group == group) & frame.seed.isin(seeds)]
        r = g.set_index(["seed", "train", "data_type", "target"]).value
        for (seed, d, t), _ in g.groupby(["seed", "data_type", "target"]):
            if t not in trained:
                continue
            others = [r[(seed, m, d, t)] for m in trained if m != t and (seed, m, d, t) in r.index]
            same = r.get((seed, t, d, t), np.nan)
            base = r.get((seed, "none", d, t), np.nan)
            for row, v in (("Same", same), ("Other", np.mean(others) if others else np.nan), ("None", base)):
                out.append((group, int(seed), d, t, row, float(v)))
    return pd.DataFrame(out, columns=["group", "seed", "data_type", "target", "row", "value"])


def summary(son: pd.DataFrame) -> pd.DataFrame:
    """Mean, sample std (ddof = 1) and count over seeds x transforms per (group, row, data type)."""
    s = son.dropna(subset=["value"]).groupby(["group", "row", "data_type"]).value
    return pd.DataFrame({"mean": s.mean(), "std": s.std(ddof=1), "n": s.count()})


def column_status(frame: pd.DataFrame, data_type: str) -> str | None:
    """None when the data type is measured, else why its column is empty."""
    if data_type in set(frame.data_type):
        return None
    return NOT_MEASURED if data_type in frame.attrs.get("not_measured", []) else NOT_IN_PROFILE


def group_table(frame: pd.DataFrame, group: str, son: pd.DataFrame | None = None, digits: int = 3):
    """The paper's table for one group on our numbers: (columns, rows, means) where rows are
    ("Same"|"Other"|"None", cell, ...); a cell is "mean ± std" ("**…**" for the smallest row of its
    column), "—" where the row cannot be formed, or the column's status; means[row][data type] (NaN if
    missing)."""
    son = same_other_none(frame) if son is None else son
    summ = summary(son)
    _, cols = TABLE_COLUMNS[group]
    means = {row: {d: np.nan for _, d in cols} for row in ROWS}
    stds = {row: {d: np.nan for _, d in cols} for row in ROWS}
    for row in ROWS:
        for _, d in cols:
            if (group, row, d) in summ.index:
                means[row][d] = summ.loc[(group, row, d), "mean"]
                stds[row][d] = summ.loc[(group, row, d), "std"]
    rows = []
    for row in ROWS:
        cells = []
        for _, d in cols:
            status = column_status(frame, d)
            m = means[row][d]
            if status:
                cells.append(status)
            elif np.isnan(m):
                cells.append("—")
            else:
                text = f"{m:.{digits}f}" + (f" ± {stds[row][d]:.{digits}f}" if np.isfinite(stds[row][d]) else "")
                present = [means[x][d] for x in ROWS if np.isfinite(means[x][d])]
                cells.append(f"**{text}**" if len(present) > 1 and m == min(present) else text)
        rows.append((row, *cells))
    return ["row", *[label for label, _ in cols]], rows, means


def model_type_matrix(frame: pd.DataFrame, son: pd.DataFrame | None = None) -> tuple[list[str], list[str], np.ndarray]:
    """(model types, data types, mean l2 ratio) for the heatmap: img/rand Same, Other, None (means over
    seeds x counted transforms) and the untrained network (mean over the same target transforms)."""
    son = same_other_none(frame) if son is None else son
    dts = _order(frame.data_type.unique(), DATA_TYPE_ORDER)
    labels, vals = [], []
    for group in _order(son.group.unique(), ("img", "rand")):
        for row in ROWS:
            s = son[(son.group == group) & (son.row == row)].dropna(subset=["value"])
            if s.empty:
                continue
            m = s.groupby("data_type").value.mean()
            labels.append(f"{group} {row} ({group}_{ROW_KEYS[row]})")
            vals.append([m.get(d, np.nan) for d in dts])
    u = frame[frame.group == "untrained"]
    targets = set(son.target) if not son.empty else set(u.target)
    u = u[u.target.isin(targets)]
    if not u.empty:
        m = u.groupby("data_type").value.mean()
        labels.append("untrained")
        vals.append([m.get(d, np.nan) for d in dts])
    return labels, dts, np.array(vals, dtype=float).reshape(len(labels), len(dts))


def breakdown(frame: pd.DataFrame, group: str, data_type: str) -> tuple[list[str], list[str], np.ndarray]:
    """(training transforms incl. none, target transforms, seed-mean ratio) of one group on one data type
    (the paper's 19 x 18 appendix heatmaps); only the group's complete seeds."""
    seeds, _, models = complete_seeds(frame, group)
    g = frame[(frame.group == group) & (frame.data_type == data_type) & frame.seed.isin(seeds)]
    targets = _order(g.target.unique(), TRANSFORMS)
    m = g.groupby(["train", "target"]).value.mean()
    return models, targets, np.array([[m.get((a, b), np.nan) for b in targets] for a in models], dtype=float)


def model_profile(frame: pd.DataFrame, group: str, train: str, target: str) -> pd.DataFrame:
    """One model's ratio on every data type for one target transform: index data type, columns mean, std, n
    over the group's complete seeds (all seeds for the untrained network)."""
    seeds = complete_seeds(frame, group)[0] if group != "untrained" else sorted(frame.seed.unique())
    g = frame[(frame.group == group) & (frame.train == train) & (frame.target == target) & frame.seed.isin(seeds)]
    s = g.groupby("data_type").value
    out = pd.DataFrame({"mean": s.mean(), "std": s.std(ddof=1), "n": s.count()})
    return out.reindex(_order(out.index, DATA_TYPE_ORDER))


# --- C7 --------------------------------------------------------------------------------------------


def unlearned(records: list[dict]) -> list[str]:
    """The trained models (not the untrained reference) whose own-task accuracy is under the learned bar."""
    bar = learned_bar(NUM_CLASSES)
    return [
        f"{r['config']['group']} {r['config']['train_transform']} seed {r['config']['seed']}: "
        f"{r['result']['training']['test_accuracy']:.2f}"
        for r in records
        if r["config"]["group"] != "untrained"
        and "training" in r["result"]
        and r["result"]["training"]["test_accuracy"] < bar
    ]


def learned(records: list[dict]) -> list[dict]:
    """The records whose model learned its own task (twice chance), and the untrained references."""
    return [
        r
        for r in records
        if r["config"]["group"] == "untrained"
        or "training" not in r["result"]
        or r["result"]["training"]["test_accuracy"] >= learned_bar(NUM_CLASSES)
    ]


def check_c7(records: list[dict], seeds: list[int] | None = None) -> tuple[str, str]:
    """(ours, verdict) for C7 from the it records of one profile; see `C7_TEST`."""
    ev = Evidence()
    records = [r for r in records if r["config"].get("arch") == "resnet18"]
    ev.untestable += unlearned(records)
    frame = ratio_frame(learned(records))
    if frame.empty:
        ev.missing.append("ResNet-18 img and rand groups")
        return ev.result()
    son = same_other_none(frame)
    for group in ("img", "rand"):
        if group not in set(frame.group):
            ev.missing.append(f"{group} group")
            continue
        complete, _, models = complete_seeds(frame, group)
        ev.missing += missing_seeds(seeds, complete, f"{group} group")
        ev.seeds += complete
        _, _, means = group_table(frame, group, son)
        columns = [d for d in GROUP_COLUMNS[group] if np.isfinite(means["Same"][d])]
        ev.missing += [
            f"{group} column {column_label(d)} ({column_status(frame, d) or 'no Same row'})"
            for d in GROUP_COLUMNS[group]
            if d not in columns
        ]
        if len([m for m in models if m != "none"]) < 2:
            ev.missing.append(f"{group} Other row (needs two trained transforms)")
        cells = []
        for d in columns:
            s, o, n = means["Same"][d], means["Other"][d], means["None"][d]
            ev.test(f"(a) {group} {column_label(d)}", all(s < x for x in (o, n) if np.isfinite(x)))
            if np.isfinite(o) and np.isfinite(n):
                ev.test(f"(b) {group} {column_label(d)}", abs(o - n) <= C7_GAP)
            cells.append(f"{column_label(d)} {s:.3f}/{_f(o)}/{_f(n)}")
        ev.lines.append(f"{group} Same/Other/None: " + ", ".join(cells))
        if group == "img":
            chain = [d for d in C7_DISTANCE_ORDER if d in columns]
            if len(chain) >= 2:
                vals = [means["Same"][d] for d in chain]
                ev.test(
                    "(c)",
                    all(x < y for x, y in zip(vals, vals[1:])),
                    "img Same by distance " + " < ".join(f"{v:.3f}" for v in vals),
                )
            others = [means["Other"][d] for d in columns if np.isfinite(means["Other"][d])]
            if "op-img" in columns and np.isfinite(means["Other"]["op-img"]) and others:
                ev.test(
                    "(d)",
                    min(others) >= means["Other"]["op-img"] - C7_OTHER_DROP,
                    f"img Other min {min(others):.3f} vs op-img {means['Other']['op-img']:.3f}",
                )
    return ev.result()


def _f(x: float) -> str:
    return "—" if not np.isfinite(x) else f"{x:.3f}"


def column_label(d: str) -> str:
    """A data type as the paper's tables name it (CIFAR-10, CIFAR-100; the others as they are)."""
    return {v: k for k, v in CIFAR_TYPES.items()}.get(d, d)


def paper_claim_records(seeds=(0, 1)) -> list[dict]:
    """Synthetic records whose Same / Other / None means are the paper's E-5a and E-5b tables: two trained
    transforms (rotate, hue) per group, where r(t on t) = Same, r(other on t) = Other, r(none on t) = None."""
    records = []
    for group, (table_id, cols) in TABLE_COLUMNS.items():
        rows = {row[0]: row[1:] for row in paper.TABLES[table_id].rows}
        value = {name: {d: paper.number(cell) for (_, d), cell in zip(cols, rows[name])} for name in ROWS}
        for s in seeds:
            for train in ("none", "rotate", "hue"):
                scores = {}
                for _, d in cols:
                    scores[d] = {}
                    for target in ("rotate", "hue"):
                        row = "None" if train == "none" else "Same" if train == target else "Other"
                        scores[d][target] = {"l2": value[row][d]}
                records.append(
                    {
                        "config": {
                            "arch": "resnet18",
                            "seed": s,
                            "group": group,
                            "train_transform": train,
                            "data_types": [d for _, d in cols],
                        },
                        "result": {"training": {"test_accuracy": 1.0}, "scores": scores, "not_measured": []},
                        "provenance": {},
                    }
                )
    return records


CHECKS = {"C7": check_c7}
TESTS = {"C7": C7_TEST}
