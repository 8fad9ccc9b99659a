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


def test_it_data_types_and_grid():
    from invtl.experiments import it

    kind, op = it.objects(58390, "op")
    _, os_ = it.objects(58390, "os")
    assert kind == "objects" and len(op) == len(os_) == 30 and not set(op) & set(os_)
    assert it.objects(58390, "rp") == ("random:58983", list(range(30)))
    config = {"config_seed": 58390, "source": "offline"}
    kwargs, objs = it.dataset_args(config, "rs-rand")
    assert kwargs["source"] == "random:58635" and kwargs["background"] == "random" and objs == list(range(30))
    assert it.dataset_args(config, "os-img") == ({"source": "offline", "background": "offline", "background_seed": 58714}, os_)
    jobs = it.jobs("paper", [0])
    assert len(jobs) == 4 * (2 * 19 + 1)  # 4 architectures x (19 img + 19 rand + 1 untrained)
    assert len(jobs[0].config["data_types"]) * len(jobs[0].config["eval_transforms"]) == 144  # T2D twin pairs
