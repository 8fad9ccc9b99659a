"""Figures and widgets of the E-1/E-2 chapter (`tvo`); the E-3 chapter (`cifar_tvo.figures`) reuses them per
dataset; the tables are in `tables`.

Every function reads the records of `invtl.book.pages.load` and returns a matplotlib figure, an HTML or
Markdown string, a widget, or a list of those; `invtl.book.html.show` displays them in order. Our numbers are seed means over
each panel's complete seeds (`analysis.panel_data`) of the clean test accuracy, with the half-width of the
95 % t-interval (none for one seed) and the number of seeds; the paper's numbers are its read-off seed means
(10 seeds, pooled train + val + test accuracy, bug B1).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from invtl.book.style import html_widget
from invtl.experiments.tvo import analysis as tvo
from invtl.experiments.tvo import tables

if TYPE_CHECKING:
    from ipywidgets import Widget

COLORS = {"same": "C0", "disjoint": "C1"}


XLABEL = {"pt_samples": "# PT samples", "ft_samples": "# target samples"}


def plot_panel(
    ax: Axes,
    records: list[dict],
    panel: str,
    stage: str = "lp",
    ft_n: int | None = None,
    paper_points: Sequence[tables.PaperPoint] = (),
    classes: Callable[[dict], int] = tables.pretraining_classes,
    xlabel: dict = XLABEL,
) -> None:
    """One panel: transfer (circles, solid) and PT-task accuracy (squares, dashed) with 95 % bands, the paper's
    transfer (open diamonds, dotted), chance on the target (grey dotted line) and on the PT task (grey ticks)."""
    transfer = tvo.panel_data(records, panel, stage, ft_n)
    training = tvo.panel_data(records, panel, "training")
    xs = tables.ordered(panel, [v for d in (transfer, training) if d for v in d.values] + [p.x for p in paper_points])
    numeric = panel in ("pt_samples", "ft_samples")
    pos = (lambda v: float(v)) if numeric else xs.index
    ax.set_title(tvo.PANEL_LABEL[panel] + ("" if transfer else f" ({tables.NOT_HERE})"), fontsize=11)
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
        chance = tables.pt_chance(records, panel, classes)
        ax.plot(
            [pos(v) for v in training.values],
            [chance[v] for v in training.values],
            ls="none",
            marker="_",
            ms=12,
            mew=1.5,
            color="0.4",
        )
    if not xs:
        ax.text(
            0.5,
            0.5,
            tables.NOT_HERE.replace(" ", "\n", 1),
            ha="center",
            va="center",
            transform=ax.transAxes,
            color="0.4",
        )
    if numeric and xs:
        ax.set_xscale("log")
        ax.minorticks_off()
    ticks = [f"{v / 1000:g}k" if numeric and v >= 1000 else tables.x_text(panel, v) for v in xs]
    turn = {} if panel == "class_relationship" else {"rotation": 40, "ha": "right", "rotation_mode": "anchor"}
    ax.set_xticks([pos(v) for v in xs], ticks, fontsize=9, **turn)
    ax.set_xlabel(xlabel.get(panel, ""))


def panel_figure(
    records: list[dict],
    stage: str = "lp",
    ft_n: int | None = None,
    *,
    title: str = "",
    paper_table: str | None = None,
    classes: Callable[[dict], int] = tables.pretraining_classes,
    xlabel: dict = XLABEL,
) -> Figure:
    """The four panels (2 × 2) of E-1 (stage "lp") or E-2 (stage "ft" at FT size `ft_n`), with the paper's
    points of `paper_table` when given."""
    points = tables.paper_series(paper_table) if paper_table else {}
    fig, axes = plt.subplots(2, 2, figsize=(7.6, 7.2), sharey=True, layout="constrained")
    for i, (ax, p) in enumerate(zip(axes.ravel(), tvo.PANELS)):
        plot_panel(ax, records, p, stage, ft_n, points.get(p, ()), classes, xlabel)
        ax.set_ylabel("accuracy" if i % 2 == 0 else "")
    handles = [Line2D([], [], color=COLORS[t], lw=6, label=t) for t in tvo.TSETS]
    handles += [
        Line2D([], [], color="k", marker="o", label="transfer, ours (mean, 95 % band)"),
        Line2D([], [], color="k", marker="s", ls="--", label="PT task, ours"),
    ]
    if points:
        handles.append(Line2D([], [], color="k", marker="D", mfc="white", ls=":", lw=1, label="transfer, paper"))
    handles += [
        Line2D([], [], color="0.4", ls=":", label="chance, target task"),
        Line2D([], [], color="0.4", ls="none", marker="_", ms=12, mew=1.5, label="chance, PT task"),
    ]
    fig.legend(handles=handles, loc="outside lower center", ncol=3, frameon=False, fontsize=8.5)
    fig.suptitle(title)
    return fig


def panels_summary(records: list[dict]) -> str:
    """Markdown list: the points and complete seeds of every panel in the store."""
    lines = []
    for p in tvo.PANELS:
        d = tvo.panel_data(records, p, "lp")
        left = f" (incomplete, left out: {', '.join(map(str, d.partial_seeds))})" if d and d.partial_seeds else ""
        stored = tvo.stored_results(records, p)
        missing = (
            f"incomplete: {stored} results stored, no seed has every point yet"
            if stored
            else f"{tables.NOT_HERE} (no seed with every point stored)"
        )
        lines.append(
            f"- **{tvo.PANEL_LABEL[p]}**: "
            + (f"{len(d.values)} points, seeds {', '.join(map(str, d.seeds))}{left}" if d else missing)
        )
    return "Panels in the store:\n\n" + "\n".join(lines)


def differences_axes(ax: Axes, diffs: dict[str, tvo.Differences], title: str, missing: str = tables.NOT_HERE) -> None:
    """Range bars of the disjoint (orange) and same (blue) means across a factor's values, dot at their mean,
    and the difference of means (black); the numbers are the bar lengths."""
    ax.set_title(title, fontsize=11)
    for i, p in enumerate(tvo.DIFF_PANELS):
        y, d = len(tvo.DIFF_PANELS) - 1 - i, diffs.get(p)
        if d is None:
            ax.text(0.5, y, missing, va="center", ha="center", color="0.4", fontsize=9)
            continue
        for off, lo, hi, mean, color in (
            (0.22, d.disjoint_min, d.disjoint_max, d.disjoint_mean, COLORS["disjoint"]),
            (0.0, d.same_min, d.same_max, d.same_mean, COLORS["same"]),
        ):
            ax.plot([lo, hi], [y + off] * 2, color=color, lw=6, solid_capstyle="butt")
            ax.plot([mean], [y + off], "o", color="white", mec=color, ms=5)
            ax.text(hi + 0.01, y + off, f"{hi - lo:.2f}", va="center", fontsize=9)
        lo, hi = sorted((d.disjoint_mean, d.same_mean))
        ax.plot([lo, hi], [y - 0.22] * 2, color="black", lw=6, solid_capstyle="butt")
        ax.text(hi + 0.01, y - 0.22, f"{d.difference:.2f}", va="center", fontsize=9)
    ax.set_yticks(
        range(len(tvo.DIFF_PANELS)), [tvo.PANEL_LABEL[p].replace(" ", "\n", 1) for p in reversed(tvo.DIFF_PANELS)]
    )
    ax.set(ylim=(-0.6, len(tvo.DIFF_PANELS) - 0.4), xlim=(0, 1.12), xlabel="mean transfer accuracy")
    ax.grid(axis="y", visible=False)


def differences_figure(
    records: list[dict], stage: str = "lp", ft_n: int | None = None, *, paper_table: str | None = None, title: str = ""
) -> Figure:
    """The performance differences of this build (right), and of the paper's points of `paper_table` (left)."""
    fig, axes = plt.subplots(
        1,
        2 if paper_table else 1,
        figsize=(7.6 if paper_table else 4.6, 3.3),
        sharey=True,
        squeeze=False,
        layout="constrained",
    )
    if paper_table:
        differences_axes(
            axes[0][0],
            tables.paper_differences(paper_table),
            f"paper ({paper_table}, read-off means)",
            "not readable in the paper",
        )
    differences_axes(axes[0][-1], tvo.differences(records, stage, ft_n), title)
    fig.legend(
        [
            Line2D([], [], color=COLORS["disjoint"], lw=6),
            Line2D([], [], color=COLORS["same"], lw=6),
            Line2D([], [], color="black", lw=6),
        ],
        ["disjoint: range across values", "same: range across values", "same − disjoint: difference of means"],
        loc="outside lower center",
        ncol=2,
        frameon=False,
        fontsize=8.5,
    )
    return fig


def e2_parts(records: list[dict], profile: str) -> list:
    """The E-2 section: per FT size a heading, the panels, the differences and, for the smallest size (the
    paper's 200 samples), the paper's E-2a / E-2b numbers beside ours."""
    parts: list = []
    for i, n in enumerate(tvo.ft_sizes(records) or [None]):
        if all(tvo.panel_data(records, p, "ft", n) is None for p in tvo.PANELS):
            continue
        label, first = (f"FT on {n} samples" if n else "FT-samples panel"), i == 0
        stand_in = " (this profile's stand-in for the paper's 200 samples)" if first and n not in (None, 200) else ""
        parts += [
            f"### {label}{stand_in}",
            panel_figure(
                records,
                "ft",
                n,
                paper_table="E-2a" if first else None,
                title=f"E-2, this build ({profile}): LP→FT, {label} (FT-samples panel: its own n)",
            ),
            differences_figure(
                records, "ft", n, paper_table="E-2a" if first else None, title=f"this build ({profile}), {label}"
            ),
            tables.differences_table(
                records,
                "ft",
                n,
                paper_table="E-2b" if first else None,
                caption=f"E-2 performance differences, this build ({profile}, {label})",
            ),
        ]
        if first:
            parts.append(tables.beside_table(records, "E-2a", "ft", n, profile))
    return parts or ["No fine-tuning results in this profile/run."]


def seed_tabs(records: list[dict]) -> Widget:
    """A tab per seed, and in it a tab per stored panel with its `tables.seed_table`."""
    import ipywidgets as widgets

    seeds = sorted({r["config"]["seed"] for r in records})
    if not seeds:
        return html_widget("<p>No results in the store for this profile.</p>")
    tabs = []
    for s in seeds:
        panels = [p for p in tvo.PANELS if any(r["config"]["seed"] == s and r["config"]["panel"] == p for r in records)]
        tabs.append(
            widgets.Tab(
                children=[html_widget(tables.seed_table(records, s, p)) for p in panels],
                titles=[tvo.PANEL_LABEL[p] for p in panels],
            )
        )
    return widgets.Tab(children=tabs, titles=[f"seed {s}" for s in seeds])
