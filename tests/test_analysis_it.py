"""E-5 (`it`) analysis on synthetic records: Same/Other/None aggregation, the tables and the C7 check."""

from __future__ import annotations

import numpy as np
import pytest

from invtl.experiments.it import analysis as ait
from invtl import claims

DTS = ["op-img", "os-img", "rs-rand"]
DIST = {"op-img": 0.0, "os-img": 0.1, "rs-rand": 0.4, "rp-rand": 0.0, "cifar10": 0.2, "cifar100": 0.25}


def _records(ratio, seeds=(0, 1), groups=("img",), models=("none", "rotate", "hue", "blur"),
             targets=("rotate", "hue", "blur"), data_types=DTS, arch="resnet18", drop=()):
    """One record per (seed, group, model) plus the untrained network; ratio(group, train, d, t, seed)."""
    out = []
    for seed in seeds:
        units = [(g, m) for g in groups for m in models] + [("untrained", "none")]
        for g, m in units:
            if (seed, g, m) in drop:
                continue
            scores = {d: {t: {"l2": ratio(g, m, d, t, seed), "cos": 0.5, "dotprod": 0.5, "cka": 0.5} for t in targets}
                      for d in data_types}
            out.append({"config": {"arch": arch, "seed": seed, "group": g, "train_transform": m,
                                   "data_types": list(data_types), "eval_transforms": list(targets)},
                        "result": {"scores": scores}, "provenance": {}})
    return out


def paper_like(g, m, d, t, seed):
    """Same low and rising with distance, Other ~ None high."""
    if g == "untrained":
        return 0.9
    jitter = 0.01 * seed
    if m == t:
        return 0.12 + DIST[d] + jitter
    return (0.62 if m == "none" else 0.61) + DIST[d] / 2 + jitter


def test_same_other_none_follows_the_protocol():
    def ratio(g, m, d, t, seed):
        return {"none": 0.5, "rotate": 0.1, "hue": 0.2, "blur": 0.4}[m] + (0.01 if t == "hue" else 0.0)
    frame = ait.ratio_frame(_records(ratio, seeds=(0,)))
    son = ait.same_other_none(frame).set_index(["group", "seed", "data_type", "target", "row"]).value
    # target rotate: Same = rotate model, Other = mean(hue, blur), None = none model
    assert son[("img", 0, "op-img", "rotate", "Same")] == pytest.approx(0.1)
    assert son[("img", 0, "op-img", "rotate", "Other")] == pytest.approx(0.3)
    assert son[("img", 0, "op-img", "rotate", "None")] == pytest.approx(0.5)
    assert son[("img", 0, "op-img", "hue", "Other")] == pytest.approx(0.26)
    assert "untrained" not in set(son.index.get_level_values(0))


def test_only_trained_targets_count_and_incomplete_seeds_are_left_out():
    recs = _records(paper_like, seeds=(0, 1, 2), models=("none", "rotate", "hue"), targets=("rotate", "hue", "blur"),
                    drop={(2, "img", "hue")})
    frame = ait.ratio_frame(recs)
    son = ait.same_other_none(frame)
    assert set(son.target) == {"rotate", "hue"}
    assert set(son.seed) == {0, 1}
    assert ait.complete_seeds(frame, "img")[:2] == ([0, 1], [2])


def test_table_cells_mean_std_bold_and_column_status():
    frame = ait.ratio_frame(_records(paper_like, seeds=(0, 1, 2)))
    cols, rows, means = ait.group_table(frame, "img")
    assert cols[0] == "row" and cols[1].startswith("op-img")
    same = dict(zip(cols, rows[0]))
    assert same["op-img (in-distribution)"].startswith("**0.130 ± ")
    assert same["CIFAR-10"] == ait.NOT_MEASURED and same["CIFAR-100"] == ait.NOT_MEASURED
    # sample std over 3 seeds x 3 transforms (ddof = 1)
    values = np.repeat([0.12, 0.13, 0.14], 3)
    assert f"{values.std(ddof=1):.3f}" in same["op-img (in-distribution)"]
    frame2 = ait.ratio_frame(_records(paper_like, data_types=["op-img"]))
    _, rows2, _ = ait.group_table(frame2, "img")
    assert rows2[0][2] == ait.NOT_IN_PROFILE


def test_c7_holds_on_paper_like_numbers():
    ours, verdict = ait.check_c7(_records(paper_like, seeds=(3, 7)))
    assert verdict == "holds", ours
    assert "seeds 3, 7" in ours and "CIFAR-10" in ours and "(c)" in ours
    assert claims.CHECKS["C7"] is ait.check_c7 and "Same < Other" in claims.TESTS["C7"]


def test_c7_fails_when_same_is_not_lowest_or_other_and_none_diverge():
    def no_transfer(g, m, d, t, seed):
        return paper_like(g, m, d, t, seed) if d == "op-img" or m != t else 0.9
    assert ait.check_c7(_records(no_transfer))[1] == "fails"

    def gap(g, m, d, t, seed):
        return paper_like(g, m, d, t, seed) + (0.1 if m == "none" else 0.0)
    ours, verdict = ait.check_c7(_records(gap))
    assert verdict == "fails" and "(b) img" in ours.split("Failed:")[1].split("(tested")[0]

    def not_monotone(g, m, d, t, seed):
        return 0.3 - DIST[d] / 2 if m == t else 0.7
    ours, verdict = ait.check_c7(_records(not_monotone))
    assert verdict == "fails" and "(c)" in ours.split("Failed:")[1].split("(tested")[0]


def test_c7_rand_group_and_untestable_parts():
    recs = _records(paper_like, groups=("img", "rand"), data_types=DTS + ["rp-rand"])
    ours, verdict = ait.check_c7(recs)
    assert verdict == "holds" and "(a) rand" in ours.split("tested:")[1]
    # smoke-like: only none + one transform -> no Other row; Same < None is still tested
    ours, verdict = ait.check_c7(_records(paper_like, seeds=(0,), models=("none", "rotate"), targets=("rotate", "hue")))
    assert verdict == "holds" and "no img Other row" in ours and "(d)" in ours.split("Untested:")[1]


def test_cifar_columns_filled_from_records_and_used_by_c7():
    recs = _records(paper_like, seeds=(0, 1), groups=("img", "rand"), data_types=DTS + ["rp-rand", "cifar10"])
    frame = ait.ratio_frame(recs)
    for group in ("img", "rand"):
        cols, rows, means = ait.group_table(frame, group)
        same = dict(zip(cols, rows[0]))
        assert same["CIFAR-10"].startswith("**0.325 ± ") and np.isfinite(means["Same"]["cifar10"])
        assert same["CIFAR-100"] == ait.NOT_MEASURED
    ours, verdict = ait.check_c7(recs)
    assert verdict == "holds", ours
    assert "(op-img, os-img, CIFAR-10, rs-rand)" in ours and "CIFAR-10 0.325/" in ours
    assert "CIFAR-100 column (not measured)" in ours and "without CIFAR-10" not in ours
    both = _records(paper_like, data_types=DTS + ["cifar10", "cifar100"])
    ours, verdict = ait.check_c7(both)
    assert verdict == "holds" and "not measured" not in ours and "CIFAR-100 0.3" in ours

    def cifar_far(g, m, d, t, seed):  # Same on CIFAR-10 above rs-rand: the distance order (c) fails
        return 0.6 if d == "cifar10" and m == t else paper_like(g, m, d, t, seed)
    ours, verdict = ait.check_c7(_records(cifar_far, data_types=DTS + ["cifar10"]))
    assert verdict == "fails" and ours.split("Failed:")[1].split("(tested")[0].strip() == "(c)"

    def no_cifar_transfer(g, m, d, t, seed):  # Same not below None on CIFAR-10 only: (a) fails
        return 0.95 if d == "cifar10" and m == t else paper_like(g, m, d, t, seed)
    ours, verdict = ait.check_c7(_records(no_cifar_transfer, data_types=DTS + ["cifar10"]))
    assert verdict == "fails" and "(a) img" in ours.split("Failed:")[1].split("(tested")[0]


def test_c7_not_run():
    assert ait.check_c7([])[1] == "not run"
    assert ait.check_c7(_records(paper_like, arch="vgg11"))[1] == "not run"
    only_none = _records(paper_like, models=("none",))
    assert ait.check_c7(only_none)[1] == "not run"


def test_plot_matrices():
    frame = ait.ratio_frame(_records(paper_like, groups=("img", "rand"), data_types=DTS + ["rp-rand"]))
    labels, dts, m = ait.model_type_matrix(frame)
    assert labels[0].startswith("img Same") and labels[-1] == "untrained" and m.shape == (7, 4)
    assert dts == ["op-img", "os-img", "rp-rand", "rs-rand"]
    models, targets, b = ait.breakdown(frame, "img", "op-img")
    assert models == ["none", "rotate", "hue", "blur"] and targets == ["rotate", "hue", "blur"]
    assert b[1, 0] == pytest.approx(0.125)
    prof = ait.model_profile(frame, "img", "rotate", "rotate")
    assert list(prof.index) == dts and prof.loc["op-img", "n"] == 2
