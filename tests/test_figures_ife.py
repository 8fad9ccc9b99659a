"""E-4 chapter figures (`invtl.experiments.ife.figures`) on the committed smoke and cpu results and on
synthetic records of the paper's numbers."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pytest

from invtl.experiments.ife import analysis as ai
from invtl.experiments.ife import figures as fi

REPO = Path(__file__).resolve().parents[1]
PAPER_LP = {
    "C&C": [0.98, 0.95, 0.80, 1.00],
    "C+O&C": [0.98, 0.98, 0.53, 1.00],  # E-4a
    "C+O&O": [0.31, 0.24, 1.00, 1.00],
    "O&O": [0.36, 0.35, 0.85, 1.00],
}
PAPER_L2 = {"C&C": (0.99, 0.21), "C+O&C": (1.00, 0.08), "C+O&O": (0.11, 0.99), "O&O": (0.98, 0.19)}  # E-4b


def stored(profile: str) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted((REPO / "results" / profile / "ife").glob("*.json"))]


@pytest.fixture(scope="module")
def smoke():
    return stored("smoke")


@pytest.fixture(scope="module")
def cpu():
    """A partial store: the fixed variant only, one seed (synthetic, so the tests do not change when the
    committed cpu results do), with the sizes a cpu record carries."""
    sizes = {"C": {"train": 2000, "val": 200, "test": 1000}, "O": {"train": 2000, "val": 200, "test": 1000}}
    return [dict(r, result=dict(r["result"], sizes=sizes)) for r in synthetic(seeds=(0,))]


@pytest.fixture(autouse=True)
def no_cifar(monkeypatch):
    monkeypatch.setattr(fi.cifar, "available", lambda name, *args, **kwargs: False)
    yield
    plt.close("all")


def synthetic(seeds=(0, 1, 2), variants=("fixed",)) -> list[dict]:
    """E-4a / E-4b as records; seed s adds 0.01 s to every LP accuracy and object ratio."""
    out = []
    for v in variants:
        for s in seeds:
            for t in ai.TASKS:
                out.append(
                    {
                        "config": {"variant": v, "seed": s, "pt_task": t},
                        "result": {
                            "lp": {
                                tt: {"test_accuracy": a + 0.01 * s, "pooled_accuracy": a}
                                for tt, a in zip(ai.TASKS, PAPER_LP[t])
                            },
                            "invariance": {
                                "cifar": {"l2": PAPER_L2[t][0]},
                                "objects": {"l2": PAPER_L2[t][1] + 0.01 * s},
                            },
                            "training": {"test_accuracy": 0.9 + 0.01 * s, "pooled_accuracy": 0.95},
                        },
                        "provenance": {},
                    }
                )
    return out


def test_fmt_writes_mean_and_std_like_the_paper():
    assert fi.fmt(0.5312, 0.049) == "0.53±0.05"
    assert fi.fmt(0.5312, float("nan")) == "0.53" and fi.fmt(float("nan"), float("nan")) == "—"
    assert fi.fmt(0.5312, 0.049, 3) == "0.531±0.049"


def test_lp_table_puts_each_row_beside_the_papers(cpu):
    html = fi.lp_table(cpu, "fixed", "cpu")
    lp, sids = ai.lp_matrices(cpu, "fixed")
    assert sids == [0] and "n = 1 seed (0)" in html and "E-4a" in html
    assert f"<b>{lp[0, 1, 2]:.2f}</b>" in html  # the C+O&C model's object probe, bold
    assert f"{lp[0, 0, 0]:.2f}" in html and "±" not in html.split("</thead>")[1].split("paper")[0]
    assert "<b>0.53±0.05</b>" in html and html.count(">paper<") == 4 and html.count(">ours<") == 4
    missing = fi.lp_table(cpu, "translate", "cpu")
    assert missing.count("not run") >= 16 and "0.15±0.01" in missing  # E-4c


def test_lp_table_mean_and_std_over_seeds():
    recs = synthetic()
    html = fi.lp_table(recs, "fixed", "s")
    assert "<b>0.54±0.01</b>" in html and "n = 3 seeds (0, 1, 2)" in html  # 0.53 + 0.01 s, s = 0, 1, 2
    pooled = fi.lp_table(recs, "fixed", "s", metric="pooled_accuracy", with_paper=False)
    assert "pooled" in pooled and ">paper<" not in pooled and "0.98" in pooled
    one = fi.lp_table(recs, "fixed", "s", seeds=[2], caption="seed 2", with_paper=False)
    assert "0.55" in one and "±" not in one


def test_invariance_table_and_correlations(smoke, cpu):
    html = fi.invariance_table(cpu, "fixed", "cpu")
    inv, _ = ai.invariance_matrices(cpu, "fixed")
    assert f"<b>{inv[0, 1, 1]:.2f}</b>" in html and "<b>0.08±0.00</b>" in html and "test-split twins" in html
    assert "0.08±0.01" in fi.invariance_table(synthetic(variants=("translate",)), "translate", "s")  # E-4d
    table = fi.correlation_table(cpu, "cpu")
    r = ai.correlations(cpu, "fixed")
    assert f"{r['cifar']:.3f}" in table and f"{r['objects']:.3f}" in table and table.count("not run") == 2
    flat = synthetic(seeds=(0,))
    for r in flat:  # every model at chance: no spread across the four models
        r["result"]["lp"] = {t: {"test_accuracy": 0.1, "pooled_accuracy": 0.1} for t in ai.TASKS}
    assert fi.correlation_table(flat, "flat").count("undefined (no spread)") == 2


def test_variant_parts_cover_both_variants(cpu):
    parts = fi.variant_parts(cpu, "cpu", fi.invariance_table)
    assert parts[0] == "### Fixed object position" and parts[2] == "### Translate object position"
    assert "E-4b" in parts[1] and "E-4d" in parts[3]


def test_training_table_shows_own_task_accuracy_beside_chance(smoke, cpu):
    html = fi.training_table(cpu, "cpu")
    acc = {r["config"]["pt_task"]: r["result"]["training"]["test_accuracy"] for r in cpu}
    assert all(f"{a:.3f}" in html for a in acc.values())
    assert html.count("0.100") >= 4 and "object label" in html and "cifar label" in html
    assert ">translate<" in html and "not run" in html
    three = fi.training_table(synthetic(), "s")
    assert "0.910±0.010" in three and ">3<" in three
    assert fi.training_table(smoke, "smoke").count(">1<") == 8


def test_heat_figure_and_slice_tabs(smoke):
    fig = fi.heat_figure(smoke, "fixed", None, "t")
    heat, bars = fig.axes[:2]
    assert len(heat.texts) == 16 and len(bars.patches) == 8
    lp, _ = ai.lp_matrices(smoke, "fixed")
    assert np.allclose(heat.images[0].get_array(), lp.mean(axis=0))
    tabs = fi.slice_tabs(smoke, "smoke")
    assert len(tabs.children) == 2 and [len(t.children) for t in tabs.children] == [1, 1]
    several = fi.slice_tabs(synthetic(seeds=(0, 1)), "s")
    assert several.children[0].titles == ("mean over seeds", "seed 0", "seed 1")
    assert "No complete seed" in fi.slice_tabs([], "s").value


def test_store_note_and_status(cpu):
    note = fi.store_note(cpu, "cpu")
    assert "translate (not run)" in note and "CIFAR 2000 / 200 / 1000, objects only 2000 / 200 / 1000" in note
    assert fi.store_note([], "cpu").startswith("Variants not in the store")
    assert fi.compute_status("cpu", None, "cpu", None, True).startswith("No CIFAR-10 data")


def test_example_images_without_cifar_show_the_objects_alone(smoke):
    parts = fi.example_parts(smoke)
    assert len(parts) == 3 and "only the object-only images" in parts[2]
    fig = parts[1]
    assert len(fig.axes) == 8 and "translate, seed 0" in fig._suptitle.get_text()
    assert [ax.get_xlabel()[0] for ax in fig.axes] == ["o"] * 8
    assert fi.example_parts([]) == []
