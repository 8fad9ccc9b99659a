"""Tables of the E-1/E-2 chapter (`tvo`), reused per dataset by E-3: the paper's points beside ours (mean over n
seeds with the 95 % t-interval), pretraining accuracy beside chance, the performance differences, the task
instances and per-seed numbers. Each function returns HTML or Markdown; the paper's numbers are its read-off
seed means (10 seeds, pooled train + val + test accuracy, bug B1)."""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from invtl import paper
from invtl.book.html import html_table
from invtl.experiments.tvo import analysis as tvo
from invtl.experiments.tvo import grid
from invtl.stats import ci95

PAPER_PANEL = {
    **tvo.PAPER_TABLE_PANEL,
    "PT samples per class": "pt_samples",
    "FT samples (fraction per class)": "ft_samples",
}
"""Panel names of the paper's E-1a, E-2a, E-3a and E-3b tables -> our panels."""


NOT_HERE = "not in this profile/run"


def ordered(panel: str, values: Iterable) -> list:
    """Distinct panel values in the paper's order (class relationships, architectures) or ascending."""
    values = set(values)
    order = {"class_relationship": tvo.CLASS_ORDER, "architecture": tvo.ARCH_ORDER}.get(panel)
    if order is None:
        return sorted(values)
    return [v for v in order if v in values] + sorted(v for v in values if v not in order)


def x_text(panel: str, value: object) -> str:
    """A panel value as the book writes it (FT fractions of E-3 as percentages)."""
    if panel == "ft_samples" and isinstance(value, float) and value <= 1:
        return f"{value * 100:g} %"
    return tvo.value_label(panel, value)


def mean_ci(mean: float, half: float) -> str:
    """ "mean ± half-width", or the mean alone when there is no interval (one seed)."""
    return f"{mean:.3f} ± {half:.3f}" if np.isfinite(half) else f"{mean:.3f}"


def pretraining_classes(config: dict) -> int:
    """Number of classes of a tvo record's pretraining task (chance on it is 1 / this)."""
    _, relation, _ = grid.pretraining_setup(config)
    return len(grid.task(config["config_seed"], config["num_target"])["classes"][relation])


def pt_chance(records: list[dict], panel: str, classes: Callable[[dict], int] = pretraining_classes) -> dict:
    """value -> chance accuracy on the pretraining task of the panel's point."""
    return {r["config"]["value"]: 1 / classes(r["config"]) for r in records if r["config"]["panel"] == panel}


@dataclass(frozen=True)
class PaperPoint:
    """One x value of a paper table: the value in our terms, and per transformation set the number (None when
    hidden) and the cell as written."""

    x: object
    values: dict
    cells: dict


def paper_x(panel: str, label: str) -> object:
    """Our config value of a paper table's x label ("subset (10 classes)", "ResNet-18", "1 000", "5 %")."""
    if panel == "class_relationship":
        return label.split(" ")[0]
    if panel == "architecture":
        return {v: k for k, v in tvo.ARCH_LABEL.items()}[label]
    if label.endswith("%"):
        return float(label[:-1]) / 100
    return int(label.replace(" ", ""))


def paper_series(table_id: str) -> dict[str, list[PaperPoint]]:
    """panel -> the points of a paper table (E-1a, E-2a, E-3a, E-3b); hidden cells have the number None."""
    out: dict[str, list[PaperPoint]] = {}
    panel = None
    for row in paper.TABLES[table_id].rows:
        panel = PAPER_PANEL[row[0]] if row[0] else panel
        cells = dict(zip(tvo.TSETS, row[2:]))
        out.setdefault(panel, []).append(
            PaperPoint(paper_x(panel, row[1]), {t: paper.number(c) for t, c in cells.items()}, cells)
        )
    return out


def paper_notes(table_id: str) -> str:
    """HTML: the notes of a paper table (its footnotes and provenance remarks)."""
    return "".join(f'<p class="invtl-note">{html.escape(n)}</p>' for n in paper.TABLES[table_id].notes)


def paper_differences(table_id: str) -> dict[str, tvo.Differences]:
    """The performance differences of the paper's read-off means, for the panels without a hidden point."""
    out = {}
    for panel, points in paper_series(table_id).items():
        s, j = ([p.values[t] for p in points] for t in tvo.TSETS)
        if panel in tvo.DIFF_PANELS and None not in s + j:
            out[panel] = tvo.Differences(
                panel, min(j), max(j), float(np.mean(j)), min(s), max(s), float(np.mean(s)), [], []
            )
    return out


def beside_table(
    records: list[dict], table_id: str, stage: str = "lp", ft_n: int | None = None, profile: str = ""
) -> str:
    """Per panel, the paper's points (`table_id`) beside ours at the same x: mean ± 95 % half-width over the
    panel's n seeds of the clean test accuracy, and the pooled accuracy (the paper's metric, B1)."""
    rows = []
    for panel in tvo.PANELS:
        test = tvo.panel_data(records, panel, stage, ft_n)
        pooled = tvo.panel_data(records, panel, stage, ft_n, "pooled_accuracy")
        points = {p.x: p for p in paper_series(table_id).get(panel, [])}
        for k, v in enumerate(ordered(panel, [*(test.values if test else []), *points])):
            p, i = points.get(v), (test.values.index(v) if test and v in test.values else None)
            cells = [
                c
                for t in tvo.TSETS
                for c in (p.cells[t] if p else "—", mean_ci(test.mean(t)[i], test.ci(t)[i]) if i is not None else "—")
            ]
            both = "—" if i is None else f"{pooled.mean('same')[i]:.3f} / {pooled.mean('disjoint')[i]:.3f}"
            rows.append(
                (
                    tvo.PANEL_LABEL[panel] if k == 0 else "",
                    x_text(panel, v),
                    *cells,
                    both,
                    len(test.seeds) if i is not None else "",
                )
            )
    return html_table(
        (
            "panel",
            "x",
            "paper: same",
            "ours: same",
            "paper: disjoint",
            "ours: disjoint",
            "ours, pooled (B1): same / disjoint",
            "n seeds",
        ),
        rows,
        left=2,
        caption=f"Paper ({table_id}, 10 seeds) beside this build ({profile}; mean ± 95 % t-interval "
        "half-width over the panel's n complete seeds, clean test accuracy; — = no point at this x)",
    ) + paper_notes(table_id)


def training_table(records: list[dict], profile: str = "", classes: Callable[[dict], int] = pretraining_classes) -> str:
    """Each pretrained model's accuracy on its own (PT) task beside chance on that task, per panel point."""
    rows = []
    for panel in tvo.PANELS:
        d = tvo.panel_data(records, panel, "training")
        if d is None:
            rows.append((tvo.PANEL_LABEL[panel], NOT_HERE, "", "", "", "", ""))
            continue
        chance = pt_chance(records, panel, classes)
        for i, v in enumerate(d.values):
            rows.append(
                (
                    tvo.PANEL_LABEL[panel] if i == 0 else "",
                    x_text(panel, v),
                    round(1 / chance[v]),
                    f"{chance[v]:.3f}",
                    *(mean_ci(d.mean(t)[i], d.ci(t)[i]) for t in tvo.TSETS),
                    len(d.seeds),
                )
            )
    return html_table(
        ("panel", "value", "PT classes", "chance", "same: PT-task accuracy", "disjoint: PT-task accuracy", "n seeds"),
        rows,
        left=2,
        caption=f"Pretrained models on their own task, this build ({profile}): clean test accuracy, "
        "mean ± 95 % t-interval half-width over the panel's complete seeds",
    )


def differences_table(
    records: list[dict],
    stage: str = "lp",
    ft_n: int | None = None,
    *,
    paper_table: str | None = None,
    caption: str = "",
) -> str:
    """Per factor: the paper's printed ranges and difference (`paper_table`: E-1c, E-2b, E-3a-diff, ...) beside
    ours; our difference of means with its 95 % half-width over seeds, and on the pooled accuracy (B1)."""
    ours = tvo.differences(records, stage, ft_n)
    pooled = tvo.differences(records, stage, ft_n, "pooled_accuracy")
    printed = {PAPER_PANEL[row[0]]: row[1:] for row in paper.TABLES[paper_table].rows} if paper_table else {}
    rows = []
    for p in tvo.DIFF_PANELS:
        pp, d = printed.get(p, ("—",) * 3), ours.get(p)
        if d is None:
            rows.append((tvo.PANEL_LABEL[p], pp[0], NOT_HERE, pp[1], "", pp[2], "", ""))
            continue
        acc = tvo.panel_data(records, p, stage, ft_n).acc
        half = float(ci95(acc["same"].mean(axis=1) - acc["disjoint"].mean(axis=1)))  # over the per-seed differences
        rows.append(
            (
                tvo.PANEL_LABEL[p],
                pp[0],
                f"{d.disjoint_range:.3f} ({d.disjoint_min:.3f}–{d.disjoint_max:.3f})",
                pp[1],
                f"{d.same_range:.3f} ({d.same_min:.3f}–{d.same_max:.3f})",
                pp[2],
                (f"{mean_ci(d.difference, half)} ({d.same_mean:.3f} vs {d.disjoint_mean:.3f}), n = {len(d.seeds)}"),
                f"{pooled[p].difference:.3f}",
            )
        )
    return html_table(
        (
            "factor",
            "disjoint range: paper",
            "ours",
            "same range: paper",
            "ours",
            "same − disjoint: paper",
            "ours (± 95 %)",
            "ours, pooled (B1)",
        ),
        rows,
        wrap=True,
        caption=caption + (f" (paper: {paper_table})" if paper_table else ""),
    ) + (paper_notes(paper_table) if paper_table else "")


def task_table(records: list[dict]) -> str:
    """The transformations and objects each seed of the records drew (empty without records)."""
    if not records:
        return ""
    n = records[0]["config"]["num_target"]
    rows = []
    for seed in sorted({r["config"]["seed"] for r in records}):
        config_seed = grid.SEEDS[seed][0]
        t = grid.task(config_seed, n)
        rows.append(
            (
                seed,
                config_seed,
                ", ".join(t["transforms"]["same"]),
                ", ".join(t["transforms"]["disjoint"]),
                " ".join(map(str, t["target"])),
                " ".join(map(str, t["classes"]["disjoint"])),
            )
        )
    return html_table(
        (
            "seed",
            "config seed",
            "same (target) transforms",
            "disjoint transforms",
            f"target objects ({n})",
            f"disjoint PT objects ({n})",
        ),
        rows,
        left=6,
        wrap=True,
        caption="Task instance of each seed (drawn with the original's call sequence; subset = the first "
        "third of the target objects, superset = target ∪ disjoint)",
    )


def _acc(a: dict) -> str:
    return f"{a['test_accuracy']:.3f} ({a['pooled_accuracy']:.3f})"


def seed_table(records: list[dict], seed: int, panel: str) -> str:
    """HTML: the transformations of one seed and every stored point of one panel on that seed alone."""
    recs = {
        (r["config"]["value"], r["config"]["transform_set"]): r
        for r in records
        if r["config"]["seed"] == seed and r["config"]["panel"] == panel
    }
    if not recs:
        return f"<p>{NOT_HERE} for this seed</p>"
    t = grid.task(grid.SEEDS[seed][0], next(iter(recs.values()))["config"]["num_target"])
    own_n = panel == "ft_samples"
    ft_keys = [] if own_n else sorted({int(k) for r in recs.values() for k in r["result"]["ft"]})
    rows = []
    for v in ordered(panel, [k[0] for k in recs]):
        for ts in tvo.TSETS:
            r = recs.get((v, ts))
            if r is None:
                rows.append((x_text(panel, v), ts, "not stored", "", "", *([""] * (1 if own_n else len(ft_keys)))))
                continue
            res = r["result"]
            ft = (
                [_acc(res["ft"][str(v)])]
                if own_n
                else [_acc(res["ft"][str(k)]) if str(k) in res["ft"] else "" for k in ft_keys]
            )
            rows.append(
                (
                    x_text(panel, v),
                    ts,
                    (
                        f"{res['arch']}, {len(set(res['pt_transforms']))} transforms: "
                        f"{', '.join(res['pt_transforms'])}; {res['pt_classes']} classes, {res['n_pt']} PT samples"
                    ),
                    _acc(res["training"]),
                    _acc(res["lp"]),
                    *ft,
                )
            )
    head = (
        f"<p><b>same (target) transforms:</b> {', '.join(t['transforms']['same'])} · "
        f"<b>disjoint:</b> {', '.join(t['transforms']['disjoint'])}</p>"
    )
    ft_cols = ["LP→FT (own n)"] if own_n else [f"LP→FT {k}" for k in ft_keys]
    return head + html_table(
        ("value", "PT transforms", "pretraining", "training", "LP", *ft_cols),
        rows,
        left=3,
        wrap=True,
        caption=f"seed {seed}, {tvo.PANEL_LABEL[panel]}",
    )
