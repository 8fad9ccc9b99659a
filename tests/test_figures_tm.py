"""E-6 (`tm`) chapter figures on the committed smoke / cpu records and on synthetic ones."""

from __future__ import annotations

import json
import re
from pathlib import Path

import ipywidgets as widgets
import numpy as np
import pytest

from invtl import paper, stats
from invtl.experiments.tm import analysis, figures

RESULTS = Path(__file__).resolve().parents[1] / "results"


def _stored(profile: str) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted((RESULTS / profile / "tm").glob("*.json"))]


@pytest.fixture(scope="module", params=["smoke", "cpu"])
def stored(request) -> tuple[str, list[dict]]:
    records = _stored(request.param)
    if not records:
        pytest.skip(f"no committed {request.param} tm records")
    return request.param, records


def _records(matrix: np.ndarray, seeds=(0, 1), pretrain=0.9, arch="resnet18") -> list[dict]:
    """One record per (seed, k); seed s adds 0.01 * s to every accuracy."""
    n = matrix.shape[0]
    out = []
    for seed in seeds:
        for k in range(1, n + 1):
            transfer = [
                {
                    "j": j,
                    "test_accuracy": float(matrix[k - 1, j - 1] + 0.01 * seed),
                    "pooled_accuracy": float(matrix[k - 1, j - 1] + 0.02),
                }
                for j in range(1, n + 1)
            ]
            out.append(
                {
                    "config": {"arch": arch, "seed": seed, "k": k, "num_transforms": n, "source": "offline"},
                    "result": {
                        "transfer": transfer,
                        "transforms": [f"t{i}" for i in range(1, n + 1)],
                        "objects": list(range(30)),
                        "pretraining": {"test_accuracy": pretrain + 0.01 * seed + 0.001 * k},
                    },
                    "provenance": {},
                }
            )
    return out


def _falling(n: int = 3) -> np.ndarray:
    return np.array([[0.99 if j <= k else 0.99 - 0.2 * (j - k) for j in range(n)] for k in range(n)])


def test_paper_matrix_reads_table_e6():
    values, approx = figures.paper_matrix()
    assert values.shape == approx.shape == (8, 8)
    assert values[0, 1] == pytest.approx(0.989) and values[0, 7] == pytest.approx(0.276)
    assert approx[0, 0] and not approx[0, 1] and approx.sum() == 36 - 2  # "≈1": every j <= k cell but (8, 1) and (8, 8)


def test_plot_rows_draws_a_line_per_k_bands_and_chance():
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    mean, ci = _falling(3), np.full((3, 3), 0.02)
    figures.plot_rows(ax, mean, ci=ci, title="t")
    assert len(ax.lines) == 3 * 3 + 1  # line, exact and approximate markers per k; chance
    assert len(ax.collections) == 3  # one band per k
    assert ax.lines[-1].get_ydata()[0] == pytest.approx(1 / 30)
    plt.close(fig)


def test_curves_figure_puts_the_paper_beside_this_build(stored):
    profile, records = stored
    mats, seeds = analysis.tm_matrices(records)
    fig = figures.curves_figure(records, profile)
    paper_ax, ours_ax = fig.axes
    assert len(paper_ax.lines) == 8 * 3 + 1
    assert len(ours_ax.lines) == mats.shape[1] * 3 + 1
    assert f"n = {len(seeds)} seed" in ours_ax.get_title()
    assert len(ours_ax.collections) == (mats.shape[1] if len(seeds) > 1 else 0)


def test_curves_figure_without_a_grid_says_so():
    fig = figures.curves_figure([], "smoke")
    assert "no complete ResNet-18 grid" in fig.axes[1].texts[0].get_text()


def test_matrix_html_shows_mean_ci_bold_and_paper_cells():
    recs = _records(_falling(3), seeds=(0, 1, 2))
    mats, _ = analysis.tm_matrices(recs)
    text = figures.matrix_html(mats, "cap", paper_values=[list(r[1:]) for r in paper.TABLES["E-6"].rows])
    half = stats.ci95(np.array([0.79, 0.80, 0.81]))
    assert f"0.800 ± {half:.3f}" in text  # k = 1, j = 2
    assert text.count("<b>") == 6  # j <= k
    assert "paper 0.989" in text and "paper 0.910" in text and "paper 0.766" not in text


def test_matrix_html_marks_missing_cells():
    mats = np.array([[[0.5, np.nan], [0.4, 0.3]]])
    text = figures.matrix_html(mats, "cap")
    assert "—" in text and "nan" not in text and "±" not in text


def test_matrix_table_on_stored_records(stored):
    profile, records = stored
    mats, seeds = analysis.tm_matrices(records)
    text = figures.matrix_table(records, profile)
    assert f"n = {len(seeds)} seed" in text and "paper 0.989" in text
    assert f"{mats.mean(axis=0)[0, 1]:.3f}" in text
    assert ("95 % t-interval" in text) == (len(seeds) > 1)
    assert "No complete" in figures.matrix_table([], profile)


def test_pretrain_matrix_and_table_hold_each_models_own_accuracy(stored):
    profile, records = stored
    _, seeds = analysis.tm_matrices(records)
    pre = figures.pretrain_matrix(records, "resnet18", seeds)
    n = records[0]["config"]["num_transforms"]
    assert pre.shape == (len(seeds), n) and np.isfinite(pre).all()
    r = [r for r in records if r["config"]["arch"] == "resnet18" and r["config"]["seed"] in seeds][-1]
    assert pre[seeds.index(r["config"]["seed"]), r["config"]["k"] - 1] == r["result"]["pretraining"]["test_accuracy"]
    text = figures.pretrain_table(records, profile)
    assert "chance (1/30)" in text and text.count('<td class="r">0.033</td>') == n
    assert f"{pre.mean(axis=0)[0]:.3f}" in text


def test_pretrain_table_ci_needs_two_seeds():
    one = figures.pretrain_table(_records(_falling(2), seeds=(0,)), "smoke")
    assert "± " not in one and "0.901" in one
    two = figures.pretrain_table(_records(_falling(2), seeds=(0, 1)), "smoke")
    assert f"± {float(stats.ci95(np.array([0.901, 0.911]))):.3f}" in two
    assert "No complete" in figures.pretrain_table([], "smoke")


def test_task_table_lists_each_seeds_transforms(stored):
    _, records = stored
    text = figures.task_table(records)
    r = records[0]
    assert " → ".join(r["result"]["transforms"][: r["config"]["num_transforms"]]) in text


def test_view_holds_the_curves_and_three_tables():
    recs = _records(_falling(3))
    test, _ = analysis.tm_matrices(recs)
    pooled, _ = analysis.tm_matrices(recs, metric="pooled_accuracy")
    pre = figures.pretrain_matrix(recs, "resnet18", [0, 1])
    box = figures.view(test, pooled, pre, "label")
    image, table = box.children
    assert image.value[:4] == b"\x89PNG"
    assert table.value.count("<table") == 3 and "chance (1/30)" in table.value and "n = 2" in table.value


def test_arch_explorer_has_a_mean_tab_and_one_per_seed(stored):
    _, records = stored
    _, seeds = analysis.tm_matrices(records)
    tab = figures.arch_explorer(records)
    archs = {r["config"]["arch"] for r in records}
    assert tab.titles == tuple(figures.ARCH_LABEL[a] for a in ("resnet18", "vgg11") if a in archs)
    inner = tab.children[0]
    assert list(inner.titles) == (["mean over seeds"] if len(seeds) > 1 else []) + [f"seed {s}" for s in seeds]
    assert isinstance(figures.arch_explorer([]), widgets.HTML)


def test_arch_explorer_orders_architectures():
    recs = _records(_falling(2), seeds=(0,), arch="vgg11") + _records(_falling(2), seeds=(0,))
    assert figures.arch_explorer(recs).titles == ("ResNet-18", "VGG-11")


def test_highlight_tabs_one_per_k(stored):
    _, records = stored
    tab = figures.highlight_tabs(records)
    n = records[0]["config"]["num_transforms"]
    assert tab.titles == tuple(f"k = {k}" for k in range(1, n + 1))
    assert all(isinstance(c, widgets.Image) and c.value[:4] == b"\x89PNG" for c in tab.children)
    assert isinstance(figures.highlight_tabs([]), widgets.HTML)


def test_key_rows_pick_the_claims_cells():
    recs = _records(_falling(3), seeds=(0, 1))
    test, _ = analysis.tm_matrices(recs)
    pooled, _ = analysis.tm_matrices(recs, metric="pooled_accuracy")
    rows = figures.key_rows(test, pooled)
    assert [r[0] for r in rows] == [
        "min over j ≤ k (target ⊆ PT set)",
        "k = 1, j = 2",
        "k = 1, j = 3",
        "k = 2, j = 3",
        "min over j of row k = 3",
    ]
    assert rows[1][1] == "0.989" and rows[1][2].startswith("0.795 ± ") and rows[1][3] == "0.810"
    assert rows[0][2].startswith("0.995 ± ") and "(k = 1, j = 1)" in rows[0][2]
    assert len(figures.key_rows(test[:, :2, :2], pooled[:, :2, :2])) == 3  # n = 2: one pair


def test_key_table_on_stored_records(stored):
    profile, records = stored
    text = figures.key_table(records, profile)
    assert "k = 1, j = 2" in text and "0.989" in text
    assert re.search(r"n = \d seeds? \(", text)
    assert "No complete" in figures.key_table([], profile)
