"""Experiment grids: task instances drawn as the original, grid sizes, shared pretraining runs."""

from invtl.data import TRANSFORMS
from invtl.experiments import tvo


def test_tvo_task_instance():
    t = tvo.task(59832)
    same, disjoint = t["transforms"]["same"], t["transforms"]["disjoint"]
    assert [TRANSFORMS[x] for x in same] == ["geometric", "photometric", "corruption"]
    assert [TRANSFORMS[x] for x in disjoint] == ["geometric", "photometric", "corruption"]
    assert not set(same) & set(disjoint)
    sizes = {k: len(v) for k, v in t["classes"].items()}
    assert sizes == {"subset": 10, "disjoint": 30, "same": 30, "superset": 60}
    assert t["classes"]["same"] == t["target"] and not set(t["target"]) & set(t["classes"]["disjoint"])
    assert t["classes"]["subset"] == t["target"][:10] and len(set(t["classes"]["superset"])) == 60
    assert tvo.task(59832) == t and tvo.task(113) != t


def test_tvo_paper_grid_matches_the_protocol():
    jobs = tvo.jobs("paper", [0])
    assert len(jobs) == 2 * (4 + 5 + 5 + 5)  # E-1: 38 transfers per seed
    setups = {(tvo.pretraining_setup(j.config), j.config["transform_set"]) for j in jobs}
    # E-1 pretrains 30 models per seed; 6 of them coincide (ResNet-18, disjoint classes, 50k
    # samples appears in three panels; the FT-samples model is the class-relationship "same" one)
    assert len(setups) == 24
    ft = [j for j in jobs if j.panel != "ft_samples"]
    # E-2: 28 jobs fine-tune on 200 and on 2,000 samples; the 10 FT-samples jobs on their own n
    assert len(ft) == 28 and all(j.config["ft_sizes"] == [200, 2000] for j in ft)
    assert {j.config["value"] for j in jobs if j.panel == "ft_samples"} == {50, 200, 500, 2000, 5000}
