"""E-3 `cifar_tvo` and E-4 `ife`: task draws, grids against the protocol, object placement, the four
E-4 tasks, and one job of each end to end on a tiny fake CIFAR-10."""

import pickle
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from invtl.engine import runner
from invtl.experiments.cifar_tvo import grid as cifar_tvo
from invtl.experiments.ife import data as ife_data
from invtl.experiments.ife import grid as ife
from invtl.experiments.tvo import grid as tvo
from invtl.orchestration import status
from invtl.paths import MissingData
from invtl.t2d import cifar, cifar_views
from invtl.t2d.cifar import CIFAR10_CLASSES
from invtl.t2d.dataset import TRANSFORMS
from invtl.t2d.rng import Draws

REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "cifar10"  # the project's local copy, if any
pytestmark = pytest.mark.usefixtures("isolated_cifar")


def fake_cifar10(root: Path, train_per_class: int = 20, test_per_class: int = 4) -> Path:
    """A torchvision-format CIFAR-10 with random images, classes interleaved."""
    d = root / "cifar-10-batches-py"
    d.mkdir(parents=True)
    g = torch.Generator().manual_seed(0)
    for name, per_class in [("train", train_per_class), ("test", test_per_class)]:
        labels = torch.arange(10).repeat(per_class)
        images = torch.randint(0, 256, (len(labels), 3, 32, 32), dtype=torch.uint8, generator=g)
        batches = (
            {"test_batch": slice(None)}
            if name == "test"
            else {f"data_batch_{k + 1}": slice(k * len(labels) // 5, (k + 1) * len(labels) // 5) for k in range(5)}
        )
        for batch, part in batches.items():
            with open(d / batch, "wb") as f:
                pickle.dump({"labels": labels[part].tolist(), "data": images[part].reshape(-1, 3072).numpy()}, f)
    with open(d / "batches.meta", "wb") as f:
        pickle.dump({"label_names": list(CIFAR10_CLASSES)}, f)
    return root


# ---- E-3 -------------------------------------------------------------------------------------


@pytest.mark.parametrize("dataset, sizes", [("cifar10", [2, 5, 5, 10]), ("cifar100", [17, 50, 50, 100])])
def test_cifar_tvo_task_instance(dataset, sizes):
    N = cifar_tvo.NUM_TARGET[dataset]
    t = cifar_tvo.task(59832, N)
    assert t["transforms"] == tvo.task(59832)["transforms"]  # drawn first, with E-1's call sequence
    assert [TRANSFORMS[x] for x in t["transforms"]["same"]] == ["geometric", "photometric", "corruption"]
    assert [len(t["classes"][r]) for r in ("subset", "disjoint", "same", "superset")] == sizes
    cands = np.random.default_rng(59832)
    for _ in range(3):
        cands.choice(6, 2, replace=False)  # the transformation draws (6 transforms per category)
    assert t["classes"]["superset"] == cands.choice(np.arange(2 * N), 2 * N, replace=False).tolist()
    assert sorted(t["classes"]["superset"]) == list(range(2 * N))
    assert t["target"] == t["classes"]["same"] == t["classes"]["superset"][:N]
    assert t["classes"]["disjoint"] == t["classes"]["superset"][N:]
    assert t["classes"]["subset"] == t["target"][: sizes[0]]


def test_cifar_tvo_paper_grid_matches_the_protocol():
    jobs = cifar_tvo.jobs("paper", [0])
    for dataset in cifar_tvo.DATASETS:
        own = [j for j in jobs if j.config["dataset"] == dataset]
        assert len(own) == 38  # LP transfers per seed and dataset
        assert all(j.panel.startswith(f"{dataset}/") for j in own)
        # 30 pretrained models per seed and dataset (the FT-samples panel pretrains once per transform set);
        # ResNet-18 on all disjoint data recurs in three panels, the FT-samples model is the "same" one, and
        # the top PT-samples count is all the split holds (CIFAR-10: 4 500; CIFAR-100: 500 clamped to 450,
        # B7): 24 distinct models, which share checkpoints (keyed on the effective counts)
        assert len(own) - 2 * 4 == 30
        available = cifar_tvo.split_sizes(own[0].config)[0]

        def effective(config, available=available):
            arch, relation, per_class = cifar_tvo.pretraining_setup(config)
            return arch, relation, None if per_class is not None and per_class >= available else per_class

        assert len({(effective(j.config), j.config["transform_set"]) for j in own}) == 24
        ft = [j for j in own if j.config["panel"] != "ft_samples"]
        assert len(ft) == 28 and all(j.config["ft_sizes"] == [0.01, 0.1] for j in ft)  # 28 at 1 %, 28 at 10 %
        own_n = [j for j in own if j.config["panel"] == "ft_samples"]  # + 10 on their own fraction: 38 "10 %" runs
        assert len(own_n) == 10 and {j.config["value"] for j in own_n} == {0.01, 0.05, 0.1, 0.5, 1.0}
    pt = {j.config["value"] for j in jobs if j.config["panel"] == "pt_samples" and j.config["dataset"] == "cifar100"}
    assert pt == {10, 50, 100, 250, 500}
    assert len({j.panel for j in jobs}) == 8 and "cifar10/class_relationship" in {j.panel for j in jobs}


def test_cifar_tvo_grid_is_pure_and_jobs_without_data_are_not_run(tmp_path, monkeypatch):
    root = fake_cifar10(tmp_path / "data" / "cifar10")
    monkeypatch.setenv("INVTL_DATA_ROOT", str(root))  # a CIFAR-10 copy as the root itself
    assert cifar.available("cifar10") and not cifar.available("cifar100")
    with_data = [j.config for j in cifar_tvo.jobs("smoke", [0])]
    monkeypatch.setenv("INVTL_DATA_ROOT", str(tmp_path / "nothing"))
    assert [j.config for j in cifar_tvo.jobs("smoke", [0])] == with_data  # the grid does not look at the disk
    assert {c["dataset"] for c in with_data} == {"cifar10", "cifar100"}
    monkeypatch.setenv("INVTL_DATA_ROOT", str(tmp_path / "data"))
    assert cifar.available("cifar10") and not cifar.available("cifar100")
    job = next(j for j in cifar_tvo.jobs("smoke", [0]) if j.config["dataset"] == "cifar100")
    with pytest.raises(MissingData, match="no cifar100 data"):
        job.run(job.config, runner.Context(torch.device("cpu")))


def test_status_counts_jobs_without_their_data_and_leaves_them_out_of_the_time_left(tmp_path, monkeypatch):
    monkeypatch.setenv("INVTL_DATA_ROOT", str(tmp_path / "nothing"))
    s = status.status("smoke", names=["cifar_tvo"])["cifar_tvo"]
    assert s["no_data"] == s["total"] > 0 and s["minutes_left"] == 0
    assert f"{s['total']} without their data here; ~0.0 min left" in status.format_status({"cifar_tvo": s}, "smoke")
    monkeypatch.setenv("INVTL_DATA_ROOT", str(fake_cifar10(tmp_path / "data" / "cifar10").parent))
    s = status.status("smoke", names=["cifar_tvo"])["cifar_tvo"]
    assert s["no_data"] == s["total"] // 2 and s["minutes_left"] > 0  # the CIFAR-100 half


def test_cifar_data_clamps_fractions_and_redraws_training_views(tmp_path, monkeypatch):
    monkeypatch.setenv("INVTL_DATA_ROOT", str(fake_cifar10(tmp_path)))  # 18 / 2 train / val per class after the split
    config = {"dataset": "cifar10", "sampling_seed": 2032, "legacy": [], "max_per_class": None}
    device = torch.device("cpu")
    classes, transforms = [3, 7, 1], ["translate", "hue", "noise"]
    data, counts = cifar_tvo.cifar_data(config, transforms, classes, 50, device)  # 50 per class: clamped (B7)
    assert counts == [18, 18, 18] and data.n_train == 54
    assert [len(data.splits[s][1]) for s in ("train", "val", "test")] == [54, 6, 12]
    assert data.splits["test"][1].bincount().tolist() == [4, 4, 4]  # every test image of the classes
    again, _ = cifar_tvo.cifar_data(config, transforms, classes, None, device)
    assert all(torch.equal(again.splits[s][0], data.splits[s][0]) for s in data.splits)  # fixed evaluation views
    idx = torch.arange(54)
    e0, e1 = data.views(idx, 0), data.views(idx, 1)
    assert torch.equal(e0[1], data.splits["train"][1]) and torch.equal(e0[0], data.views(idx, 0)[0])
    assert not torch.equal(e0[0], e1[0]) and not torch.equal(e0[0], data.splits["train"][0])  # re-drawn per epoch
    assert torch.equal(data.views(idx.flip(0), 1)[0], e1[0].flip(0))
    fixed, _ = cifar_tvo.cifar_data(dict(config, legacy=["fixed_views"]), transforms, classes, None, device)
    assert torch.equal(fixed.views(idx, 3)[0], fixed.splits["train"][0])
    _, counts = cifar_tvo.cifar_data(config, transforms, classes, 5, device)
    assert counts == [5, 5, 5]
    other, _ = cifar_tvo.cifar_data(config, ["scale", "hue", "noise"], classes, None, device)
    assert not torch.equal(other.splits["train"][0], data.splits["train"][0])
    sub, n = cifar_tvo.with_fraction(data, 0.5, config)
    assert (
        n == 27
        and sub.splits["train"][1].bincount().tolist() == [9, 9, 9]
        and sub.splits["test"] is data.splits["test"]
    )
    assert torch.equal(sub.views(torch.arange(27), 2)[1], sub.splits["train"][1])
    assert data.splits["train"][0].dtype == torch.uint8  # images stay uint8, CIFAR normalisation in the model path


def test_cifar_legacy_translate_is_a_legacy_option():
    from invtl.experiments.common import LEGACY_OPTIONS

    assert "legacy_cifar_translate" in LEGACY_OPTIONS and set(cifar.CIFAR_LEGACY) <= set(LEGACY_OPTIONS)


def test_cifar_tvo_job_end_to_end_on_a_fake(tmp_path, monkeypatch):
    monkeypatch.setenv("INVTL_DATA_ROOT", str(fake_cifar10(tmp_path)))
    [job] = [
        j
        for j in cifar_tvo.jobs("smoke", [0])
        if j.panel == "cifar10/pt_samples" and j.config["value"] == 16 and j.config["transform_set"] == "disjoint"
    ]
    config = dict(job.config, lp_epochs=2)
    result = job.run(config, runner.Context(torch.device("cpu")))
    assert result["pt_per_class_effective"] == [16] * 5 and result["n_pt"] == 80
    assert result["lp"]["train_samples"] == 5 * 16  # 100 % of the target classes (capped at 16 per class)
    assert set(result["ft"]) == {"0.25"} and result["ft"]["0.25"]["train_samples"] == 5 * 4
    assert 0.0 <= result["lp"]["test_accuracy"] <= 1.0 and "pooled_accuracy" in result["training"]
    assert len(list((tmp_path / "cache" / "checkpoints").glob("*.pt"))) == 1  # the pretrained model is cached


# ---- E-4 -------------------------------------------------------------------------------------


def test_ife_task_and_grid():
    assert ife_data.task(111) == np.random.default_rng(111).choice(61, 10, replace=False).tolist()
    assert len(set(ife_data.task(111))) == 10 and ife_data.task(222) != ife_data.task(111)
    jobs = ife.jobs("paper", [0])
    for variant in ife.VARIANTS:
        own = [j for j in jobs if j.panel == variant]
        assert [j.config["pt_task"] for j in own] == list(ife.TASKS)  # 4 PT per seed and variant
        assert len(own) * len(ife.TASKS) == 16  # each job probes all 4 tasks: the 4 x 4 LP matrix
    c = jobs[0].config
    assert (c["pt_epochs"], c["lp_epochs"], c["batch_size"], c["eval_batch_size"], c["init_seed"]) == (
        200,
        100,
        512,
        512,
        604,
    )
    keys = {str(sorted(ife.pretraining_key(j.config).items())) for j in jobs}
    assert len(keys) == 7  # the C&C model is the same in both variants


def square_prototypes(k: int = 3) -> torch.Tensor:
    """Opaque 22 x 22 squares at [5, 27) on transparent 32 px canvases (the widest possible object)."""
    x = torch.zeros(k, 4, 32, 32, dtype=torch.uint8)
    x[:, :3, 5:27, 5:27] = torch.arange(1, k + 1).view(k, 1, 1, 1) * 60
    x[:, 3, 5:27, 5:27] = 255
    return x


def test_fixed_placement_pixels():
    fixed = ife_data.fixed_objects(square_prototypes())
    alpha = fixed[:, 3]
    ys, xs = (alpha > 0).any(2).any(0).nonzero()[:, 0], (alpha > 0).any(1).any(0).nonzero()[:, 0]
    # The 22 px object spans [2.81, 15.19) px of the 18 px canvas, so [18.81, 31.19) x [-0.19, 12.19) once
    # pasted: it covers x 19-31, y 0-12, plus a faint partial-coverage column at x 18 (its row at y -1 is cut)
    assert (xs.min(), xs.max(), ys.min(), ys.max()) == (18, 31, 0, 12)
    assert alpha[:, :, 18].max() < 64 and torch.all(alpha[:, 0:12, 19:31] == 255)
    solid_x = (alpha >= 64).any(1).any(0).nonzero()[:, 0]
    solid_y = (alpha >= 64).any(2).any(0).nonzero()[:, 0]
    assert (solid_x.min(), solid_x.max(), solid_y.min(), solid_y.max()) == (19, 30, 0, 11)
    # the same as Pillow: resize the canvas to 18 x 18 (bicubic), paste at (16, -3)
    for proto, ours in zip(square_prototypes(), fixed):
        small = Image.fromarray(proto.permute(1, 2, 0).numpy(), "RGBA").resize((18, 18), Image.Resampling.BICUBIC)
        canvas = Image.new("RGBA", (32, 32), (0, 0, 0, 0))
        canvas.paste(small, (16, -3))
        ref = torch.from_numpy(np.asarray(canvas).copy()).permute(2, 0, 1).float()
        assert torch.equal(ref[3], ours[3]) and (ref - ours)[:, ref[3] > 0].abs().max() <= 1


def test_translate_variant_shifts():
    fixed = ife_data.fixed_objects(square_prototypes())
    n = 4000
    canvas = ife_data.place(fixed, torch.arange(n) % 3, Draws(7, torch.arange(n)))
    assert torch.equal(ife_data.place(fixed, torch.arange(n) % 3).rgba, fixed[torch.arange(n) % 3])  # fixed: no shift
    alpha = canvas.rgba[:, 3] >= 64
    left = alpha.any(1).float().argmax(1)  # first solid column of each sample: 19 + pos_x - 21
    top = alpha.any(2).float().argmax(1)  # first solid row: 0 + pos_y - 2 where it is not cut off
    assert left.min() == 0 and left.max() == 17  # pos_x - 2 in {-2..17}, clipped at 0
    assert top.max() == 17 and top.min() == 0
    assert alpha.any(1).nonzero()[:, 1].max() <= 29 and alpha.any(2).nonzero()[:, 1].max() <= 29


def ife_config(**kw) -> dict:
    [job] = [j for j in ife.jobs("smoke", [0]) if j.config["variant"] == "fixed" and j.config["pt_task"] == "C+O&C"]
    return dict(
        job.config,
        source="random:5",
        cifar_per_class=None,
        n_objects=[40, 10, 10],
        pt_epochs=1,
        lp_epochs=2,
        batch_size=32,
        eval_batch_size=16,
        **kw,
    )


def test_ife_four_tasks_labels_and_images(tmp_path, monkeypatch):
    monkeypatch.setenv("INVTL_DATA_ROOT", str(fake_cifar10(tmp_path)))
    config = ife_config()
    sets = ife_data.datasets(config, torch.device("cpu"))
    images = {name: s.images for name, s in sets.items()}
    labels = {name: s.labels for name, s in sets.items()}
    train_x, train_y, _ = cifar.load_cifar("cifar10", "train")
    train_idx, val_idx = cifar_views.stratified_split(train_y, config["sampling_seed"])
    assert [len(images["C"][s]) for s in ife_data.SPLITS] == [180, 20, 40]  # 90 / 10 split + test
    assert [len(images["O"][s]) for s in ife_data.SPLITS] == [40, 10, 10]
    assert torch.equal(labels["C"]["train"]["cifar"], train_y[train_idx])
    assert torch.equal(labels["C+O"]["val"]["cifar"], train_y[val_idx])
    for split, n in zip(ife_data.SPLITS, [180, 20, 40]):
        objects = labels["C+O"][split]["object"]
        assert torch.equal(
            objects, ife_data.object_labels(config, config["sampling_seed"], split, n, torch.device("cpu"))
        )
        assert torch.equal(labels["O"][split]["object"], objects[: len(labels["O"][split]["object"])])  # one sequence
    assert not torch.equal(labels["C+O"]["train"]["object"], labels["C+O"]["train"]["cifar"])  # drawn independently
    assert set(labels["C+O"]["train"]["object"].tolist()) == set(range(10))
    # C+O = the C image with the object pasted in the upper-right corner; O = the object on black
    fixed = ife_data.prototypes(config, torch.device("cpu"))
    for split in ife_data.SPLITS:
        alpha = fixed[labels["C+O"][split]["object"], 3:]
        co, c = images["C+O"][split], images["C"][split]
        assert torch.equal(co * (alpha == 0), c * (alpha == 0)) and not torch.equal(co, c)
        o_alpha = fixed[labels["O"][split]["object"], 3:]
        assert torch.all(images["O"][split][(o_alpha == 0).expand_as(images["O"][split])] == 0)
        assert images["O"][split][(o_alpha == 255).expand_as(images["O"][split])].float().mean() > 50
    # train and val backgrounds are cropped and flipped, test backgrounds are not
    assert not torch.equal(images["C"]["train"], train_x[train_idx])
    test_x, _, _ = cifar.load_cifar("cifar10", "test")
    assert torch.equal(images["C"]["test"], test_x)
    # training views: a new crop and flip every epoch, deterministic per (index, epoch)
    idx = torch.arange(180)
    e0, e1 = sets["C+O"].views(idx, 0), sets["C+O"].views(idx, 1)
    assert not torch.equal(e0, e1) and torch.equal(e0, sets["C+O"].views(idx, 0))
    assert torch.equal(sets["C"].data("cifar").views(idx, 1)[1], labels["C"]["train"]["cifar"])


def test_ife_twin_sets(tmp_path, monkeypatch):
    monkeypatch.setenv("INVTL_DATA_ROOT", str(fake_cifar10(tmp_path)))
    config = ife_config(variant="translate")
    twins = ife_data.twin_sets(config, torch.device("cpu"))
    n = len(twins["a"])
    first = ife_data.object_labels(config, config["sampling_seed"] + 10, "test", n, torch.device("cpu"))
    second = ife_data.object_labels(config, config["sampling_seed"] + 11, "test", n, torch.device("cpu"))
    fixed = ife_data.prototypes(config, torch.device("cpu"))
    outside = (fixed[:, 3:].amax(0) == 0).expand(n, 3, 32, 32)  # outside every object at the fixed placement (O3)
    a, c, o = twins["a"], twins["cifar"], twins["objects"]
    solid = (fixed[first, 3:] == 255).expand(n, 3, 32, 32)
    assert torch.equal(a[solid], c[solid]) and not torch.equal(a[outside], c[outside])  # same objects, other CIFAR
    assert torch.equal(a[outside], o[outside]) and not torch.equal(first, second)  # same CIFAR, other objects
    differs = first != second
    assert not torch.equal(a[differs], o[differs]) and torch.equal(a[~differs], o[~differs])


def test_ife_job_end_to_end_on_a_fake(tmp_path, monkeypatch):
    monkeypatch.setenv("INVTL_DATA_ROOT", str(fake_cifar10(tmp_path)))
    config = ife_config()
    result = ife.run_job(config, runner.Context(torch.device("cpu")))
    assert set(result["lp"]) == set(ife.TASKS) and result["pt_task"] == "C+O&C"
    assert set(result["invariance"]) == {"cifar", "objects"}
    assert all(set(v) == {"l2", "cos"} for v in result["invariance"].values())
    assert result["sizes"] == {"C": {"train": 180, "val": 20, "test": 40}, "O": {"train": 40, "val": 10, "test": 10}}
    assert all(0.0 <= v["test_accuracy"] <= 1.0 for v in result["lp"].values())
