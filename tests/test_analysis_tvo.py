"""E-1/E-2 analysis (`invtl.experiments.tvo.analysis`) and the C1–C4 checks, on synthetic tvo records."""

import numpy as np
import pytest

from invtl.experiments.tvo import analysis as a


def test_performance_differences_match_the_paper_panel():
    d = a.differences(a.paper_records("E-1a", seeds=(0,)))
    # E-1c labels: disjoint range / same range / difference of means
    assert round(d["class_relationship"].disjoint_range, 2) == 0.15
    assert round(d["architecture"].disjoint_range, 2) == 0.07
    assert round(d["pt_samples"].disjoint_range, 2) == 0.03
    assert round(d["architecture"].same_range, 2) == 0.02
    # the differences rest on read-off points (±0.01) and a hidden same-transform value
    assert d["pt_samples"].difference == pytest.approx(0.14, abs=0.01)
    assert d["architecture"].difference == pytest.approx(0.12, abs=0.01)


def test_tidy_seed_means_and_intervals():
    recs = a.paper_records("E-1a", seeds=(0, 1, 2), noise=0.01)
    rows = a.tidy(recs)
    assert {r["stage"] for r in rows} == {"training", "lp", "ft"}
    means = a.seed_means(recs)
    sub = next(
        m
        for m in means
        if m["panel"] == "class_relationship" and m["value"] == "subset" and m["transform_set"] == "same"
    )
    assert sub["n_seeds"] == 3 and sub["ci95"] > 0
    assert np.isnan(a.ci95(np.array([[0.5, 0.6]]))).all()
    assert a.ci95(np.array([0.0, 1.0])) == pytest.approx(12.706 * np.std([0.0, 1.0], ddof=1) / np.sqrt(2), rel=1e-3)


def test_ft_view_reads_the_ft_samples_panel_at_its_own_n():
    recs = a.paper_records("E-2a", seeds=(0,))
    d = a.panel_data(recs, "ft_samples", "ft", 200)
    assert d.values == [50, 200, 500, 5000]
    assert d.mean("disjoint")[0] == pytest.approx(0.450)
