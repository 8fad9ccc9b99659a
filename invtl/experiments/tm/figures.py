"""E-6 (`tm`) chapter figures and widgets: the k x j transfer curves and matrices beside the paper's, the
pretrained models' own-task accuracy beside chance, and the per-architecture / per-seed explorer.

Ours are seed means of the per-seed matrices of `analysis.tm_matrices` (only seeds with all n rows), with
the 95 % Student-t half-width over seeds (`invtl.stats.ci95`) where there are at least two seeds.
Figures are returned closed (detached from pyplot): show them with `display(fig)`.
"""

from __future__ import annotations

import numpy as np
from matplotlib import colormaps

from invtl import paper, stats
from invtl.book.html import html_table, raw
from invtl.book.style import html_widget, image_widget
from invtl.experiments.tm.analysis import tm_matrices

ARCH_ORDER = ("resnet18", "vgg11", "densenet121", "vit")
ARCH_LABEL = {"resnet18": "ResNet-18", "vgg11": "VGG-11", "densenet121": "DenseNet-121", "vit": "ViT"}
NUM_CLASSES = 30
"""Classes of every E-6 task (30 objects; `grid.NUM_OBJECTS`, not imported here to keep this module torch-free)."""
CHANCE = 1 / NUM_CLASSES
K_COLORS = colormaps["viridis"](np.linspace(0.0, 0.9, 8))
"""Line colour of k = 1 ... 8 (the paper's 8 pretraining sets)."""
_SUB = '<br><span style="color:#777;font-size:85%">{}</span>'


def paper_matrix() -> tuple[np.ndarray, np.ndarray]:
    """The paper's 8 x 8 matrix (table E-6) as (values, approximate), approximate True for the "≈1" cells."""
    rows = paper.TABLES["E-6"].rows
    values = np.array([[paper.number(c) for c in row[1:]] for row in rows], dtype=float)
    approx = np.array([[paper.approximate(c) for c in row[1:]] for row in rows])
    return values, approx


def plot_rows(
    ax, mean: np.ndarray, ci: np.ndarray | None = None, approx: np.ndarray | None = None, title: str = ""
) -> None:
    """One line per k of a (k, j) accuracy matrix on `ax`: open markers where `approx`, a band of +-`ci`
    where finite, and chance (1/30) as a dotted line."""
    js = np.arange(1, mean.shape[1] + 1)
    for k in range(mean.shape[0]):
        color = K_COLORS[k % len(K_COLORS)]
        ax.plot(js, mean[k], "-", color=color, lw=1.6, label=f"{k + 1}")
        exact = np.ones(len(js), bool) if approx is None else ~approx[k]
        ax.plot(js[exact], mean[k][exact], "o", color=color, ms=4.5)
        ax.plot(js[~exact], mean[k][~exact], "o", mfc="white", color=color, ms=4.5)
        if ci is not None and np.isfinite(ci[k]).all():
            ax.fill_between(js, mean[k] - ci[k], mean[k] + ci[k], color=color, alpha=0.15, lw=0)
    _chance(ax)
    ax.set_xticks(js)
    ax.set_xlabel("# target transformations j")
    ax.set_ylim(0, 1.04)
    ax.set_title(title)


def _chance(ax) -> None:
    ax.axhline(CHANCE, color="0.4", ls=":", lw=1)
    ax.text(
        0.99,
        CHANCE + 0.01,
        "chance 1/30",
        transform=ax.get_yaxis_transform(),
        ha="right",
        va="bottom",
        fontsize=8,
        color="0.4",
    )


def _seeds_text(seeds: list[int]) -> str:
    return f"{len(seeds)} seed{'s' if len(seeds) != 1 else ''} ({', '.join(map(str, seeds))})"


def _ci(mats: np.ndarray) -> np.ndarray | None:
    return stats.ci95(mats) if mats.shape[0] > 1 else None


def _fmt(mean: float, half: float | None = None) -> str:
    """ "0.912 ± 0.030"; the half-width only where given and finite, "—" for a missing mean."""
    if not np.isfinite(mean):
        return "—"
    return f"{mean:.3f}" + (f" ± {half:.3f}" if half is not None and np.isfinite(half) else "")


def _min_cell(m: np.ndarray, cells: list[tuple[int, int]]) -> tuple[int, int]:
    """The (k, j) of `cells` (1-based) where m is smallest, NaN cells last."""
    return min(cells, key=lambda kj: np.nan_to_num(m[kj[0] - 1, kj[1] - 1], nan=np.inf))


def curves_figure(records: list[dict], profile: str):
    """The paper's ResNet-18 curves (left) beside this build's seed mean with its 95 % band (right)."""
    import matplotlib.pyplot as plt

    mats, seeds = tm_matrices(records, "resnet18")
    values, approx = paper_matrix()
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(7.4, 3.9), sharey=True)
    plot_rows(ax1, values, approx=approx, title="paper (10 seeds)")
    ax1.set_ylabel("linear-probe accuracy")
    if seeds:
        plot_rows(
            ax2,
            mats.mean(axis=0),
            ci=_ci(mats),
            title=f"this build: {profile}, n = {len(seeds)} seed" + ("s" if len(seeds) > 1 else ""),
        )
        ax2.set_xlim(0.7, 8.3)
    else:
        ax2.text(
            0.5,
            0.5,
            "no complete ResNet-18 grid\nin the results store",
            ha="center",
            va="center",
            transform=ax2.transAxes,
        )
        ax2.set_title(f"this build: {profile}")
    handles, labels = ax1.get_legend_handles_labels()
    fig.legend(
        handles[:8],
        labels[:8],
        title="# pretraining transformations k",
        loc="outside lower center",
        ncol=8,
        frameon=False,
        handlelength=1.4,
        columnspacing=1.0,
    )
    plt.close(fig)
    return fig


def matrix_html(mats: np.ndarray, caption: str, paper_values: list[list[str]] | None = None) -> str:
    """A (seeds, n, n) stack as an HTML k x j table: seed mean (+- the 95 % half-width with two or more
    seeds), bold where j <= k, and the paper's cell under each of ours when `paper_values` is given."""
    mean, ci = mats.mean(axis=0), _ci(mats)
    n = mean.shape[0]
    rows = []
    for k in range(n):
        cells = []
        for j in range(n):
            text = _fmt(mean[k, j], None if ci is None else ci[k, j])
            text = f"<b>{text}</b>" if j <= k else text
            if paper_values is not None:
                text += _SUB.format(f"paper {paper_values[k][j]}")
            cells.append(raw(text))
        rows.append((k + 1, *cells))
    return html_table(("k \\ j", *[str(j) for j in range(1, n + 1)]), rows, caption=caption)


def matrix_table(records: list[dict], profile: str, arch: str = "resnet18") -> str:
    """This build's clean test-accuracy matrix with the paper's value under each cell (n seeds, 95 % CI)."""
    mats, seeds = tm_matrices(records, arch)
    if not seeds:
        return f"<p>No complete {ARCH_LABEL.get(arch, arch)} grid in the results store for profile {profile}.</p>"
    cells = [list(row[1:]) for row in paper.TABLES["E-6"].rows]
    ci = "mean ± 95 % t-interval over seeds" if len(seeds) > 1 else "one seed: no interval"
    return matrix_html(
        mats,
        f"E-6 this build ({profile}, {ARCH_LABEL.get(arch, arch)}, n = {_seeds_text(seeds)}): "
        f"clean test accuracy, {ci}; bold = j ≤ k; the paper's value (10 seeds, [FIG]) below",
        paper_values=cells,
    )


def pretrain_matrix(records: list[dict], arch: str, seeds: list[int]) -> np.ndarray:
    """Own-task test accuracy of each pretrained model: array (seeds, n) with [s, k - 1]; NaN where missing."""
    chosen = [r for r in records if r["config"]["arch"] == arch and r["config"]["seed"] in seeds]
    n = chosen[0]["config"]["num_transforms"] if chosen else 0
    out = np.full((len(seeds), n), np.nan)
    for r in chosen:
        out[seeds.index(r["config"]["seed"]), r["config"]["k"] - 1] = r["result"]["pretraining"]["test_accuracy"]
    return out


def pretrain_table(records: list[dict], profile: str, arch: str = "resnet18") -> str:
    """Per k, the pretrained model's accuracy on its own task t_k (mean, 95 % CI, n seeds) beside chance."""
    _, seeds = tm_matrices(records, arch)
    if not seeds:
        return f"<p>No complete {ARCH_LABEL.get(arch, arch)} grid in the results store for profile {profile}.</p>"
    pre = pretrain_matrix(records, arch, seeds)
    mean, ci = pre.mean(axis=0), _ci(pre)
    rows = [
        (
            k + 1,
            _fmt(mean[k]),
            "—" if ci is None or not np.isfinite(ci[k]) else f"± {ci[k]:.3f}",
            len(seeds),
            " · ".join(_fmt(v) for v in pre[:, k]),
            f"{CHANCE:.3f}",
        )
        for k in range(pre.shape[1])
    ]
    return html_table(
        ("k", "own-task test accuracy", "95 % CI", "n seeds", "per seed", "chance (1/30)"),
        rows,
        caption=f"Each pretrained {ARCH_LABEL.get(arch, arch)} on its own task tₖ ({profile}, seeds "
        f"{', '.join(map(str, seeds))}); the paper reports no such number",
    )


def task_table(records: list[dict]) -> str:
    """The task instance of each seed: its transformations t_1 ... t_n in drawn order, objects and source."""
    rows = []
    for seed in sorted({r["config"]["seed"] for r in records}):
        r = next(r for r in records if r["config"]["seed"] == seed)
        n = r["config"]["num_transforms"]
        rows.append(
            (seed, " → ".join(r["result"]["transforms"][:n]), len(r["result"]["objects"]), r["config"]["source"])
        )
    return html_table(
        ("seed", "transformations t₁ … tₙ (drawn order)", "objects", "source"),
        rows,
        left=2,
        caption="Task instance of each seed (drawn with the original's call sequence)",
    )


def view(test: np.ndarray, pooled: np.ndarray, pretrain: np.ndarray, label: str):
    """One slice (a seed, or the mean over seeds) of one architecture: its curves, the test and pooled
    matrices and the own-task accuracy per k beside chance, as a widget."""
    import ipywidgets as widgets
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.4, 3.2))
    plot_rows(ax, test.mean(axis=0), ci=_ci(test), title=label)
    ax.set_ylabel("LP test accuracy")
    ax.legend(title="k", loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False)
    n, seeds = test.shape[1], test.shape[0]
    mean, ci = pretrain.mean(axis=0), _ci(pretrain)
    own = [_fmt(mean[k], None if ci is None else ci[k]) for k in range(n)]
    tables = (
        matrix_html(test, f"clean test accuracy (invtl default), n = {seeds}")
        + matrix_html(pooled, f"pooled train + val + test accuracy (original metric, B1), n = {seeds}")
        + html_table(
            ("k", *[str(k) for k in range(1, n + 1)]),
            [("own-task test accuracy", *own), ("chance (1/30)", *[f"{CHANCE:.3f}"] * n)],
            caption=f"pretrained model on its own task tₖ, n = {seeds}",
        )
    )
    return widgets.VBox([image_widget(fig), html_widget(tables)])


def arch_explorer(records: list[dict]):
    """Tabs per architecture in the store, and within each the mean over seeds and every seed alone."""
    import ipywidgets as widgets

    tabs = []
    for arch in [a for a in ARCH_ORDER if any(r["config"]["arch"] == a for r in records)]:
        test, seeds = tm_matrices(records, arch, "test_accuracy")
        if not seeds:
            continue
        pooled, _ = tm_matrices(records, arch, "pooled_accuracy")
        pre = pretrain_matrix(records, arch, seeds)
        name = ARCH_LABEL[arch]
        slices = [("mean over seeds", slice(None), f"{name}, mean of {len(seeds)} seeds")] if len(seeds) > 1 else []
        slices += [(f"seed {s}", slice(i, i + 1), f"{name}, seed {s}") for i, s in enumerate(seeds)]
        views = [view(test[sl], pooled[sl], pre[sl], label) for _, sl, label in slices]
        tabs.append((name, widgets.Tab(children=views, titles=[t for t, _, _ in slices])))
    if not tabs:
        return widgets.HTML("No complete grid in the results store for this profile.")
    return widgets.Tab(children=[t for _, t in tabs], titles=[name for name, _ in tabs])


def highlight(mean: np.ndarray, k: int):
    """The curves of a (k, j) matrix with row k standing out and j <= k shaded, as an image widget."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.4, 3.0))
    js = np.arange(1, mean.shape[1] + 1)
    for kk in range(mean.shape[0]):
        chosen = kk == k - 1
        ax.plot(
            js,
            mean[kk],
            "-o",
            color=K_COLORS[kk] if chosen else "0.8",
            lw=2.4 if chosen else 1.0,
            ms=5 if chosen else 3,
            zorder=3 if chosen else 1,
        )
    ax.axvspan(0.5, k + 0.5, color=K_COLORS[k - 1], alpha=0.08, lw=0)
    _chance(ax)
    ax.set_xticks(js)
    ax.set_xlabel("# target transformations j")
    ax.set_ylabel("linear-probe accuracy")
    ax.set_ylim(0, 1.04)
    ax.set_title(f"pretrained on k = {k} transformations")
    return image_widget(fig)


def highlight_tabs(records: list[dict], arch: str = "resnet18"):
    """One tab per k with `highlight` of the seed-mean matrix."""
    import ipywidgets as widgets

    mats, seeds = tm_matrices(records, arch)
    if not seeds:
        return widgets.HTML(f"No complete {ARCH_LABEL.get(arch, arch)} grid in the results store for this profile.")
    mean = mats.mean(axis=0)
    ks = range(1, mean.shape[0] + 1)
    return widgets.Tab(children=[highlight(mean, k) for k in ks], titles=[f"k = {k}" for k in ks])


def key_rows(test: np.ndarray, pooled: np.ndarray) -> list[tuple[str, str, str, str]]:
    """(quantity, paper, ours test, ours pooled) for the key cells of claim C8, from (seeds, n, n) stacks:
    the minimum over j <= k, k = 1 at j = 2 and j = n, k = n - 1 at j = n, and the minimum of row k = n.
    Ours are seed means, with the 95 % half-width of a single cell where there are two or more seeds."""
    n = test.shape[1]
    cells = paper.TABLES["E-6"].rows
    mt, mp, ct = test.mean(axis=0), pooled.mean(axis=0), _ci(test)

    def ours(k: int, j: int) -> str:
        return _fmt(mt[k - 1, j - 1], None if ct is None else ct[k - 1, j - 1])

    sub = [(k, j) for k in range(1, n + 1) for j in range(1, k + 1)]
    low, low_pooled = _min_cell(mt, sub), _min_cell(mp, sub)
    rows = [
        (
            "min over j ≤ k (target ⊆ PT set)",
            "≈0.98–1.00",
            f"{ours(*low)} (k = {low[0]}, j = {low[1]})",
            _fmt(mp[low_pooled[0] - 1, low_pooled[1] - 1]),
        )
    ]
    pairs = list(dict.fromkeys((k, j) for k, j in ((1, 2), (1, n), (n - 1, n)) if 1 <= k < j <= n))
    rows += [(f"k = {k}, j = {j}", cells[k - 1][j], ours(k, j), _fmt(mp[k - 1, j - 1])) for k, j in pairs]
    row = [(n, j) for j in range(1, n + 1)]
    j_min, j_pooled = _min_cell(mt, row)[1], _min_cell(mp, row)[1]
    rows.append(
        (
            f"min over j of row k = {n}",
            "0.984" if n == 8 else "≈1 (every j ≤ k)",
            f"{ours(n, j_min)} (j = {j_min})",
            _fmt(mp[n - 1, j_pooled - 1]),
        )
    )
    return rows


def key_table(records: list[dict], profile: str) -> str:
    """The key cells of claim C8: the paper's beside ours (ResNet-18, test and pooled accuracy, n seeds)."""
    test, seeds = tm_matrices(records, "resnet18", "test_accuracy")
    if not seeds:
        return f"<p>No complete ResNet-18 grid in the results store for profile {profile}.</p>"
    pooled, _ = tm_matrices(records, "resnet18", "pooled_accuracy")
    ci = ", mean ± 95 % CI" if len(seeds) > 1 else ""
    return html_table(
        ("quantity", "paper", f"ours, test ({profile}{ci})", f"ours, pooled ({profile})"),
        key_rows(test, pooled),
        caption=f"E-6 key cells: paper (10 seeds, [FIG]) vs this build (n = {_seeds_text(seeds)})",
    )
