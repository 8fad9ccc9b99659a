"""Experiment grids: task instances drawn as the original, grid sizes, shared pretraining runs."""

import pytest

from invtl.experiments.tvo import grid as tvo
from invtl.t2d.dataset import TRANSFORMS


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
    effective = lambda c: (*tvo.pretraining_setup(c)[:2], tvo.pretraining_setup(c)[2] or c["n_pt"])
    setups = {(effective(j.config), j.config["transform_set"]) for j in jobs}
    # E-1 pretrains 30 models per seed; 6 of them coincide (ResNet-18, disjoint classes, 50k
    # samples appears in three panels; the FT-samples model is the class-relationship "same" one)
    assert len(setups) == 24
    ft = [j for j in jobs if j.panel != "ft_samples"]
    # E-2: 28 jobs fine-tune on 200 and on 2,000 samples; the 10 FT-samples jobs on their own n
    assert len(ft) == 28 and all(j.config["ft_sizes"] == [200, 2000] for j in ft)
    assert {j.config["value"] for j in jobs if j.panel == "ft_samples"} == {50, 200, 500, 2000, 5000}


def test_it_data_types_and_grid():
    from invtl.experiments.it import grid as it

    kind, op = it.objects(58390, "op")
    _, os_ = it.objects(58390, "os")
    assert kind == "objects" and len(op) == len(os_) == 30 and not set(op) & set(os_)
    assert it.objects(58390, "rp") == ("random:58983", list(range(30)))
    config = {"config_seed": 58390, "source": "offline"}
    kwargs, objs = it.dataset_args(config, "rs-rand")
    assert kwargs["source"] == "random:58635" and kwargs["background"] == "random" and objs == list(range(30))
    assert it.dataset_args(config, "os-img") == (
        {"source": "offline", "background": "offline", "background_seed": 58714},
        os_,
    )
    jobs = it.jobs("paper", [0])
    assert len(jobs) == 4 * (2 * 19 + 1)  # 4 architectures x (19 img + 19 rand + 1 untrained)
    assert len(jobs[0].config["data_types"]) * len(jobs[0].config["eval_transforms"]) == 180  # 10 data types x 18
    assert jobs[0].config["data_types"][-2:] == ["cifar10", "cifar100"]
    assert "cifar10" in it.jobs("smoke", [0])[0].config["data_types"]


def test_it_cifar_twins_availability_and_normalisation(tmp_path, monkeypatch):
    import zipfile

    import torch

    from invtl.engine.train import Normalise
    from invtl.experiments.it import grid as it
    from invtl.t2d import cifar

    monkeypatch.setenv("INVTL_DATA_ROOT", str(tmp_path))
    assert not cifar.available("cifar10", ("test",)) and not cifar.available("cifar100", ("test",))
    with zipfile.ZipFile(tmp_path / "test.zip", "w") as z:  # a 10-class zip in the root: CIFAR-10, not CIFAR-100
        for k in range(10):
            z.writestr(f"test/class{k}/0.png", b"")
    assert cifar.available("cifar10", ("test",)) and not cifar.available("cifar100", ("test",))
    with pytest.warns(UserWarning, match="cifar100 not measured"):
        assert it.cifar_test_images("cifar100", 8) is None
    images = torch.randint(0, 256, (10, 3, 32, 32), dtype=torch.uint8)
    a = it.cifar_twin(images, "rotate", 593, [], "cpu")
    monkeypatch.setattr(it, "CHUNK", 3)  # keyed per image index: chunking does not change a twin
    assert torch.equal(it.cifar_twin(images, "rotate", 593, [], "cpu"), a)
    assert not torch.equal(it.cifar_twin(images, "rotate", 94224, [], "cpu"), a)
    assert torch.equal(it.cifar_twin(images, "none", 593, [], "cpu"), images)
    shifted = [it.cifar_twin(images, "translate", 7, legacy, "cpu") for legacy in ([], ["legacy_cifar_translate"])]
    assert not torch.equal(*shifted)
    assert (
        it.cifar_normalise("cifar10", [])(torch.full((1, 3, 1, 1), 255, dtype=torch.uint8)).flatten().tolist()
        == [1.0] * 3
    )
    assert isinstance(it.cifar_normalise("cifar10", []), Normalise)
    x = torch.full((1, 3, 2, 2), 255, dtype=torch.uint8)
    legacy = it.cifar_normalise("cifar100", ["legacy_cifar_eval_norm"])(x)
    assert legacy[0, 0, 0, 0].item() == pytest.approx((1 - 0.5071) / 0.2673)
