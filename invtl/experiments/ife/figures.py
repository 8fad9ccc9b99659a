"""Figures, tables and widgets of the E-4 chapter (`ife`): the 4 × 4 LP matrix and the invariance table beside
the paper's (mean ± sample std over the seeds with all four PT tasks), the pretrained models' own-task accuracy
beside chance, example images and the per-seed slices."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.figure import Figure

from invtl import paper
from invtl.book import pages
from invtl.book.html import html_table
from invtl.book.style import html_widget, image_widget, sample_grid
from invtl.experiments.ife import analysis as ai
from invtl.experiments.ife import data, grid
from invtl.stats import mean_std
from invtl.t2d import cifar

if TYPE_CHECKING:
    from ipywidgets import Widget

CHANCE = 1 / data.NUM_CLASSES
"""Chance accuracy of every E-4 task (10 CIFAR classes or 10 objects)."""
FOCUS = {"lp": ("C+O&C", "C+O&O"), "invariance": ("C+O&C", "objects")}
"""The cells claim C6 is about (shown bold): the C+O&C model's object probe and its object l2 ratio."""


def compute_status(profile: str, seeds: list[int] | None, device: str, results: str | None, compute: bool) -> str:
    """Compute the missing results when CIFAR-10 is available (every E-4 job needs it); one Markdown line."""
    if not cifar.available("cifar10"):
        return (
            "No CIFAR-10 data under the data root (`INVTL_DATA_ROOT`): nothing was computed for this page; it "
            "shows what the results store holds."
        )
    return pages.compute_missing("ife", profile, seeds, device, results, compute)


def store_note(records: list[dict], profile: str) -> str:
    """Markdown: the variants not in the store and the images per split of this build."""
    missing = [v for v in ai.VARIANTS if v not in ai.variants(records)]
    lines = []
    if missing:
        lines.append(
            f"Variant{'s' if len(missing) > 1 else ''} not in the store for profile `{profile}`: "
            f"{', '.join(missing)} (not run). The paper's numbers for {'them' if len(missing) > 1 else 'it'} "
            "are shown for reference."
        )
    if records:
        sizes = records[0]["result"].get("sizes", {})
        split = {k: " / ".join(str(sizes.get(k, {}).get(s, "?")) for s in ("train", "val", "test")) for k in ("C", "O")}
        lines.append(
            f"Images per split in this build (train / val / test): CIFAR {split['C']}, objects only {split['O']}."
        )
    return "\n\n".join(lines)


# --- example images --------------------------------------------------------------------------------------


def example_figure(config: dict, k: int = 8) -> Figure:
    """`k` test images of C+O and O of a record's task instance; only O when CIFAR-10 is not available."""
    import torch

    from invtl.t2d import sources
    from invtl.t2d.rng import Draws, derive
    from invtl.t2d.transforms import composite

    dev = torch.device("cpu")
    if cifar.available("cifar10"):
        sets = data.datasets(config, dev)
        co, o = sets["C+O"], sets["O"]
        y = co.labels["test"]
        rows = [
            ("C+O", co.images["test"][:k], [f"c{int(a)} o{int(b)}" for a, b in zip(y["cifar"][:k], y["object"][:k])]),
            ("O", o.images["test"][:k], [f"o{int(b)}" for b in o.labels["test"]["object"][:k]]),
        ]
        note = ""
    else:
        fixed = data.fixed_objects(sources.load(config["source"], data.SIZE).objects[data.task(config["config_seed"])])
        objects = data.object_labels(config, config["sampling_seed"], "test", k, dev)
        shift = (
            Draws(derive("ife-translate", config["sampling_seed"], "test"), torch.arange(k))
            if config["variant"] == "translate"
            else None
        )
        black = torch.zeros(k, 3, data.SIZE, data.SIZE, dtype=torch.uint8)
        rows = [("O", composite(data.place(fixed, objects, shift), black), [f"o{int(b)}" for b in objects])]
        note = " (C+O not shown: no CIFAR-10 data in this build)"
    return sample_grid(rows, zoom=0.9, title=f"{config['variant']}, seed {config['seed']}{note}")


def example_parts(records: list[dict]) -> list:
    """An `example_figure` per stored variant (first seed), then what the captions mean."""
    figures = [
        example_figure(min((r["config"] for r in records if r["config"]["variant"] == v), key=lambda c: c["seed"]))
        for v in ai.variants(records)
    ]
    if not figures:
        return []
    if not cifar.available("cifar10"):
        return figures + [
            (
                "The CIFAR-10 data are not available to this build (`INVTL_DATA_ROOT`), so only the "
                "object-only images are drawn; set `INVTL_DATA_ROOT` to see the C+O row. Captions: "
                "c = CIFAR class, o = object class."
            )
        ]
    return figures + ["Captions: c = CIFAR class, o = object class (the two labels are independent)."]


# --- tables ----------------------------------------------------------------------------------------------


def fmt(mean: float, std: float, digits: int = 2) -> str:
    """ "mean±std" as the paper writes it; the mean alone without a std (one seed); "—" for NaN."""
    if not np.isfinite(mean):
        return "—"
    return f"{mean:.{digits}f}" + (f"±{std:.{digits}f}" if np.isfinite(std) else "")


def _seeds(sids: list[int]) -> str:
    return f"n = {len(sids)} seed{'s' if len(sids) != 1 else ''} ({', '.join(map(str, sids))})"


def _paper_rows(table_id: str) -> dict[str, tuple[str, ...]]:
    """PT task -> the cells of a paper table (E-4a … E-4d)."""
    return {row[0].replace("*", "").replace(" ", ""): row[1:] for row in paper.TABLES[table_id].rows}


def _matrix_table(
    kind: str,
    records: list[dict],
    variant: str,
    profile: str,
    metric: str,
    seeds,
    caption: str | None,
    with_paper: bool,
) -> str:
    if kind == "lp":
        values, sids = ai.lp_matrices(records, variant, metric, seeds)
        columns, table_id, what = ai.TASKS, ai.PAPER_TABLES[variant][0], f"LP {metric.replace('_', ' ')}"
        split = "clean test split" if metric == "test_accuracy" else "pooled train + val + test (B1)"
    else:
        values, sids = ai.invariance_matrices(records, variant, metric, seeds)
        columns, table_id, what, split = ai.PAIRS, ai.PAPER_TABLES[variant][1], f"{metric} ratio", "test-split twins"
    m, s = mean_std(values) if sids else (None, None)
    focus_row, focus_col = FOCUS[kind]
    printed = _paper_rows(table_id)
    rows = []
    for i, t in enumerate(ai.TASKS):
        cells = [fmt(m[i, j], s[i, j]) if sids else "not run" for j in range(len(columns))]
        if t == focus_row and sids:
            j = columns.index(focus_col)
            cells[j] = f"**{cells[j]}**"
        rows.append((f"**{t}**", "ours" if with_paper else "", *cells))
        if with_paper:
            rows.append(("", "paper", *printed[t]))
    ours = _seeds(sids) if sids else "not run"
    caption = caption or (
        f"{variant}: {what}, mean ± sample std over seeds; ours ({profile}, {ours}, {split}) "
        f"beside the paper's ({table_id}, 10 seeds)"
    )
    head = ("PT \\ target" if kind == "lp" else "model (PT task)", "", *columns)
    return html_table(head, rows, left=2, caption=caption)


def lp_table(
    records: list[dict],
    variant: str,
    profile: str,
    metric: str = "test_accuracy",
    seeds: list[int] | None = None,
    caption: str | None = None,
    with_paper: bool = True,
) -> str:
    """The 4 × 4 LP matrix (rows PT task, columns target task), ours and, row by row, the paper's."""
    return _matrix_table("lp", records, variant, profile, metric, seeds, caption, with_paper)


def invariance_table(
    records: list[dict],
    variant: str,
    profile: str,
    metric: str = "l2",
    seeds: list[int] | None = None,
    caption: str | None = None,
    with_paper: bool = True,
) -> str:
    """The l2 ratios ("cifar", "objects") of the four models, ours and, row by row, the paper's."""
    return _matrix_table("invariance", records, variant, profile, metric, seeds, caption, with_paper)


def variant_parts(records: list[dict], profile: str, table: Callable[[list[dict], str, str], str]) -> list:
    """Per variant (both, also not run): a heading and `table(records, variant, profile)`."""
    return [item for v in ai.VARIANTS for item in (f"### {v.capitalize()} object position", table(records, v, profile))]


def correlation_table(records: list[dict], profile: str) -> str:
    """Pearson r across the 4 models between the l2 ratio and the LP accuracy on the matching C+O target."""
    rows = []
    for v in ai.VARIANTS:
        r = ai.correlations(records, v) if v in ai.variants(records) else {}
        ours = [
            "not run" if not r else "undefined (no spread)" if not np.isfinite(r[k]) else f"{r[k]:.3f}"
            for k in ai.PAIRS
        ]
        p = ai.PAPER_CORRELATION[v]
        rows.append((v, f"{p['cifar']:.3f}", ours[0], f"{p['objects']:.3f}", ours[1]))
    return html_table(
        ("variant", "cifar: paper", f"cifar: ours ({profile})", "objects: paper", f"objects: ours ({profile})"),
        rows,
        caption="Pearson r across the 4 models: l2 ratio vs LP accuracy on the C+O target",
    )


def training_table(records: list[dict], profile: str) -> str:
    """Each pretrained model's accuracy on its own task beside chance (10 classes), per variant."""
    rows = []
    for v in ai.VARIANTS:
        sids = ai.ife_seeds(records, v)
        if not sids:
            rows.append((v, "not run", "", "", "", "", ""))
            continue
        for i, t in enumerate(ai.TASKS):
            own = {
                m: [
                    r["result"]["training"][m]
                    for r in records
                    if r["config"]["variant"] == v and r["config"]["pt_task"] == t and r["config"]["seed"] in sids
                ]
                for m in ("test_accuracy", "pooled_accuracy")
            }
            rows.append(
                (
                    v if i == 0 else "",
                    t,
                    f"{grid.LABELS[t]} label",
                    f"{CHANCE:.3f}",
                    fmt(*mean_std(own["test_accuracy"]), 3),
                    fmt(*mean_std(own["pooled_accuracy"]), 3),
                    len(sids),
                )
            )
    return html_table(
        ("variant", "PT task", "own task", "chance", "own-task accuracy (test)", "pooled (B1)", "n seeds"),
        rows,
        left=3,
        caption=f"Pretrained models on their own task, this build ({profile}): mean ± "
        "sample std over the seeds with all four PT tasks",
    )


# --- per-seed slices -------------------------------------------------------------------------------------


def heat_figure(records: list[dict], variant: str, seeds: list[int] | None, title: str) -> Figure:
    """The seed-mean LP matrix as a heat map, and the two l2 ratios of each model as bars."""
    import matplotlib.pyplot as plt

    lp, _ = ai.lp_matrices(records, variant, seeds=seeds)
    inv, _ = ai.invariance_matrices(records, variant, seeds=seeds)
    m, mi = lp.mean(axis=0), inv.mean(axis=0)
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(8.4, 3.3), gridspec_kw={"width_ratios": [1.1, 1]}, layout="constrained")
    a1.imshow(m, vmin=0, vmax=1, cmap="viridis")
    a1.grid(False)
    for (i, j), value in np.ndenumerate(m):
        a1.text(j, i, f"{value:.2f}", ha="center", va="center", color="white" if value < 0.6 else "black", fontsize=9)
    a1.set_xticks(range(4), ai.TASKS, rotation=30)
    a1.set_yticks(range(4), ai.TASKS)
    a1.set(xlabel="target task", ylabel="PT task", title="LP test accuracy")
    x = np.arange(4)
    for k, pair in enumerate(ai.PAIRS):
        a2.bar(x + 0.4 * k - 0.2, mi[:, k], 0.4, label=pair)
    a2.set_xticks(x, ai.TASKS, rotation=30)
    a2.set(ylabel="l2 ratio", ylim=(0, 1.35), title="invariance (lower = more invariant)")
    a2.legend(frameon=False, ncol=2, loc="upper center")
    fig.suptitle(title)
    return fig


def slice_tabs(records: list[dict], profile: str) -> Widget:
    """A tab per stored variant; in it the mean over seeds (when several) and each seed: heat map and tables
    (clean test and pooled LP accuracy, l2 ratios)."""
    import ipywidgets as widgets

    outer = {}
    for v in ai.variants(records):
        sids = ai.ife_seeds(records, v)
        slices = ([("mean over seeds", sids)] if len(sids) > 1 else []) + [(f"seed {s}", [s]) for s in sids]
        views = []
        for name, ss in slices:
            tables = (
                lp_table(records, v, profile, "test_accuracy", ss, f"{v}, {name}: LP clean test accuracy", False)
                + lp_table(
                    records,
                    v,
                    profile,
                    "pooled_accuracy",
                    ss,
                    f"{v}, {name}: LP pooled train + val + test accuracy (B1)",
                    False,
                )
                + invariance_table(records, v, profile, "l2", ss, f"{v}, {name}: l2 ratio", False)
            )
            views.append(
                widgets.VBox(
                    [image_widget(heat_figure(records, v, ss, f"{v}, {name} ({profile})")), html_widget(tables)]
                )
            )
        if views:
            outer[v] = widgets.Tab(children=views, titles=[name for name, _ in slices])
    if not outer:
        return html_widget("<p>No complete seed in the results store for this profile.</p>")
    return widgets.Tab(children=list(outer.values()), titles=list(outer))
