"""E-5 (`it`) chapter figures and widgets: the Same / Other / None tables beside the paper's, the model-type
x data-type heatmap, the per-transformation breakdowns, the model explorer and the trained models'
own-task accuracy.

All of them start from `analysis.ratio_frame` (one row per measured ratio). Table cells follow the
paper (mean ± sample std over seeds x counted target transforms, n values) and add the 95 % Student-t
half-width over seeds of the per-seed means (`invtl.stats.ci95`). Figures are returned closed (detached
from pyplot): show them with `display(fig)`.
"""

from __future__ import annotations

import html

import numpy as np
import pandas as pd

from invtl import paper, stats
from invtl.book.html import html_table, paper_table, raw
from invtl.book.style import html_widget
from invtl.experiments.it import analysis as ait
from invtl.t2d.dataset import TRANSFORMS

GROUPS = ("img", "rand")
NUM_CLASSES = 30
"""Classes of the img and rand training tasks (`grid.NUM_CLASSES`; not imported: that module needs torch)."""
E5C_COLUMNS = {
    "op-img": "op-img",
    "op-rand": "op-rand",
    "rp-img": "rp-img",
    "rp-rand": "rp-rand",
    "CIFAR-10": "cifar10",
}
"""Paper table E-5c column -> data type."""
E5C_ROWS = {"img_target (Same)": ("img", "Same"), "img_base (None)": ("img", "None")}
_GREY = '<span style="color:#888">{}</span>'
_SUB = '<br><span style="color:#777;font-size:85%">{}</span>'
_BAR_MAX = 1.2


def _ordered(values, order) -> list:
    rank = {v: i for i, v in enumerate(order)}
    return sorted(set(values), key=lambda v: (rank.get(v, len(rank)), str(v)))


def _seeds_text(seeds) -> str:
    return ", ".join(map(str, seeds)) or "none"


def _bold(cell: str) -> str:
    """An `analysis.group_table` cell as HTML ("**x**" bold, column statuses grey)."""
    text = html.escape(cell)
    if cell.startswith("**"):
        return f"<b>{text.strip('*')}</b>"
    return _GREY.format(text) if cell in (ait.NOT_MEASURED, ait.NOT_IN_PROFILE) else text


def seed_interval(son: pd.DataFrame, group: str, row: str, data_type: str) -> tuple[float, int]:
    """(95 % half-width over seeds of the per-seed means, number of seeds) of one Same / Other / None cell;
    NaN half-width for fewer than two seeds."""
    s = son[(son.group == group) & (son.row == row) & (son.data_type == data_type)].dropna(subset=["value"])
    per_seed = s.groupby("seed").value.mean().to_numpy()
    return (float(stats.ci95(per_seed)) if len(per_seed) else float("nan")), len(per_seed)


def _n_line(n: int, half: float, seeds: int) -> str:
    return f"n = {n}, {seeds} seed{'s' if seeds != 1 else ''}" + (
        f" · 95 % CI ±{half:.3f}" if np.isfinite(half) else ""
    )


def store_table(frame: pd.DataFrame, profile: str) -> str:
    """What the store holds per model group: trained transforms, complete (and incomplete) seeds, target
    transforms and data types."""
    present = [g for g in (*GROUPS, "untrained") if g in set(frame.group)]
    if not present:
        return f"<p>No ResNet-18 <code>it</code> records in the store for profile {profile}.</p>"
    rows = []
    for g in present:
        full, partial, models = ait.complete_seeds(frame, g)
        sub = frame[frame.group == g]
        seeds = _seeds_text(full) + (f" (incomplete: {_seeds_text(partial)})" if partial else "")
        rows.append(
            (
                g,
                ", ".join(models) if g != "untrained" else "—",
                seeds,
                ", ".join(_ordered(sub.target, TRANSFORMS)),
                ", ".join(_ordered(sub.data_type, ait.DATA_TYPE_ORDER)),
            )
        )
    return html_table(
        ("group", "trained on", "seeds", "target transforms", "data types"),
        rows,
        left=5,
        wrap=True,
        caption=f"What the store holds for {profile} (ResNet-18)",
    )


def own_task_table(records: list[dict], arch: str = "resnet18") -> str:
    """Each trained model's accuracy on its own training task (the record's "training" test_accuracy: mean,
    95 % CI and n over seeds) beside chance (1/30); "" when the records hold no such number."""
    rows = {}
    for r in records:
        acc = r["result"].get("training", {}).get("test_accuracy")
        if acc is not None and r["config"]["arch"] == arch:
            rows.setdefault((r["config"]["group"], r["config"]["train_transform"]), []).append(float(acc))
    if not rows:
        return ""
    out = []
    for (group, train), values in sorted(
        rows.items(), key=lambda kv: (kv[0][0], ("none", *TRANSFORMS).index(kv[0][1]))
    ):
        half = float(stats.ci95(values))
        out.append(
            (
                group,
                train,
                f"{np.mean(values):.3f}",
                f"± {half:.3f}" if np.isfinite(half) else "—",
                len(values),
                f"{1 / NUM_CLASSES:.3f}",
            )
        )
    return html_table(
        ("group", "trained on", "own-task test accuracy", "95 % CI", "n seeds", "chance (1/30)"),
        out,
        left=2,
        caption=f"Each trained {arch} on the test split of its own training task",
    )


def son_table(frame: pd.DataFrame, group: str, profile: str) -> str:
    """Table E-5a (img) or E-5b (rand) on our numbers, the paper's value under each cell; the paper's table
    alone when the group was not trained in this profile."""
    tid, cols = ait.TABLE_COLUMNS[group]
    if group not in set(frame.group):
        return (
            f"<p><b>{ait.GROUP_LABEL[group]}:</b> not trained in profile {profile}; the paper's table for "
            f"reference:</p>"
        ) + paper_table(tid)
    son = ait.same_other_none(frame)
    _, rows, _ = ait.group_table(frame, group, son)
    summ = ait.summary(son)
    prow = {r[0]: r[1:] for r in paper.TABLES[tid].rows}
    out = []
    for row in rows:
        cells = []
        for (_, d), cell, pcell in zip(cols, row[1:], prow[row[0]]):
            text = _bold(cell)
            if (group, row[0], d) in summ.index:
                half, seeds = seed_interval(son, group, row[0], d)
                text += _SUB.format(_n_line(int(summ.loc[(group, row[0], d), "n"]), half, seeds))
            ptext = html.escape(pcell.replace("**", ""))
            text += _SUB.format(f"paper <b>{ptext}</b>" if pcell.startswith("**") else f"paper {ptext}")
            cells.append(raw(text))
        out.append((row[0], *cells))
    full = ait.complete_seeds(frame, group)[0]
    roles = "; ".join(f"{ait.column_label(d)} = {label.split('(')[1].rstrip(')')}" for label, d in cols if "(" in label)
    return html_table(
        ["row", *[ait.column_label(d) for _, d in cols]],
        out,
        wrap=True,
        caption=f"{tid} {ait.GROUP_LABEL[group]}: ℓ2 ratio, this build ({profile}, ResNet-18, seeds "
        f"{_seeds_text(full)}): mean ± std over the n seed × transformation values, with the 95 % "
        f"t-interval of the per-seed means; the paper's value (10 seeds × 18) below ({roles})",
    )


def build_summary(records: list[dict], profile: str) -> str:
    """One Markdown paragraph: this build's Same / Other / None means per measured column and the C7 verdict."""
    frame = ait.ratio_frame(records)
    _, verdict = ait.check_c7(records)
    parts = []
    for group in GROUPS:
        if group not in set(frame.group):
            continue
        _, _, m = ait.group_table(frame, group)
        for _, d in ait.TABLE_COLUMNS[group][1]:
            if ait.column_status(frame, d) is None and np.isfinite(m["Same"][d]):
                o = m["Other"][d]
                parts.append(
                    f"{group} models on {ait.column_label(d)}: Same {m['Same'][d]:.2f}, "
                    + (f"Other {o:.2f}, " if np.isfinite(o) else "")
                    + f"None {m['None'][d]:.2f}"
                )
    if not parts:
        return f"**In this build ({profile}):** no Same / None column can be formed. The C7 check says **{verdict}**."
    return (
        f"**In this build ({profile}):** " + "; ".join(parts) + f". The C7 check says **{verdict}** (details and "
        "the exact test at the end of the page)."
        + (" With the smoke profile this only shows that the pipeline runs." if profile == "smoke" else "")
    )


def heatmap(ax, m: np.ndarray, rows: list[str], cols: list[str], title: str, vmax: float | None = None):
    """A reversed-magma heatmap of `m` (rows x cols) on `ax`, cells annotated when there are at most 120;
    returns the image for a colour bar."""
    finite = np.isfinite(m).any()
    vmax = vmax or max(1.0, float(np.nanmax(m)) if finite else 1.0)
    im = ax.imshow(m, cmap="magma_r", vmin=0, vmax=vmax, aspect="auto")
    ax.set_xticks(range(len(cols)), cols, rotation=40, ha="right")
    ax.set_yticks(range(len(rows)), rows)
    ax.grid(False)
    if m.size <= 120:
        for (i, j), v in np.ndenumerate(m):
            if np.isfinite(v):
                ax.text(
                    j,
                    i,
                    f"{v:.2f}",
                    ha="center",
                    va="center",
                    fontsize=8.5,
                    color="white" if v > 0.55 * vmax else "black",
                )
    ax.set_title(title)
    return im


def model_type_heatmap(frame: pd.DataFrame, profile: str):
    """Mean l2 ratio of every model type (img/rand Same, Other, None; untrained) on every measured data type;
    a Markdown note when the store holds nothing for the profile."""
    import matplotlib.pyplot as plt
    from IPython.display import Markdown

    if frame.empty:
        return Markdown("No results to plot.")
    labels, dts, mat = ait.model_type_matrix(frame)
    fig, ax = plt.subplots(figsize=(3.4 + 0.8 * len(dts), 1.1 + 0.42 * len(labels)))
    im = heatmap(ax, mat, labels, [ait.column_label(d) for d in dts], f"mean ℓ2 ratio ({profile}, ResNet-18)")
    fig.colorbar(im, ax=ax, shrink=0.8, label="ℓ2 ratio (lower = more invariant)")
    plt.close(fig)
    return fig


def model_type_table(frame: pd.DataFrame, profile: str) -> str:
    """Paper table E-5c (img Same and None on a few data types) with ours beside each paper cell."""
    son = ait.same_other_none(frame)
    summ = ait.summary(son)
    prow = {r[0]: r[1:] for r in paper.TABLES["E-5c"].rows}
    out = []
    for label, (group, row) in E5C_ROWS.items():
        cells = []
        for (_column, d), pcell in zip(E5C_COLUMNS.items(), prow[label]):
            if (group, row, d) in summ.index:
                half, seeds = seed_interval(son, group, row, d)
                ours = f"{summ.loc[(group, row, d), 'mean']:.3f}" + (f" ± {half:.3f}" if np.isfinite(half) else "")
                text = ours + _SUB.format(f"{seeds} seed{'s' if seeds != 1 else ''}")
            else:
                text = _GREY.format(ait.column_status(frame, d) or "—")
            cells.append(raw(text + _SUB.format(f"paper {html.escape(pcell)}")))
        out.append((label, *cells))
    return html_table(
        ("model type", *E5C_COLUMNS),
        out,
        wrap=True,
        caption=f"E-5c: ours ({profile}, ResNet-18; mean over seeds × transformations ± the 95 % "
        "t-interval of the per-seed means) and the paper's value (10 seeds × 18) below",
    )


def breakdown_figures(frame: pd.DataFrame) -> list:
    """Per trained group, one figure of training (rows) x target (columns) seed-mean ratios on each measured
    data type, the Same cells boxed (the paper's 19 x 18 appendix maps); a Markdown note when there is none."""
    import matplotlib.pyplot as plt
    from IPython.display import Markdown
    from matplotlib.patches import Rectangle

    figures = []
    for group in [g for g in GROUPS if g in set(frame.group)]:
        dts = _ordered(frame[frame.group == group].data_type, ait.DATA_TYPE_ORDER)
        mats = [ait.breakdown(frame, group, d) for d in dts]
        models, targets, _ = mats[0]
        if not targets:
            continue
        vmax = max(1.0, max(float(np.nanmax(m)) for _, _, m in mats))
        ncol = min(3, len(dts))
        nrow = -(-len(dts) // ncol)
        w, h = 0.5 * len(targets) + 1.0, 0.32 * len(models) + 1.0
        fig, axes = plt.subplots(nrow, ncol, figsize=(min(11.5, ncol * w + 1.0), nrow * h + 0.4), squeeze=False)
        for k, (d, (mod, tg, m)) in enumerate(zip(dts, mats)):
            ax = axes[k // ncol][k % ncol]
            im = heatmap(ax, m, mod, tg, ait.column_label(d), vmax=vmax)
            for i, a in enumerate(mod):
                if a in tg:
                    ax.add_patch(Rectangle((tg.index(a) - 0.5, i - 0.5), 1, 1, fill=False, ec="#2a9d8f", lw=1.8))
            if k % ncol:
                ax.set_yticklabels([])
        for k in range(len(dts), nrow * ncol):
            axes[k // ncol][k % ncol].axis("off")
        fig.colorbar(im, ax=axes, shrink=0.8, label="ℓ2 ratio")
        fig.suptitle(
            f"{ait.GROUP_LABEL[group]}: training (rows) × target (columns) transformation; boxes = Same", fontsize=11
        )
        plt.close(fig)
        figures.append(fig)
    return figures or [Markdown("No trained models in the store for this profile.")]


def _bar(v: float, color: str) -> str:
    if not np.isfinite(v):
        return ""
    w = round(140 * min(v, _BAR_MAX) / _BAR_MAX)
    return f'<div style="display:inline-block;width:{w}px;height:10px;background:{color};vertical-align:middle"></div>'


def _profile(frame: pd.DataFrame, group: str, train: str, target: str) -> dict[str, tuple[float, float, int]]:
    """data type -> (mean, 95 % half-width, n seeds) of one model under one target transform."""
    seeds = ait.complete_seeds(frame, group)[0] if group != "untrained" else sorted(frame.seed.unique())
    g = frame[(frame.group == group) & (frame.train == train) & (frame.target == target) & frame.seed.isin(seeds)]
    out = {}
    for d in _ordered(g.data_type, ait.DATA_TYPE_ORDER):
        v = g[g.data_type == d].value.to_numpy()
        out[d] = (float(v.mean()), float(stats.ci95(v)), len(v))
    return out


def _fmt(cell: tuple[float, float, int] | None) -> str:
    if cell is None:
        return "—"
    mean, half, _ = cell
    return f"{mean:.3f}" + (f" ± {half:.3f}" if np.isfinite(half) else "")


def model_leaf(frame: pd.DataFrame, group: str, train: str, target: str) -> str:
    """One model's ratio under one target transform on every data type (mean ± 95 % CI over the group's
    complete seeds), beside the group's `none` model and the untrained network."""
    prof = _profile(frame, group, train, target)
    ref = _profile(frame, group, "none", target) if group != "untrained" else None
    unt = _profile(frame, "untrained", "none", target) if "untrained" in set(frame.group) and ref is not None else None
    rows = [
        (d, _fmt(p), raw(_bar(p[0], "#3b0f70")), *[_fmt(x.get(d)) for x in (ref, unt) if x is not None])
        for d, p in prof.items()
    ]
    n = max((p[2] for p in prof.values()), default=0)
    name = "untrained network" if group == "untrained" else f"{group} model trained on {train}"
    kind = (
        ""
        if group == "untrained"
        else " (Same)"
        if train == target
        else " (None)"
        if train == "none"
        else " (one of Other)"
    )
    head = ("data type", "this model", "", *[h for h, x in (("none model", ref), ("untrained", unt)) if x is not None])
    return html_table(
        head,
        rows,
        wrap=True,
        caption=f"ℓ2 ratio under {target}: {name}{kind}; mean ± 95 % CI over n = {n} seed{'s' if n != 1 else ''}",
    )


def model_explorer(frame: pd.DataFrame):
    """Tabs: model group, then training transform, then target transform, each leaf a `model_leaf` table
    (every choice precomputed, so the tabs work on the static page)."""
    import ipywidgets as widgets

    def targets(group: str, train: str):
        tgs = _ordered(frame[frame.group == group].target, TRANSFORMS)
        return widgets.Tab(
            children=[html_widget(model_leaf(frame, group, train, t)) for t in tgs],
            titles=[f"target: {t}" for t in tgs],
        )

    outer = []
    for group in [g for g in (*GROUPS, "untrained") if g in set(frame.group)]:
        if group == "untrained":
            outer.append(("untrained", targets(group, "none")))
            continue
        models = ait.complete_seeds(frame, group)[2]
        outer.append(
            (
                f"{group} models",
                widgets.Tab(children=[targets(group, m) for m in models], titles=[f"trained: {m}" for m in models]),
            )
        )
    if not outer:
        return widgets.HTML("No results in the store for this profile.")
    return widgets.Tab(children=[w for _, w in outer], titles=[t for t, _ in outer])
