"""E-1/E-2 chapter figures (`invtl.experiments.tvo.figures`) on the committed smoke and cpu results and on
synthetic records of the paper's numbers."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.collections import PolyCollection

from invtl.book import html, pages
from invtl.experiments.tvo import analysis as a
from invtl.experiments.tvo import checks, grid
from invtl.experiments.tvo import figures as tf
from invtl.experiments.tvo import tables as tt
from invtl.stats import ci95

REPO = Path(__file__).resolve().parents[1]


def stored(profile: str, experiment: str = "tvo") -> list[dict]:
    """The committed records of one experiment and profile, read from the JSON files."""
    return [json.loads(p.read_text()) for p in sorted((REPO / "results" / profile / experiment).glob("*.json"))]


@pytest.fixture(scope="module")
def smoke():
    return stored("smoke")


@pytest.fixture(scope="module")
def cpu():
    """A partial store: the PT-samples panel only, three seeds (synthetic, so the tests do not change when the
    committed cpu results do)."""
    return [r for r in synthetic() if r["config"]["panel"] == "pt_samples"]


def synthetic(table: str = "E-1a", seeds=(0, 1, 2), noise: float = 0.01) -> list[dict]:
    """The paper's seed means as records of `seeds` (one of the paper's tasks, 30 target classes)."""
    recs = a.paper_records(table, seeds=seeds, noise=noise)
    for r in recs:
        r["config"].update(config_seed=grid.SEEDS[r["config"]["seed"]][0], num_target=30, n_pt=50_000)
    return recs


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_paper_series_reads_every_panel_table():
    e1 = tt.paper_series("E-1a")
    assert [len(e1[p]) for p in a.PANELS] == [4, 5, 5, 5]
    assert [p.x for p in e1["class_relationship"]] == ["subset", "disjoint", "same", "superset"]
    assert e1["architecture"][0].x == "resnet18" and e1["pt_samples"][-1].x == 500_000
    assert e1["class_relationship"][0].values == {"same": 0.953, "disjoint": 0.773}
    assert e1["class_relationship"][2].cells["same"] == "≈1.00 ¹"
    hidden = next(p for p in tt.paper_series("E-2a")["ft_samples"] if p.x == 500)
    assert hidden.values["same"] is None and hidden.values["disjoint"] == 0.846
    e3 = tt.paper_series("E-3a")
    assert [p.x for p in e3["ft_samples"]] == pytest.approx([0.01, 0.05, 0.1, 0.5, 1.0])
    assert e3["pt_samples"][-1].x == 4_500 and e3["class_relationship"][2].values["disjoint"] is None


def test_paper_differences_match_the_printed_panel_and_skip_hidden_points():
    d = tt.paper_differences("E-1a")
    assert round(d["class_relationship"].disjoint_range, 2) == 0.15
    assert round(d["architecture"].same_range, 2) == 0.02
    assert set(tt.paper_differences("E-3a")) == {"architecture", "pt_samples"}  # disjoint same/superset hidden


def test_labels_order_and_intervals():
    assert tt.ordered("class_relationship", ["superset", "subset", "same"]) == ["subset", "same", "superset"]
    assert tt.ordered("architecture", ["vit", "resnet18"]) == ["resnet18", "vit"]
    assert tt.ordered("pt_samples", [500, 64, 500]) == [64, 500]
    assert tt.x_text("ft_samples", 0.25) == "25 %" and tt.x_text("ft_samples", 2000) == "2 000"
    assert tt.x_text("architecture", "densenet121") == "DenseNet-121"
    assert tt.mean_ci(0.5, float("nan")) == "0.500" and tt.mean_ci(0.5, 0.0123) == "0.500 ± 0.012"


def test_pretraining_chance_follows_the_class_relationship(smoke):
    chance = tt.pt_chance(smoke, "class_relationship")  # 6 target classes in the smoke profile
    assert chance == pytest.approx({"subset": 1 / 2, "disjoint": 1 / 6, "same": 1 / 6, "superset": 1 / 12})
    assert list(tt.pt_chance(smoke, "ft_samples").values()) == pytest.approx([1 / 6, 1 / 6])


def test_panel_figure_draws_ours_the_paper_and_chance(smoke):
    fig = tf.panel_figure(smoke, "lp", title="E-1", paper_table="E-1a")
    axes = fig.axes
    assert len(axes) == 4 and len(fig.legends) == 1
    cr = axes[0]
    # paper same + disjoint, transfer same + disjoint, PT task same + disjoint, PT chance ticks, target chance
    assert len(cr.lines) == 8
    assert [t.get_text() for t in cr.get_xticklabels()] == ["subset", "disjoint", "same", "superset"]
    assert "not in" not in cr.get_title()
    transfer = a.panel_data(smoke, "class_relationship", "lp")
    assert np.allclose(cr.lines[1].get_ydata(), transfer.mean("same"))
    chance = next(line for line in cr.lines if line.get_marker() == "_")
    assert list(chance.get_ydata()) == pytest.approx([1 / 2, 1 / 6, 1 / 6, 1 / 12])
    assert not any(isinstance(c, PolyCollection) for c in cr.collections)  # one seed: no band
    pt = axes[2]
    assert pt.get_xscale() == "log"
    assert {"64", "256", "1k", "500k"} <= {t.get_text() for t in pt.get_xticklabels()}


def test_panel_figure_marks_missing_panels_and_draws_bands_over_seeds(cpu):
    fig = tf.panel_figure(cpu, "lp", paper_table="E-1a")
    titles = [ax.get_title() for ax in fig.axes]
    assert [("not in this profile/run" in t) for t in titles] == [True, True, False, True]
    bands = [c for c in fig.axes[2].collections if isinstance(c, PolyCollection)]
    assert len(bands) == 4  # transfer and PT task, same and disjoint: 3 seeds
    assert len(fig.axes[0].lines) == 2  # only the paper's two series


def test_panel_figure_without_records_or_paper():
    fig = tf.panel_figure([], "lp")
    assert len(fig.axes) == 4 and all(len(ax.lines) == 0 for ax in fig.axes)
    assert all(any("profile/run" in t.get_text() for t in ax.texts) for ax in fig.axes)


def test_beside_table_puts_the_paper_next_to_ours_with_interval_and_n(cpu):
    html = tt.beside_table(cpu, "E-1a", "lp", profile="cpu")
    d = a.panel_data(cpu, "pt_samples", "lp")
    i = d.values.index(1_000)
    assert "0.945" in html and "0.809" in html  # the paper at 1 000 PT samples
    assert tt.mean_ci(d.mean("same")[i], d.ci("same")[i]) in html and " ± " in html
    assert '<td class="r">3</td>' in html  # n seeds
    assert html.count("<tr>") == 1 + 4 + 5 + 5 + 5  # header, class relationship, architecture, PT samples, FT
    extra = [dict(r, config=dict(r["config"], value=4_000)) for r in cpu if r["config"]["value"] == 1_000]
    assert tt.beside_table(cpu + extra, "E-1a", "lp").count("<tr>") == 1 + 4 + 5 + 6 + 5  # ours-only x: its own row


def test_beside_table_on_synthetic_seeds_recovers_the_paper(smoke):
    html = tt.beside_table(synthetic(seeds=(0, 1)), "E-1a")
    assert "0.953 ± " in html and "0.773 ± " in html
    assert "— = no point" in html and "marker is hidden under the training-accuracy squares" in html  # E-1a's note
    one_seed = tt.beside_table(smoke, "E-1a", profile="smoke")
    assert " ± " not in one_seed.split("</thead>")[1]  # one seed: no interval


def test_training_table_shows_each_models_accuracy_beside_chance(smoke, cpu):
    html = tt.training_table(smoke, "smoke")
    assert "PT classes" in html and "0.500" in html and "0.083" in html  # subset: 2 classes, superset: 12
    d = a.panel_data(smoke, "class_relationship", "training")
    assert tt.mean_ci(d.mean("same")[0], d.ci("same")[0]) in html
    assert tt.training_table(cpu, "cpu").count("not in this profile/run") == 3


def test_differences_table_and_figure(cpu):
    recs = synthetic(seeds=(0, 1, 2))
    html = tt.differences_table(recs, paper_table="E-1c", caption="E-1")
    assert "<b>0.15</b> (0.773–0.923)" in html and "(paper: E-1c)" in html and "labels printed in the figure" in html
    d = a.differences(recs)["class_relationship"]
    pd = a.panel_data(recs, "class_relationship")
    half = float(ci95(pd.acc["same"].mean(axis=1) - pd.acc["disjoint"].mean(axis=1)))
    assert tt.mean_ci(d.difference, half) in html and "n = 3" in html
    fig = tf.differences_figure(recs, paper_table="E-1a", title="ours")
    assert len(fig.axes) == 2
    ours = tt.differences_table(cpu)
    assert ours.count("not in this profile/run") == 2 and "—" in ours  # no paper table given
    assert len(tf.differences_figure(cpu).axes) == 1


def test_e2_parts_per_fine_tuning_size(smoke):
    parts = tf.e2_parts(smoke, "smoke")
    assert parts[0].startswith("### FT on 32 samples") and "stand-in" in parts[0]
    assert sum(isinstance(p, plt.Figure) for p in parts) == 2
    assert "E-2b" in parts[3] and "E-2a" in parts[4]
    paper = tf.e2_parts(synthetic("E-2a", seeds=(0,)), "paper")
    assert paper[0] == "### FT on 200 samples"
    no_ft = [dict(r, result=dict(r["result"], ft={})) for r in smoke]
    assert tf.e2_parts(no_ft, "smoke") == ["No fine-tuning results in this profile/run."]


def test_panels_summary_names_complete_and_partial_seeds(cpu):
    text = tf.panels_summary(cpu)
    assert "**PT samples**: 5 points, seeds 0, 1, 2" in text and text.count("not in this profile/run") == 3
    partial = [r for r in cpu if not (r["config"]["seed"] == 2 and r["config"]["value"] == 10_000)]
    assert "seeds 0, 1 (incomplete, left out: 2)" in tf.panels_summary(partial)
    pt = [r for r in cpu if r["config"]["panel"] == "pt_samples"]
    values = sorted({r["config"]["value"] for r in pt})
    # a grid still running: every seed lacks a different point
    started = [r for r in pt if r["config"]["value"] != values[r["config"]["seed"]]]
    assert f"**PT samples**: incomplete: {len(started)} results stored, no seed has every point yet" in (
        tf.panels_summary(started)
    )


def test_task_table_and_seed_slices(smoke):
    html = tt.task_table(smoke)
    t = grid.task(grid.SEEDS[0][0], 6)
    assert ", ".join(t["transforms"]["same"]) in html and "target objects (6)" in html
    assert tt.task_table([]) == ""
    table = tt.seed_table(smoke, 0, "class_relationship")
    assert "LP→FT 32" in table and table.count("<tr>") == 1 + 8
    assert "LP→FT (own n)" in tt.seed_table(smoke, 0, "ft_samples")
    assert "not in this profile/run" in tt.seed_table(smoke, 7, "pt_samples")
    tabs = tf.seed_tabs(smoke)
    assert len(tabs.children) == 1 and len(tabs.children[0].children) == 4
    assert "No results" in tf.seed_tabs([]).value


def test_show_displays_each_item_and_closes_figures(monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda x: shown.append(("display", x)))
    monkeypatch.setattr(html, "md", lambda x: shown.append(("md", x)))
    monkeypatch.setattr(html, "show_html", lambda x: shown.append(("html", x)))
    fig = plt.figure()
    html.show("**x**", "<p>y</p>", fig, 3)
    assert [k for k, _ in shown] == ["md", "html", "display", "display"]
    assert not plt.fignum_exists(fig.number)


def test_claim_tests_quote_the_registered_tests():
    text = pages.claim_tests(["C1", "C3"])
    assert text.startswith("**The test behind C1.**") and checks.C3_TEST in text
    assert len(text.split("\n\n")) == 2
