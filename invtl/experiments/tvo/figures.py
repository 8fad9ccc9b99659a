"""Figures, tables and widgets of the E-1/E-2 chapter (`tvo`); the E-3 chapter (`cifar_tvo.figures`) reuses
them per dataset.

Every function reads the records of `invtl.book.pages.load` and returns a matplotlib figure, an HTML or
Markdown string, a widget, or a list of those; `show` displays them in order. Our numbers are seed means over
each panel's complete seeds (`analysis.panel_data`) of the clean test accuracy, with the half-width of the
95 % t-interval (none for one seed) and the number of seeds; the paper's numbers are its read-off seed means
(10 seeds, pooled train + val + test accuracy, bug B1).
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from invtl import claims, paper
from invtl.book.html import html_table, md, show_html
from invtl.book.style import html_widget
from invtl.experiments.tvo import analysis as tvo
from invtl.experiments.tvo import grid
from invtl.stats import ci95

if TYPE_CHECKING:
    from ipywidgets import Widget

COLORS = {"same": "C0", "disjoint": "C1"}
XLABEL = {"pt_samples": "# PT samples", "ft_samples": "# target samples"}
PAPER_PANEL = {**tvo.PAPER_TABLE_PANEL, "PT samples per class": "pt_samples", "FT samples (fraction per class)": "ft_samples"}
"""Panel names of the paper's E-1a, E-2a, E-3a and E-3b tables -> our panels."""
NOT_HERE = "not in this profile/run"


def show(*items: object) -> None:
    """Display items in order: a figure (then closed), HTML (a string starting with "<"), Markdown (any other
    string), or anything else IPython can display (a widget)."""
    from IPython.display import display

    for item in items:
        if isinstance(item, str):
            (show_html if item.lstrip().startswith("<") else md)(item)
        else:
            display(item)
            if isinstance(item, Figure):
                plt.close(item)


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
    """"mean ± half-width", or the mean alone when there is no interval (one seed)."""
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
        out.setdefault(panel, []).append(PaperPoint(paper_x(panel, row[1]), {t: paper.number(c) for t, c in cells.items()}, cells))
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
            out[panel] = tvo.Differences(panel, min(j), max(j), float(np.mean(j)), min(s), max(s), float(np.mean(s)), [], [])
    return out


def plot_panel(ax: Axes, records: list[dict], panel: str, stage: str = "lp", ft_n: int | None = None,
               paper_points: Sequence[PaperPoint] = (), classes: Callable[[dict], int] = pretraining_classes,
               xlabel: dict = XLABEL) -> None:
    """One panel: transfer (circles, solid) and PT-task accuracy (squares, dashed) with 95 % bands, the paper's
    transfer (open diamonds, dotted), chance on the target (grey dotted line) and on the PT task (grey ticks)."""
    transfer = tvo.panel_data(records, panel, stage, ft_n)
    training = tvo.panel_data(records, panel, "training")
    xs = ordered(panel, [v for d in (transfer, training) if d for v in d.values] + [p.x for p in paper_points])
    numeric = panel in ("pt_samples", "ft_samples")
    pos = (lambda v: float(v)) if numeric else xs.index
    ax.set_title(tvo.PANEL_LABEL[panel] + ("" if transfer else f" ({NOT_HERE})"), fontsize=11)
    ax.set_ylim(0, 1.04)
    for t in tvo.TSETS:
        known = [(pos(p.x), p.values[t]) for p in paper_points if p.values[t] is not None]
        if known:
            ax.plot(*zip(*known), ls=":", marker="D", mfc="white", color=COLORS[t], lw=1, ms=4)
        for d, marker, ls in ((transfer, "o", "-"), (training, "s", "--")):
            if d is None:
                continue
            x, m, h = [pos(v) for v in d.values], d.mean(t), d.ci(t)
            ax.plot(x, m, marker=marker, ls=ls, color=COLORS[t], ms=5, lw=1.6)
            if np.isfinite(h).all():
                ax.fill_between(x, m - h, m + h, color=COLORS[t], alpha=0.15, lw=0)
    if transfer is not None:
        ax.axhline(1 / records[0]["config"]["num_target"], color="0.4", ls=":", lw=1)
    if training is not None:
        chance = pt_chance(records, panel, classes)
        ax.plot([pos(v) for v in training.values], [chance[v] for v in training.values], ls="none", marker="_",
                ms=12, mew=1.5, color="0.4")
    if not xs:
        ax.text(0.5, 0.5, NOT_HERE.replace(" ", "\n", 1), ha="center", va="center", transform=ax.transAxes, color="0.4")
    if numeric and xs:
        ax.set_xscale("log")
        ax.minorticks_off()
    ticks = [f"{v / 1000:g}k" if numeric and v >= 1000 else x_text(panel, v) for v in xs]
    turn = {} if panel == "class_relationship" else {"rotation": 40, "ha": "right", "rotation_mode": "anchor"}
    ax.set_xticks([pos(v) for v in xs], ticks, fontsize=9, **turn)
    ax.set_xlabel(xlabel.get(panel, ""))


def panel_figure(records: list[dict], stage: str = "lp", ft_n: int | None = None, *, title: str = "",
                 paper_table: str | None = None, classes: Callable[[dict], int] = pretraining_classes,
                 xlabel: dict = XLABEL) -> Figure:
    """The four panels (2 × 2) of E-1 (stage "lp") or E-2 (stage "ft" at FT size `ft_n`), with the paper's
    points of `paper_table` when given."""
    points = paper_series(paper_table) if paper_table else {}
    fig, axes = plt.subplots(2, 2, figsize=(7.6, 7.2), sharey=True, layout="constrained")
    for i, (ax, p) in enumerate(zip(axes.ravel(), tvo.PANELS)):
        plot_panel(ax, records, p, stage, ft_n, points.get(p, ()), classes, xlabel)
        ax.set_ylabel("accuracy" if i % 2 == 0 else "")
    handles = [Line2D([], [], color=COLORS[t], lw=6, label=t) for t in tvo.TSETS]
    handles += [Line2D([], [], color="k", marker="o", label="transfer, ours (mean, 95 % band)"),
                Line2D([], [], color="k", marker="s", ls="--", label="PT task, ours")]
    if points:
        handles.append(Line2D([], [], color="k", marker="D", mfc="white", ls=":", lw=1, label="transfer, paper"))
    handles += [Line2D([], [], color="0.4", ls=":", label="chance, target task"),
                Line2D([], [], color="0.4", ls="none", marker="_", ms=12, mew=1.5, label="chance, PT task")]
    fig.legend(handles=handles, loc="outside lower center", ncol=3, frameon=False, fontsize=8.5)
    fig.suptitle(title)
    return fig


def panels_summary(records: list[dict]) -> str:
    """Markdown list: the points and complete seeds of every panel in the store."""
    lines = []
    for p in tvo.PANELS:
        d = tvo.panel_data(records, p, "lp")
        left = f" (incomplete, left out: {', '.join(map(str, d.partial_seeds))})" if d and d.partial_seeds else ""
        lines.append(f"- **{tvo.PANEL_LABEL[p]}**: " + (f"{len(d.values)} points, seeds {', '.join(map(str, d.seeds))}{left}"
                                                        if d else f"{NOT_HERE} (no seed with every point stored)"))
    return "Panels in the store:\n\n" + "\n".join(lines)


def beside_table(records: list[dict], table_id: str, stage: str = "lp", ft_n: int | None = None,
                 profile: str = "") -> str:
    """Per panel, the paper's points (`table_id`) beside ours at the same x: mean ± 95 % half-width over the
    panel's n seeds of the clean test accuracy, and the pooled accuracy (the paper's metric, B1)."""
    rows = []
    for panel in tvo.PANELS:
        test = tvo.panel_data(records, panel, stage, ft_n)
        pooled = tvo.panel_data(records, panel, stage, ft_n, "pooled_accuracy")
        points = {p.x: p for p in paper_series(table_id).get(panel, [])}
        for k, v in enumerate(ordered(panel, [*(test.values if test else []), *points])):
            p, i = points.get(v), (test.values.index(v) if test and v in test.values else None)
            cells = [c for t in tvo.TSETS for c in (p.cells[t] if p else "—",
                                                   mean_ci(test.mean(t)[i], test.ci(t)[i]) if i is not None else "—")]
            both = "—" if i is None else f"{pooled.mean('same')[i]:.3f} / {pooled.mean('disjoint')[i]:.3f}"
            rows.append((tvo.PANEL_LABEL[panel] if k == 0 else "", x_text(panel, v), *cells, both,
                         len(test.seeds) if i is not None else ""))
    return html_table(("panel", "x", "paper: same", "ours: same", "paper: disjoint", "ours: disjoint",
                       "ours, pooled (B1): same / disjoint", "n seeds"), rows, left=2,
                      caption=f"Paper ({table_id}, 10 seeds) beside this build ({profile}; mean ± 95 % t-interval "
                              "half-width over the panel's n complete seeds, clean test accuracy; — = no point at this x)"
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
            rows.append((tvo.PANEL_LABEL[panel] if i == 0 else "", x_text(panel, v), round(1 / chance[v]),
                         f"{chance[v]:.3f}", *(mean_ci(d.mean(t)[i], d.ci(t)[i]) for t in tvo.TSETS), len(d.seeds)))
    return html_table(("panel", "value", "PT classes", "chance", "same: PT-task accuracy", "disjoint: PT-task accuracy",
                       "n seeds"), rows, left=2,
                      caption=f"Pretrained models on their own task, this build ({profile}): clean test accuracy, "
                              "mean ± 95 % t-interval half-width over the panel's complete seeds")


def differences_axes(ax: Axes, diffs: dict[str, tvo.Differences], title: str, missing: str = NOT_HERE) -> None:
    """Range bars of the disjoint (orange) and same (blue) means across a factor's values, dot at their mean,
    and the difference of means (black); the numbers are the bar lengths."""
    ax.set_title(title, fontsize=11)
    for i, p in enumerate(tvo.DIFF_PANELS):
        y, d = len(tvo.DIFF_PANELS) - 1 - i, diffs.get(p)
        if d is None:
            ax.text(0.5, y, missing, va="center", ha="center", color="0.4", fontsize=9)
            continue
        for off, lo, hi, mean, color in ((0.22, d.disjoint_min, d.disjoint_max, d.disjoint_mean, COLORS["disjoint"]),
                                          (0.0, d.same_min, d.same_max, d.same_mean, COLORS["same"])):
            ax.plot([lo, hi], [y + off] * 2, color=color, lw=6, solid_capstyle="butt")
            ax.plot([mean], [y + off], "o", color="white", mec=color, ms=5)
            ax.text(hi + 0.01, y + off, f"{hi - lo:.2f}", va="center", fontsize=9)
        lo, hi = sorted((d.disjoint_mean, d.same_mean))
        ax.plot([lo, hi], [y - 0.22] * 2, color="black", lw=6, solid_capstyle="butt")
        ax.text(hi + 0.01, y - 0.22, f"{d.difference:.2f}", va="center", fontsize=9)
    ax.set_yticks(range(len(tvo.DIFF_PANELS)), [tvo.PANEL_LABEL[p].replace(" ", "\n", 1) for p in reversed(tvo.DIFF_PANELS)])
    ax.set(ylim=(-0.6, len(tvo.DIFF_PANELS) - 0.4), xlim=(0, 1.12), xlabel="mean transfer accuracy")
    ax.grid(axis="y", visible=False)


def differences_figure(records: list[dict], stage: str = "lp", ft_n: int | None = None, *,
                       paper_table: str | None = None, title: str = "") -> Figure:
    """The performance differences of this build (right), and of the paper's points of `paper_table` (left)."""
    fig, axes = plt.subplots(1, 2 if paper_table else 1, figsize=(7.6 if paper_table else 4.6, 3.3), sharey=True,
                             squeeze=False, layout="constrained")
    if paper_table:
        differences_axes(axes[0][0], paper_differences(paper_table), f"paper ({paper_table}, read-off means)",
                         "not readable in the paper")
    differences_axes(axes[0][-1], tvo.differences(records, stage, ft_n), title)
    fig.legend([Line2D([], [], color=COLORS["disjoint"], lw=6), Line2D([], [], color=COLORS["same"], lw=6),
                Line2D([], [], color="black", lw=6)], ["disjoint: range across values", "same: range across values",
               "same − disjoint: difference of means"], loc="outside lower center", ncol=2, frameon=False, fontsize=8.5)
    return fig


def differences_table(records: list[dict], stage: str = "lp", ft_n: int | None = None, *,
                      paper_table: str | None = None, caption: str = "") -> str:
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
        rows.append((tvo.PANEL_LABEL[p], pp[0], f"{d.disjoint_range:.3f} ({d.disjoint_min:.3f}–{d.disjoint_max:.3f})",
                     pp[1], f"{d.same_range:.3f} ({d.same_min:.3f}–{d.same_max:.3f})", pp[2],
                     (f"{mean_ci(d.difference, half)} ({d.same_mean:.3f} vs "
                     f"{d.disjoint_mean:.3f}), n = {len(d.seeds)}"), f"{pooled[p].difference:.3f}"))
    return html_table(("factor", "disjoint range: paper", "ours", "same range: paper", "ours",
                       "same − disjoint: paper", "ours (± 95 %)", "ours, pooled (B1)"), rows, wrap=True,
                      caption=caption + (f" (paper: {paper_table})" if paper_table else "")) + (
                          paper_notes(paper_table) if paper_table else "")


def e2_parts(records: list[dict], profile: str) -> list:
    """The E-2 section: per FT size a heading, the panels, the differences and, for the smallest size (the
    paper's 200 samples), the paper's E-2a / E-2b numbers beside ours."""
    parts: list = []
    for i, n in enumerate(tvo.ft_sizes(records) or [None]):
        if all(tvo.panel_data(records, p, "ft", n) is None for p in tvo.PANELS):
            continue
        label, first = (f"FT on {n} samples" if n else "FT-samples panel"), i == 0
        stand_in = " (this profile's stand-in for the paper's 200 samples)" if first and n not in (None, 200) else ""
        parts += [f"### {label}{stand_in}",
                  panel_figure(records, "ft", n, paper_table="E-2a" if first else None,
                               title=f"E-2, this build ({profile}): LP→FT, {label} (FT-samples panel: its own n)"),
                  differences_figure(records, "ft", n, paper_table="E-2a" if first else None,
                                     title=f"this build ({profile}), {label}"),
                  differences_table(records, "ft", n, paper_table="E-2b" if first else None,
                                    caption=f"E-2 performance differences, this build ({profile}, {label})")]
        if first:
            parts.append(beside_table(records, "E-2a", "ft", n, profile))
    return parts or ["No fine-tuning results in this profile/run."]


def task_table(records: list[dict]) -> str:
    """The transformations and objects each seed of the records drew (empty without records)."""
    if not records:
        return ""
    n = records[0]["config"]["num_target"]
    rows = []
    for seed in sorted({r["config"]["seed"] for r in records}):
        config_seed = grid.SEEDS[seed][0]
        t = grid.task(config_seed, n)
        rows.append((seed, config_seed, ", ".join(t["transforms"]["same"]), ", ".join(t["transforms"]["disjoint"]),
                     " ".join(map(str, t["target"])), " ".join(map(str, t["classes"]["disjoint"]))))
    return html_table(("seed", "config seed", "same (target) transforms", "disjoint transforms", f"target objects ({n})",
                       f"disjoint PT objects ({n})"), rows, left=6, wrap=True,
                      caption="Task instance of each seed (drawn with the original's call sequence; subset = the first "
                              "third of the target objects, superset = target ∪ disjoint)")


def _acc(a: dict) -> str:
    return f"{a['test_accuracy']:.3f} ({a['pooled_accuracy']:.3f})"


def seed_table(records: list[dict], seed: int, panel: str) -> str:
    """HTML: the transformations of one seed and every stored point of one panel on that seed alone."""
    recs = {(r["config"]["value"], r["config"]["transform_set"]): r for r in records
            if r["config"]["seed"] == seed and r["config"]["panel"] == panel}
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
            ft = [_acc(res["ft"][str(v)])] if own_n else [_acc(res["ft"][str(k)]) if str(k) in res["ft"] else "" for k in ft_keys]
            rows.append((x_text(panel, v), ts, (f"{res['arch']}, {len(set(res['pt_transforms']))} transforms: "
                         f"{', '.join(res['pt_transforms'])}; {res['pt_classes']} classes, {res['n_pt']} PT samples"),
                         _acc(res["training"]), _acc(res["lp"]), *ft))
    head = (f"<p><b>same (target) transforms:</b> {', '.join(t['transforms']['same'])} · "
            f"<b>disjoint:</b> {', '.join(t['transforms']['disjoint'])}</p>")
    ft_cols = ["LP→FT (own n)"] if own_n else [f"LP→FT {k}" for k in ft_keys]
    return head + html_table(("value", "PT transforms", "pretraining", "training", "LP", *ft_cols), rows, left=3,
                             wrap=True, caption=f"seed {seed}, {tvo.PANEL_LABEL[panel]}")


def seed_tabs(records: list[dict]) -> Widget:
    """A tab per seed, and in it a tab per stored panel with its `seed_table`."""
    import ipywidgets as widgets

    seeds = sorted({r["config"]["seed"] for r in records})
    if not seeds:
        return html_widget("<p>No results in the store for this profile.</p>")
    tabs = []
    for s in seeds:
        panels = [p for p in tvo.PANELS if any(r["config"]["seed"] == s and r["config"]["panel"] == p for r in records)]
        tabs.append(widgets.Tab(children=[html_widget(seed_table(records, s, p)) for p in panels],
                                titles=[tvo.PANEL_LABEL[p] for p in panels]))
    return widgets.Tab(children=tabs, titles=[f"seed {s}" for s in seeds])


def claim_tests(ids: Sequence[str]) -> str:
    """Markdown: the precise test behind each claim's verdict."""
    return "\n\n".join(f"**The test behind {cid}.** {claims.TESTS[cid]}" for cid in ids)
