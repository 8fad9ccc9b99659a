"""E-3 (`cifar_tvo`) and E-4 (`ife`) analysis on synthetic records: the C5 and C6 checks."""

from __future__ import annotations

import math

import numpy as np

from invtl import stats
from invtl.experiments.cifar_tvo import analysis as ac
from invtl.experiments.ife import analysis as aife
from invtl import claims
from invtl.experiments.tvo import analysis as analysis_tvo


def _cifar_records(dataset="cifar10", gap=0.1, seeds=(0, 1), bad_point=None):
    """tvo-style records of the paper's E-1a numbers, tagged with a dataset; same = disjoint + gap."""
    out = []
    for r in analysis_tvo.paper_records("E-1a", seeds=seeds):
        c = r["config"]
        r = {"config": dict(c, dataset=dataset), "result": dict(r["result"]), "provenance": {}}
        if c["transform_set"] == "same":
            base = 0.5
            g = gap
            if bad_point is not None and (c["panel"], c["value"]) == bad_point:
                g = -0.05
            acc = {"test_accuracy": base + g, "pooled_accuracy": base + g}
        else:
            acc = {"test_accuracy": 0.5, "pooled_accuracy": 0.5}
        r["result"]["lp"] = acc
        out.append(r)
    return out


def test_c5_holds_on_cifar10_and_says_cifar100_not_run():
    ours, verdict = ac.check_c5(_cifar_records())
    assert verdict == "holds"
    assert "CIFAR-100: not run" in ours
    assert "CIFAR-10: same > disjoint at all" in ours
    assert "class relationship 0.100" in ours


def test_c5_fails_on_one_point():
    recs = _cifar_records() + _cifar_records("cifar100", bad_point=("architecture", "vgg11"))
    ours, verdict = ac.check_c5(recs)
    assert verdict == "fails"
    assert "CIFAR-100: same > disjoint at not all" in ours and "VGG-11" in ours


def test_c5_not_run_without_records():
    assert ac.check_c5([])[1] == "not run"
    assert claims.CHECKS["C5"] is ac.check_c5 and "C5" in claims.TESTS


# --- E-4 ---------------------------------------------------------------------------------------------

PAPER_LP = {  # E-4a
    "C&C": [0.98, 0.95, 0.80, 1.00], "C+O&C": [0.98, 0.98, 0.53, 1.00],
    "C+O&O": [0.31, 0.24, 1.00, 1.00], "O&O": [0.36, 0.35, 0.85, 1.00],
}
PAPER_L2 = {"C&C": (0.99, 0.21), "C+O&C": (1.00, 0.08), "C+O&O": (0.11, 0.99), "O&O": (0.98, 0.19)}  # E-4b


def _ife_records(variants=("fixed",), seeds=(0, 1), lp=PAPER_LP, l2=PAPER_L2, drop=()):
    out = []
    for v in variants:
        for s in seeds:
            for t in aife.TASKS:
                if (v, s, t) in drop:
                    continue
                jit = 0.001 * s
                out.append({"config": {"variant": v, "seed": s, "pt_task": t},
                            "result": {"lp": {tt: {"test_accuracy": a + jit, "pooled_accuracy": a}
                                              for tt, a in zip(aife.TASKS, lp[t])},
                                       "invariance": {"cifar": {"l2": l2[t][0], "cos": 1.0},
                                                      "objects": {"l2": l2[t][1] + jit, "cos": 1.0}}},
                            "provenance": {}})
    return out


def test_c6_holds_on_paper_numbers_and_correlation_matches_paper():
    recs = _ife_records(("fixed", "translate"))
    ours, verdict = aife.check_c6(recs)
    assert verdict == "holds", ours
    r = aife.correlations(recs, "fixed")
    assert abs(r["cifar"] - 0.681) < 0.01 and abs(r["objects"] - 0.786) < 0.01
    assert "fixed:" in ours and "translate:" in ours


def test_c6_fails_when_cc_model_is_most_object_invariant():
    l2 = dict(PAPER_L2, **{"C&C": (0.99, 0.05)})
    ours, verdict = aife.check_c6(_ife_records(l2=l2))
    assert verdict == "fails" and "not lowest (C&C" in ours


def test_c6_fails_when_object_probe_not_below():
    lp = dict(PAPER_LP, **{"C+O&C": [0.98, 0.98, 0.90, 1.00]})
    assert aife.check_c6(_ife_records(lp=lp))[1] == "fails"


def test_c6_not_run_and_incomplete_seeds():
    assert aife.check_c6([])[1] == "not run"
    recs = _ife_records(seeds=(0,), drop={("fixed", 0, "O&O")})
    assert aife.check_c6(recs)[1] == "not run"
    recs = _ife_records(seeds=(0, 1), drop={("fixed", 1, "O&O")})
    lp, sids = aife.lp_matrices(recs, "fixed")
    assert sids == [0] and lp.shape == (1, 4, 4)
    m, s = stats.mean_std(lp)
    assert np.isnan(s).all() and math.isclose(m[1, 2], 0.53)
