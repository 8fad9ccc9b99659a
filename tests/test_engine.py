"""The training engine end to end on the CPU: pretrain, probe, fine-tune, invariance, grids."""

import json

import pytest
import torch

from invtl.cli import main
from invtl.engine import runner
from invtl.engine.invariance import invariance, twin_features
from invtl.engine.models import create
from invtl.engine.train import (
    Normalise,
    Runtime,
    TrainConfig,
    embed,
    fine_tune,
    linear_probe,
    lr_factor,
    macro_accuracy,
    native_bf16,
    pretrain,
    resolve_precision,
)
from invtl.experiments import experiment
from invtl.experiments.tm import grid as tm
from invtl.experiments.tm.spec import SPEC as TM_SPEC
from invtl.t2d.dataset import Transforms2D


@pytest.fixture(autouse=True)
def isolated(monkeypatch, tmp_path):
    monkeypatch.setenv("INVTL_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("INVTL_RESULTS", str(tmp_path / "results"))
    torch.set_num_threads(2)


def splits(transforms, n=256, transform_seed=None, objects=range(5)):
    make = lambda split, k: Transforms2D(
        transforms, objects, k, 7, transform_seed=transform_seed, split=split, source="offline"
    )
    return make("train", n).generate(), make("test", n // 2).generate()


def test_pretrain_probe_finetune_invariance_end_to_end():
    rt, norm = Runtime(torch.device("cpu"), "fp32"), Normalise()
    train = Transforms2D(["translate"], range(5), 256, 7, split="train", source="offline")
    views = lambda idx, epoch: train.batch(idx, "cpu", epoch)
    xtr, ytr = train.generate()
    (xte, yte) = Transforms2D(["translate"], range(5), 128, 7, split="test", source="offline").generate()
    torch.manual_seed(0)
    model = create("resnet18", 5, width=0.25).to(memory_format=torch.channels_last)
    assert pretrain(model, views, 256, TrainConfig(epochs=3, batch_size=32), seed=0, rt=rt, normalise=norm) == 3
    before = {k: v.clone() for k, v in model.state_dict().items()}

    feats = embed(model, xtr, rt, norm)
    head = linear_probe(feats, ytr, 5, TrainConfig(epochs=20, batch_size=64), seed=1)
    with torch.inference_mode():
        probe_acc = macro_accuracy(head(embed(model, xte, rt, norm)), yte)
    # the probe leaves the backbone, BatchNorm running statistics included, untouched
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    assert probe_acc > 0.5  # 5 objects under translate: far above chance (0.2)

    model.head = head
    small = lambda idx, epoch: train.batch(idx, "cpu", epoch)
    fine_tune(model, small, 64, TrainConfig(epochs=2, batch_size=32, schedule="linear"), 2, rt, norm)
    changed = [k for k, v in model.state_dict().items() if k in before and not torch.equal(before[k], v)]
    assert any(k.startswith("conv1") for k in changed) and model.head is head

    # twins: same objects and backgrounds, different translations; unrelated pairs are far
    (a, _), _ = splits(["translate"], transform_seed=1)
    (b, _), _ = splits(["translate"], transform_seed=2)
    fa, fb = twin_features(model, a, b, rt, norm, batch_size=128)
    scores = invariance(fa, fb, batch_size=128)
    assert 0.0 < scores["l2"] < 1.0  # twins closer than random pairs
    assert invariance(fa, fa, batch_size=128)["l2"] == 0.0


def test_training_views_are_redrawn_every_epoch_and_deterministic():
    ds = Transforms2D(["rotate", "hue", "blur"], range(5), 64, 3, split="train", source="offline")
    idx = torch.arange(64)
    e0, e1 = ds.render(idx, epoch=0), ds.render(idx, epoch=1)
    assert not torch.equal(e0[2][0]["angle"], e1[2][0]["angle"])  # the transformation parameters differ by epoch
    assert not torch.equal(e0[0], e1[0])
    assert torch.equal(e0[1], e1[1])  # class, object and background do not
    assert torch.equal(ds.background_ids(idx), ds.background_ids(idx))
    assert torch.equal(ds.batch(idx, epoch=1)[0], e1[0])  # (seed, split, index, epoch) -> one image
    assert torch.equal(ds.batch(idx.flip(0), epoch=1)[0], e1[0].flip(0))  # whatever the order or batch
    assert torch.equal(ds.batch([5], epoch=1)[0][0], e1[0][5])
    assert torch.equal(ds.batch(idx)[0], ds.generate()[0])  # epoch None: the fixed evaluation view
    assert not torch.equal(ds.batch(idx)[0], e0[0])


def test_fit_batches_do_not_depend_on_the_chunk_size(monkeypatch):
    from invtl.engine import train

    seen = []
    views = lambda idx, epoch: (torch.zeros(len(idx), 4), (idx + 100 * epoch) % 3)

    class Spy(torch.nn.Linear):
        def forward(self, x):
            return super().forward(x)

    def run(chunk):
        seen.clear()
        monkeypatch.setattr(train, "CHUNK", chunk)
        model = Spy(4, 3)
        original = torch.nn.functional.cross_entropy
        monkeypatch.setattr(
            train.F, "cross_entropy", lambda logits, y: (seen.append(y.tolist()), original(logits, y))[1]
        )
        train.fit(model, views, 50, TrainConfig(epochs=2, batch_size=8), seed=0, rt=Runtime())
        monkeypatch.setattr(train.F, "cross_entropy", original)
        return list(seen)

    assert run(16) == run(4096) and len(run(16)) == 2 * 7


def test_min_steps_lengthen_short_runs_and_vit_schedule_scales():
    cfg = TrainConfig(epochs=3, batch_size=100, min_steps=50)
    assert cfg.epochs_for(1000) == 5 and cfg.epochs_for(10_000) == 3 and cfg.epochs_for(150) == 25
    paper, short = lr_factor("vit", 50), lr_factor("vit", 10, scale=10 / 50)
    assert paper(4) * 1e-3 == pytest.approx(1e-6) and paper(5) == pytest.approx(1.0)
    assert short(0) * 1e-3 == pytest.approx(1e-6) and short(1) == pytest.approx(1.0)  # 1 warm-up epoch instead of 5
    assert short(9) * 1e-3 == pytest.approx(paper(45) * 1e-3, rel=0.05)  # the cosine anneals in proportion


def test_precision_resolution():
    assert resolve_precision("fp32", torch.device("cpu")) == "fp32"
    assert resolve_precision("bf16", torch.device("cpu")) == "bf16"
    assert resolve_precision("auto", torch.device("cpu")) == ("bf16" if native_bf16(torch.device("cpu")) else "fp32")
    with pytest.raises(ValueError, match="unknown precision 'fp16'; valid: auto, fp32, bf16"):
        resolve_precision("fp16", torch.device("cpu"))


def test_lr_schedules():
    linear, legacy, vit = lr_factor("linear", 50), lr_factor("legacy_linear5", 50), lr_factor("vit", 50)
    assert [round(legacy(e), 3) for e in range(7)] == [1.0, 0.8, 0.6, 0.4, 0.2, 0.0, 0.0]  # bug B2
    assert linear(0) == 1.0 and linear(49) == pytest.approx(0.02) and linear(25) == 0.5
    assert vit(0) * 1e-3 == pytest.approx(1e-6) and vit(5) == pytest.approx(1.0)
    assert vit(49) * 1e-3 == pytest.approx(8.9e-4, rel=0.01)  # protocol: a 50-epoch run ends near 8.9e-4
    assert vit(99) * 1e-3 == pytest.approx(5.5e-4, rel=0.01)  # and a 100-epoch run near 5.5e-4
    with pytest.raises(ValueError, match="unknown schedule 'step'; valid: constant"):
        lr_factor("step", 5)


def test_macro_accuracy_is_mean_per_class_recall():
    labels = torch.tensor([0, 0, 0, 0, 1, 1])
    preds = torch.tensor([0, 0, 0, 0, 0, 1])
    assert macro_accuracy(preds, labels) == pytest.approx((1.0 + 0.5) / 2)


TINY = dict(TM_SPEC.settings("smoke"), num_transforms=2, n_train=96, n_val=32, n_test=64, lp_epochs=3)


def tiny_config(k):
    config = {key: v for key, v in TINY.items() if key not in ("archs", "seeds")}
    return dict(
        config,
        arch="resnet18",
        seed=0,
        k=k,
        config_seed=9825,
        sampling_seed=507031,
        init_seed=9878,
        source="offline",
        legacy=[],
        version=2,
    )


def test_same_seed_same_result(tmp_path, monkeypatch):
    first = tm.run_job(tiny_config(2), runner.Context(torch.device("cpu")))
    monkeypatch.setenv("INVTL_CACHE", str(tmp_path / "other-cache"))  # retrain, do not reuse the checkpoint
    second = tm.run_job(tiny_config(2), runner.Context(torch.device("cpu")))
    assert first == second
    assert first["transforms"] == tm.task(9825)[0][:2] and len(first["transfer"]) == 2


def test_task_instances_are_drawn_like_the_original():
    transforms, objects = tm.task(9825)
    assert len(set(transforms)) == 8 and len(set(objects)) == 30 and max(objects) < 61
    assert tm.task(9825) == (transforms, objects) and tm.task(174) != (transforms, objects)


def test_killed_grid_resumes_and_keeps_finished_results(tmp_path, monkeypatch):
    jobs = [runner.Job(tiny_config(k), tm.run_job, "resnet18") for k in (1, 2)]
    calls = []

    def dies_on_second_job(config, ctx):
        calls.append(config["k"])
        if len(calls) == 2:
            raise KeyboardInterrupt  # the machine goes away mid-grid
        return tm.run_job(config, ctx)

    def use(run):
        grid = lambda profile, seeds, legacy, source: [runner.Job(j.config, run, j.panel) for j in jobs]
        return runner.Experiment("tm", "", ("resnet18",), grid, lambda p: [0])

    with pytest.raises(KeyboardInterrupt):
        runner.run(use(dies_on_second_job), "smoke", device="cpu", progress=False)
    files = sorted((tmp_path / "results" / "smoke" / "tm").glob("*.json"))
    assert len(files) == 1
    kept = files[0].read_text()

    exp = use(tm.run_job)
    counts = runner.run(exp, "smoke", device="cpu", progress=False)
    assert counts == {"computed": 1, "skipped": 1, "missing": 0, "busy": 0}
    files = sorted((tmp_path / "results" / "smoke" / "tm").glob("*.json"))
    assert len(files) == 2 and kept in [f.read_text() for f in files]

    # a corrupt result file is reported and recomputed, never used
    victim = next(f for f in files if f.read_text() == kept)
    victim.write_text(kept[: len(kept) // 2])
    with pytest.warns(UserWarning, match=victim.name):
        counts = runner.run(exp, "smoke", device="cpu", progress=False)
    assert counts == {"computed": 1, "skipped": 1, "missing": 0, "busy": 0}
    assert json.loads(victim.read_text())["result"]["transfer"]


def test_shards_partition_the_grid():
    exp = experiment("tm")
    whole = runner.select_jobs(exp, "paper", [0, 1], None, (1, 1))
    parts = [runner.select_jobs(exp, "paper", [0, 1], None, (k, 3)) for k in (1, 2, 3)]
    keys = lambda jobs: [json.dumps(j.config, sort_keys=True) for j in jobs]
    assert sorted(sum(map(keys, parts), [])) == sorted(keys(whole))
    assert len(whole) == 4 * 2 * 8  # archs x seeds x pretraining sets
    assert {j.panel for j in runner.select_jobs(exp, "paper", [0], "vit", (1, 1))} == {"vit"}


@pytest.mark.parametrize(
    "args,message",
    [
        (["run", "nope", "--profile", "smoke"], "unknown experiment 'nope'; valid: "),
        (["run", "tm", "--profile", "huge"], "unknown profile 'huge'; valid: smoke, cpu, fast, paper"),
        (["run", "tm", "--only", "lenet"], "unknown panel 'lenet' for tm; valid: resnet18"),
        (["run", "tm", "--shard", "3/2"], "malformed shard '3/2'; valid: K/N with 1 <= K <= N"),
        (["run", "tm", "--shard", "one"], "malformed shard 'one'"),
        (["run", "tm", "--seeds", "42"], "unknown seed id 42 for tm"),
        (["run", "tm", "--device", "tpu"], "unknown device 'tpu'"),
        (
            ["run", "tm", "--legacy", "legacy_everything"],
            "unknown legacy option 'legacy_everything'; valid: legacy_noise_wrap",
        ),
        (["bench", "train", "--model", "lenet", "--device", "cpu"], "unknown model 'lenet'; choose one of resnet18"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args, message, capsys):
    assert main(args) == 2
    errors = [line for line in capsys.readouterr().err.splitlines() if not line.startswith("invtl: warning:")]
    assert len(errors) == 1 and message in errors[0]


def test_plan_splits_the_fast_grids_into_chunks_under_8_minutes():
    for name in ("tvo", "tm"):
        p = runner.plan(experiment(name), "fast")
        assert p["shards"] >= 1 and max(p["shard_minutes"]) < 8.0
        # a model shared by several jobs is trained once on one machine, at most once per chunk when split
        assert p["total_minutes"] <= sum(p["shard_minutes"]) <= p["total_minutes"] * p["shards"]
    with pytest.raises(ValueError, match="over the 0.01 minute chunk limit"):
        runner.plan(experiment("tm"), "fast", max_minutes=0.01)


def test_plan_divides_every_estimate_by_the_machines_speed():
    exp = experiment("tm")
    base = runner.plan(exp, "cpu", [0], max_minutes=1e6)
    slow = runner.plan(exp, "cpu", [0], max_minutes=1e6, speed=0.5)
    assert slow["speed"] == 0.5 and slow["total_minutes"] == pytest.approx(2 * base["total_minutes"])
    assert all(slow["job_seconds"][k] == pytest.approx(2 * s) for k, s in base["job_seconds"].items())
    for bad in (0.0, -1.0, float("nan")):
        with pytest.raises(ValueError, match="invalid speed factor"):
            runner.plan(exp, "cpu", [0], speed=bad)


def test_speed_probe_times_this_machine_against_the_committed_benchmark():
    from invtl.engine import bench, costs

    probe = bench.speed_probe("cpu", "fp32", steps=2, batch_size=16)
    committed = costs.rates("cpu")["train"]["resnet18"]
    assert probe["measured_img_s"] > 0 and probe["benchmark_img_s"] == committed["img_s"]
    assert probe["factor"] == pytest.approx(probe["measured_img_s"] / committed["img_s"], rel=0.01)
    assert probe["model"] == f"resnet18 width {committed['width']}"
