"""E-5 (`it`) analysis on synthetic records: Same/Other/None aggregation, the tables and the C7 check."""

from __future__ import annotations

import numpy as np
import pytest

from invtl.experiments.it import analysis as ait

DTS = ["op-img", "os-img", "rs-rand"]
DIST = {"op-img": 0.0, "os-img": 0.1, "rs-rand": 0.4, "rp-rand": 0.0, "cifar10": 0.2, "cifar100": 0.25}


def _records(
    ratio,
    seeds=(0, 1),
    groups=("img",),
    models=("none", "rotate", "hue", "blur"),
    targets=("rotate", "hue", "blur"),
    data_types=DTS,
    arch="resnet18",
    drop=(),
):
    """One record per (seed, group, model) plus the untrained network; ratio(group, train, d, t, seed)."""
    out = []
    for seed in seeds:
        units = [(g, m) for g in groups for m in models] + [("untrained", "none")]
        for g, m in units:
            if (seed, g, m) in drop:
                continue
            scores = {
                d: {t: {"l2": ratio(g, m, d, t, seed), "cos": 0.5, "dotprod": 0.5, "cka": 0.5} for t in targets}
                for d in data_types
            }
            out.append(
                {
                    "config": {
                        "arch": arch,
                        "seed": seed,
                        "group": g,
                        "train_transform": m,
                        "data_types": list(data_types),
                        "eval_transforms": list(targets),
                    },
                    "result": {"scores": scores},
                    "provenance": {},
                }
            )
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
    recs = _records(
        paper_like,
        seeds=(0, 1, 2),
        models=("none", "rotate", "hue"),
        targets=("rotate", "hue", "blur"),
        drop={(2, "img", "hue")},
    )
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
    assert same["CIFAR-10"] == ait.NOT_IN_PROFILE and same["CIFAR-100"] == ait.NOT_IN_PROFILE
    # sample std over 3 seeds x 3 transforms (ddof = 1)
    values = np.repeat([0.12, 0.13, 0.14], 3)
    assert f"{values.std(ddof=1):.3f}" in same["op-img (in-distribution)"]
    frame2 = ait.ratio_frame(_records(paper_like, data_types=["op-img"]))
    _, rows2, _ = ait.group_table(frame2, "img")
    assert rows2[0][2] == ait.NOT_IN_PROFILE
    absent = _records(paper_like, data_types=["op-img", "cifar100"])
    for r in absent:  # CIFAR-100 in the profile, but not on disk when the jobs ran
        r["result"]["scores"].pop("cifar100")
        r["result"]["not_measured"] = ["cifar100"]
    _, rows3, _ = ait.group_table(ait.ratio_frame(absent), "img")
    assert rows3[0][-1] == ait.NOT_MEASURED and rows3[0][-2] == ait.NOT_IN_PROFILE


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
