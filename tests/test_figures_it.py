"""E-5 (`it`) chapter figures on the committed smoke / cpu records and on synthetic ones."""

from __future__ import annotations

import json
from pathlib import Path

import ipywidgets as widgets
import numpy as np
import pytest
from IPython.display import Markdown
from matplotlib.patches import Rectangle

from invtl import stats
from invtl.experiments.it import analysis, figures

RESULTS = Path(__file__).resolve().parents[1] / "results"
DTS = ("op-img", "os-img", "rs-rand")


def _stored(profile: str) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted((RESULTS / profile / "it").glob("*.json"))]


@pytest.fixture(scope="module", params=["smoke", "cpu"])
def stored(request) -> tuple[str, list[dict], object]:
    records = _stored(request.param)
    if not records:
        pytest.skip(f"no committed {request.param} it records")
    return request.param, records, analysis.ratio_frame(records)


def _ratio(g, m, d, t, seed):
    """Same low and rising with distance, Other ~ None high; seed s adds 0.01 * s."""
    if g == "untrained":
        return 0.9
    dist = {"op-img": 0.0, "os-img": 0.1, "rs-rand": 0.4}[d]
    return (0.12 if m == t else 0.62 if m == "none" else 0.61) + dist + 0.01 * seed


def _records(seeds=(0, 1, 2), models=("none", "rotate", "hue"), targets=("rotate", "hue"), drop=(), training=None):
    out = []
    for seed in seeds:
        for g, m in [("img", m) for m in models] + [("untrained", "none")]:
            if (seed, g, m) in drop:
                continue
            scores = {d: {t: {"l2": _ratio(g, m, d, t, seed)} for t in targets} for d in DTS}
            result = {"scores": scores}
            if training is not None and g != "untrained":
                result["training"] = {"test_accuracy": training + 0.01 * seed}
            out.append(
                {
                    "config": {"arch": "resnet18", "seed": seed, "group": g, "train_transform": m},
                    "result": result,
                    "provenance": {},
                }
            )
    return out


def test_store_table_lists_models_seeds_and_incomplete_ones(stored):
    profile, _, frame = stored
    text = figures.store_table(frame, profile)
    assert f"What the store holds for {profile}" in text
    for d in set(frame.data_type):
        assert d in text
    partial = analysis.ratio_frame(_records(drop={(2, "img", "hue")}))
    assert "0, 1 (incomplete: 2)" in figures.store_table(partial, "cpu")
    assert "No ResNet-18" in figures.store_table(analysis.ratio_frame([]), "cpu")


def test_own_task_table_of_stored_records_and_without_training_records(stored):
    _, records, _ = stored
    assert all("training" in r["result"] for r in records)  # every it job records its model's own-task accuracy
    assert "0.033" in figures.own_task_table(records)  # chance, 1/30
    bare = [dict(r, result={k: v for k, v in r["result"].items() if k != "training"}) for r in records]
    assert figures.own_task_table(bare) == ""


def test_own_task_table_shows_mean_ci_and_chance():
    text = figures.own_task_table(_records(training=0.8))
    half = float(stats.ci95(np.array([0.80, 0.81, 0.82])))
    assert text.count("0.810") == 3 and f"± {half:.3f}" in text  # none, rotate, hue
    assert text.count(">0.033<") == 3 and text.index(">none<") < text.index(">rotate<") < text.index(">hue<")
    assert figures.own_task_table(_records(training=0.8), arch="vgg11") == ""


def test_seed_interval_is_over_per_seed_means():
    son = analysis.same_other_none(analysis.ratio_frame(_records()))
    half, n = figures.seed_interval(son, "img", "Same", "op-img")
    assert n == 3 and half == pytest.approx(float(stats.ci95(np.array([0.12, 0.13, 0.14]))))
    one = analysis.same_other_none(analysis.ratio_frame(_records(seeds=(0,))))
    assert np.isnan(figures.seed_interval(one, "img", "Same", "op-img")[0])


def test_son_table_puts_ours_with_n_and_ci_over_the_papers():
    frame = analysis.ratio_frame(_records())
    text = figures.son_table(frame, "img", "cpu")
    values = np.repeat([0.12, 0.13, 0.14], 2)  # 3 seeds x 2 transforms
    assert f"<b>0.130 ± {values.std(ddof=1):.3f}</b>" in text
    assert "n = 6, 3 seeds · 95 % CI ±" in text
    assert "paper <b>0.12±.07</b>" in text and "paper 0.40±.15" in text
    assert text.count(analysis.NOT_IN_PROFILE) == 6  # CIFAR-10 and CIFAR-100 (not in these records) for three rows


def test_son_table_on_stored_records(stored):
    profile, _, frame = stored
    text = figures.son_table(frame, "img", profile)
    _, rows, _ = analysis.group_table(frame, "img")
    assert rows[0][1].strip("*") in text and "E-5a" in text
    seeds = len(analysis.complete_seeds(frame, "img")[0])
    assert ("95 % CI" in text) == (seeds > 1)
    rand = figures.son_table(frame, "rand", profile)
    assert ("not trained in profile" in rand) == ("rand" not in set(frame.group)) and "0.12±.08" in rand


def test_build_summary_gives_the_means_and_the_verdict(stored):
    profile, records, frame = stored
    text = figures.build_summary(records, profile)
    _, verdict = analysis.check_c7(records)
    _, _, means = analysis.group_table(frame, "img")
    assert f"Same {means['Same']['op-img']:.2f}" in text and f"**{verdict}**" in text
    empty = figures.build_summary([], profile)
    assert "no Same / None column" in empty and "**not run**" in empty


def test_heatmap_annotates_finite_cells_only():
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    figures.heatmap(ax, np.array([[0.1, np.nan], [0.9, 0.5]]), ["a", "b"], ["x", "y"], "t")
    assert sorted(t.get_text() for t in ax.texts) == ["0.10", "0.50", "0.90"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "b"]
    plt.close(fig)


def test_model_type_heatmap_has_a_row_per_model_type(stored):
    profile, _, frame = stored
    labels, _, mat = analysis.model_type_matrix(frame)
    fig = figures.model_type_heatmap(frame, profile)
    ax, _colorbar = fig.axes
    assert [t.get_text() for t in ax.get_yticklabels()] == labels
    assert len(ax.texts) == np.isfinite(mat).sum()
    assert isinstance(figures.model_type_heatmap(analysis.ratio_frame([]), profile), Markdown)


def test_model_type_table_sets_ours_beside_table_e5c(stored):
    profile, _, frame = stored
    text = figures.model_type_table(frame, profile)
    summ = analysis.summary(analysis.same_other_none(frame))
    assert f"{summ.loc[('img', 'Same', 'op-img'), 'mean']:.3f}" in text
    assert "paper 0.121" in text and "paper 0.689" in text
    empty = {analysis.column_status(frame, d) for d in figures.E5C_COLUMNS.values()} - {None}
    assert all(why in text for why in empty)  # each empty column of the table says why


def test_breakdown_figures_one_per_group_with_same_boxed(stored):
    _, _, frame = stored
    figs = figures.breakdown_figures(frame)
    groups = [g for g in figures.GROUPS if g in set(frame.group)]
    assert len(figs) == len(groups)
    for fig, group in zip(figs, groups):
        dts = set(frame[frame.group == group].data_type)
        shown = [ax for ax in fig.axes if ax.get_title()]
        assert len(shown) == len(dts)
        models, targets, _ = analysis.breakdown(frame, group, "op-img")
        boxes = [p for p in shown[0].patches if isinstance(p, Rectangle)]
        assert len(boxes) == len(set(models) & set(targets))
    empty = figures.breakdown_figures(analysis.ratio_frame([]))
    assert len(empty) == 1 and isinstance(empty[0], Markdown)


def test_model_leaf_reports_mean_ci_and_references():
    frame = analysis.ratio_frame(_records())
    text = figures.model_leaf(frame, "img", "hue", "hue")
    half = float(stats.ci95(np.array([0.12, 0.13, 0.14])))
    assert "(Same)" in text and "n = 3 seeds" in text and f"0.130 ± {half:.3f}" in text
    assert "none model" in text and "0.630 ± " in text and "0.900" in text  # the none model and the untrained one
    untrained = figures.model_leaf(frame, "untrained", "none", "hue")
    assert "none model" not in untrained and "untrained network" in untrained


def test_model_explorer_tabs_follow_groups_models_and_targets(stored):
    _, _, frame = stored
    tab = figures.model_explorer(frame)
    groups = [g for g in (*figures.GROUPS, "untrained") if g in set(frame.group)]
    assert list(tab.titles) == [f"{g} models" if g != "untrained" else g for g in groups]
    models = analysis.complete_seeds(frame, "img")[2]
    assert list(tab.children[0].titles) == [f"trained: {m}" for m in models]
    targets = tab.children[0].children[0]
    assert len(targets.children) == len(set(frame[frame.group == "img"].target))
    assert "ℓ2 ratio under" in targets.children[0].value
    assert isinstance(figures.model_explorer(analysis.ratio_frame([])), widgets.HTML)
