"""E-3 chapter figures (`invtl.experiments.cifar_tvo.figures`) on the committed smoke results and on synthetic
records of both datasets."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib.pyplot as plt
import pytest
from matplotlib.collections import PolyCollection

from invtl.experiments.cifar_tvo import analysis as ac
from invtl.experiments.cifar_tvo import figures as cf
from invtl.experiments.tvo import analysis as tvo
from invtl.experiments.tvo import grid as tvo_grid

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def smoke():
    return [json.loads(p.read_text()) for p in sorted((REPO / "results" / "smoke" / "cifar_tvo").glob("*.json"))]


@pytest.fixture(autouse=True)
def no_cifar(monkeypatch):
    """No CIFAR copy on this machine (and nothing computed)."""
    monkeypatch.setattr(cf.cifar, "available", lambda name, *args, **kwargs: False)
    yield
    plt.close("all")


def synthetic(datasets=("cifar10", "cifar100"), seeds=(0, 1)) -> list[dict]:
    """E-1a's seed means as E-3 records of each dataset (N target classes, the tasks of E-3's seeds)."""
    out = []
    for ds in datasets:
        for r in tvo.paper_records("E-1a", seeds=seeds, noise=0.01):
            r["config"].update(
                dataset=ds,
                num_target={"cifar10": 5, "cifar100": 50}[ds],
                config_seed=tvo_grid.SEEDS[r["config"]["seed"]][0],
            )
            out.append(r)
    return out


def test_pretraining_classes_of_cifar_tasks(smoke):
    by_value = {
        r["config"]["value"]: cf.pretraining_classes(r["config"])
        for r in smoke
        if r["config"]["panel"] == "class_relationship"
    }
    assert by_value == {"subset": 2, "disjoint": 5, "same": 5, "superset": 10}
    assert (
        cf.pretraining_classes(dict(smoke[0]["config"], panel="class_relationship", value="superset", num_target=50))
        == 100
    )


def test_compute_status_without_data_computes_nothing(monkeypatch):
    assert cf.compute_status("smoke", None, "cpu", None, True).startswith("No CIFAR data found")
    monkeypatch.setattr(cf.cifar, "available", lambda name, *args, **kwargs: name == "cifar10")
    status = cf.compute_status("smoke", None, "cpu", None, False)  # compute=False: nothing runs
    assert "Nothing computed" in status and "No local copy of CIFAR-100" in status


def test_dataset_notes_say_why_a_dataset_is_missing(smoke):
    notes = cf.dataset_notes(smoke, "smoke")
    assert "CIFAR-100 not run: no local copy" in notes and "CIFAR-10 not run" not in notes
    cpu = cf.dataset_notes([], "cpu")
    assert "CIFAR-10 not run: no local copy" in cpu and "CIFAR-100 not run: no local copy" in cpu  # both in the grid
    assert cf.dataset_notes(synthetic(), "smoke") == ""


def test_panel_figures_use_the_e1_layout_with_the_e3_paper_points(smoke):
    (fig,) = cf.panel_figures(smoke, "smoke")
    assert len(fig.axes) == 4 and "CIFAR-10" in fig._suptitle.get_text()
    cr, pt, ft = fig.axes[0], fig.axes[2], fig.axes[3]
    paper_disjoint = cr.lines[3]  # same: paper, transfer, PT task; then disjoint: paper
    assert list(paper_disjoint.get_ydata()) == [0.493, 0.563]  # the same / superset points are hidden
    assert pt.get_xlabel() == "PT samples per class"
    assert {"1 %", "25 %", "100 %"} <= {t.get_text() for t in ft.get_xticklabels()}
    chance = next(line for line in cr.lines if line.get_marker() == "_")
    assert list(chance.get_ydata()) == pytest.approx([1 / 2, 1 / 5, 1 / 5, 1 / 10])
    assert cf.panel_figures([], "cpu") == ["No E-3 results in the store for this profile."]


def test_panel_figures_per_dataset_with_bands_over_seeds():
    figures = cf.panel_figures(synthetic(), "synthetic")
    assert [f._suptitle.get_text().split(",")[1].strip() for f in figures] == ["CIFAR-10", "CIFAR-100"]
    bands = [c for c in figures[1].axes[1].collections if isinstance(c, PolyCollection)]
    assert len(bands) == 4


def test_beside_parts_show_both_datasets_and_the_paper_alone_without_results(smoke):
    parts = cf.beside_parts(smoke, "smoke")
    assert parts[0] == "### CIFAR-10" and parts[2] == "### CIFAR-100"
    assert "E-3a" in parts[1] and "0.613" in parts[1] and "25 %" in parts[1]
    d = tvo.panel_data(ac.by_dataset(smoke)["cifar10"], "class_relationship")
    assert f"{d.mean('same')[0]:.3f}" in parts[1]
    body = parts[3].split("</thead>")[1]
    assert "0.482" in body and "hidden" in body and '<td class="r">1</td>' not in body  # no seeds of ours


def test_training_parts_show_chance_and_the_papers_note(smoke):
    parts = cf.training_parts(smoke, "smoke")
    assert parts[0] == "### CIFAR-10" and "0.500" in parts[1] and "0.100" in parts[1]
    assert parts[2].startswith("**Paper:** Training (PT-task) accuracy, 5 classes")
    assert "ViT ≈0.49" in cf.training_parts(synthetic(("cifar100",)), "s")[2]
    assert cf.training_parts([], "cpu") == ["No E-3 results in the store for this profile."]


def test_differences_parts_beside_the_papers_panel(smoke):
    fig, table = cf.differences_parts(smoke, "smoke")
    assert len(fig.axes) == 2
    assert any("not readable" in t.get_text() for t in fig.axes[0].texts)  # hidden class-relationship points
    assert "(paper: E-3a-diff)" in table and "0.17" in table and "n = 1" in table
    assert len(cf.differences_parts(synthetic(), "s")) == 4
