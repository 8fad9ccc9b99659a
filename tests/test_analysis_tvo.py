"""E-1/E-2 analysis (`invtl.experiments.tvo.analysis`) and the C1–C4 checks, on synthetic tvo records."""

import numpy as np
import pytest

from invtl.experiments.tvo import analysis as a
from invtl import claims


def test_checks_are_registered_with_their_tests():
    for cid in ("C1", "C2", "C3", "C4"):
        assert claims.CHECKS[cid] is a.CHECKS[cid]
        assert claims.TESTS[cid] == a.TESTS[cid]


def test_checks_hold_on_the_paper_numbers_and_report_the_seeds():
    e1 = a.paper_records("E-1a", seeds=(3, 7), noise=0.004)
    for cid in ("C1", "C2", "C3"):
        ours, verdict = a.CHECKS[cid](e1)
        assert verdict == "holds", (cid, ours)
        assert "seeds 3, 7" in ours
    ours, verdict = a.check_c4(a.paper_records("E-2a", seeds=(0, 1)))
    assert verdict == "holds" and "FT on 200 samples" in ours


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


def test_checks_fail_when_same_and_disjoint_are_alike():
    recs = a.paper_records("E-1a", seeds=(0, 1))
    for r in recs:  # disjoint-transform PT as good as same: no gap anywhere
        if r["config"]["transform_set"] == "disjoint":
            key = (r["config"]["panel"], r["config"]["value"])
            twin = next(x for x in recs if (x["config"]["panel"], x["config"]["value"]) == key
                        and x["config"]["seed"] == r["config"]["seed"] and x["config"]["transform_set"] == "same")
            r["result"] = twin["result"]
    for cid in ("C1", "C2", "C3", "C4"):
        assert a.CHECKS[cid](recs)[1] == "fails", cid


def test_c4_fails_on_one_reversed_point():
    recs = a.paper_records("E-2a", seeds=(0,))
    for r in recs:
        c = r["config"]
        if c["panel"] == "architecture" and c["value"] == "vit" and c["transform_set"] == "disjoint":
            r["result"]["ft"]["200"] = {"test_accuracy": 0.99, "pooled_accuracy": 0.99}
    ours, verdict = a.check_c4(recs)
    assert verdict == "fails" and "ViT" in ours


def test_missing_panels_are_not_run_or_named():
    recs = a.paper_records("E-1a", seeds=(0, 1))
    only_pt = [r for r in recs if r["config"]["panel"] == "pt_samples"]
    ours, verdict = a.check_c1(only_pt)
    assert verdict == "holds" and "not in this run: architecture panel" in ours
    assert a.check_c2(only_pt)[1] == "not run"
    assert a.check_c3(only_pt)[1] == "not run"
    assert a.check_c1([r for r in recs if r["config"]["panel"] == "architecture"])[1] == "not run"
    assert all(a.CHECKS[c]([])[1] == "not run" for c in ("C1", "C2", "C3", "C4"))


def test_incomplete_seeds_are_left_out_and_named():
    recs = a.paper_records("E-1a", seeds=(0, 1))
    recs = [r for r in recs if not (r["config"]["seed"] == 1 and r["config"]["panel"] == "pt_samples"
                                    and r["config"]["value"] == 500_000)]
    d = a.panel_data(recs, "pt_samples")
    assert d.seeds == [0] and d.partial_seeds == [1]
    assert "incomplete seed 1 left out" in a.check_c1(recs)[0]


def test_tidy_seed_means_and_intervals():
    recs = a.paper_records("E-1a", seeds=(0, 1, 2), noise=0.01)
    rows = a.tidy(recs)
    assert {r["stage"] for r in rows} == {"training", "lp", "ft"}
    means = a.seed_means(recs)
    sub = next(m for m in means if m["panel"] == "class_relationship" and m["value"] == "subset"
               and m["transform_set"] == "same")
    assert sub["n_seeds"] == 3 and sub["ci95"] > 0
    assert np.isnan(a.ci95(np.array([[0.5, 0.6]]))).all()
    assert a.ci95(np.array([0.0, 1.0])) == pytest.approx(12.706 * np.std([0.0, 1.0], ddof=1) / np.sqrt(2), rel=1e-3)


def test_ft_view_reads_the_ft_samples_panel_at_its_own_n():
    recs = a.paper_records("E-2a", seeds=(0,))
    d = a.panel_data(recs, "ft_samples", "ft", 200)
    assert d.values == [50, 200, 500, 5000]
    assert d.mean("disjoint")[0] == pytest.approx(0.450)
