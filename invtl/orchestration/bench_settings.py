"""Benchmarks that decide settings: `torch.compile` against eager (does compiling pay at our job sizes?) and fp32
against bf16 (does bf16 change the science?)."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence

import torch

from invtl import paths
from invtl.engine import runner, store
from invtl.engine.bench import device_name, machine
from invtl.experiments import experiment


def bench_compile(
    model_name: str = "resnet18",
    width: float = 0.25,
    device: str | None = "auto",
    precision: str = "auto",
    batch_size: int = 512,
    steps: int = 12,
    repeats: int = 5,
) -> dict:
    """`torch.compile` against eager for our training step: compile (warm-up) seconds, img/s of each (the median of
    `repeats` timed passes of `steps` steps, the modes alternating), and the training length (images) from which
    compiling pays. Compiles cold, in a throw-away inductor cache: a warm cache would hide most of the compile time."""
    with paths.temporary_cache():
        return _bench_compile(model_name, width, device, precision, batch_size, steps, repeats)


def _bench_compile(
    model_name: str, width: float, device: str | None, precision: str, batch_size: int, steps: int, repeats: int
) -> dict:
    from invtl.engine.models import create
    from invtl.engine.runner import resolve_device
    from invtl.engine.train import Normalise, Runtime, TrainConfig, fit, resolve_precision, tensor_views

    dev = resolve_device(device)
    rt, norm = Runtime(dev, resolve_precision(precision, dev)), Normalise().to(dev)
    n = batch_size * steps
    views = tensor_views(
        torch.randint(0, 256, (n, 3, 32, 32), dtype=torch.uint8, device=dev), torch.randint(0, 30, (n,), device=dev)
    )
    models, out = {}, {}
    for mode in ("eager", "compiled"):
        torch.manual_seed(0)
        model = create(model_name, 30, width)
        models[mode] = model.to(dev, memory_format=model.memory_format).train()
        start = time.perf_counter()
        fit(models[mode], views, 2 * batch_size, TrainConfig(1, batch_size, compile=mode == "compiled"), 0, rt, norm)
        out[mode] = {"warm_up_s": round(time.perf_counter() - start, 1), "passes_img_s": []}
    for epoch in range(1, repeats + 1):  # alternate the modes, so a slow moment of the machine hits both
        for mode, model in models.items():
            start = time.perf_counter()
            fit(model, views, n, TrainConfig(1, batch_size, compile=mode == "compiled"), epoch, rt, transform=norm)
            out[mode]["passes_img_s"].append(round(n / (time.perf_counter() - start)))
    for mode in out:
        out[mode]["img_s"] = sorted(out[mode]["passes_img_s"])[repeats // 2]  # the median pass
    gain = 1 / out["eager"]["img_s"] - 1 / out["compiled"]["img_s"]
    extra = out["compiled"]["warm_up_s"] - out["eager"]["warm_up_s"]
    return {
        "benchmark": "compile",
        "model": model_name,
        "width": width,
        "precision": rt.precision,
        "batch_size": batch_size,
        "images_per_pass": n,
        **out,
        "pays_from_images": round(extra / gain) if gain > 0 else None,
        "device": device_name(str(dev)),
        "machine": machine(),
    }


def bench_precision(
    experiment_name: str = "tm",
    profile: str = "cpu",
    arch: str = "resnet18",
    ks: Sequence[int] = (4, 8),
    seeds: Sequence[int] | None = None,
    results: str | None = None,
) -> dict:
    """Does bf16 change the science? The same jobs of a grid (E-6: the `ks` rows of `arch`) trained in fp32 and in
    bf16, into throw-away stores with their own checkpoint caches: mean pretraining and probe accuracies of each."""

    exp = experiment(experiment_name)
    jobs = [
        j for j in runner.select_jobs(exp, profile, list(seeds) if seeds else None, arch, (1, 1)) if j.config["k"] in ks
    ]
    if not jobs:
        rows = sorted({j.config["k"] for j in runner.select_jobs(exp, profile, None, arch, (1, 1))})
        raise ValueError(
            f"no {profile} {experiment_name} jobs of {arch} rows k = {list(ks)} (seeds {seeds or 'of the profile'}); "
            f"valid rows: {', '.join(map(str, rows))}"
        )
    out = {}
    for precision in ("fp32", "bf16"):
        with paths.temporary_cache() as tmp:
            pick = dataclasses.replace(exp, jobs=lambda *a, jobs=jobs: jobs)
            runner.run(pick, profile, device="cpu", results=str(tmp / "results"), precision=precision, progress=False)
            records = store.Store(tmp / "results").results(profile, exp.name)
        pt = [r["result"]["pretraining"]["test_accuracy"] for r in records]
        lp = [t["test_accuracy"] for r in records for t in r["result"]["transfer"]]
        out[precision] = {"pretraining": sum(pt) / len(pt), "probes": sum(lp) / len(lp)}
        out[f"{precision}_wall_s"] = round(sum(r["provenance"]["wall_time_s"] for r in records))
    seeds_used = sorted({j.config["seed"] for j in jobs})
    agree = all(abs(out["bf16"][q] - out["fp32"][q]) <= 0.02 for q in out["fp32"])
    return {
        "benchmark": "precision",
        "experiment": experiment_name,
        "profile": profile,
        "arch": arch,
        "ks": list(ks),
        "seeds": seeds_used,
        "jobs": len(jobs),
        **out,
        "agree_within_0.02": agree,
        "device": device_name("cpu"),
        "machine": machine(),
        "date": time.strftime("%Y-%m-%d"),
        "caption": f"E-6 {profile} configuration, {arch}, rows k = {', '.join(map(str, ks))}, seeds "
        f"{', '.join(map(str, seeds_used))} ({len(jobs)} pretrainings, {8 * len(jobs)} probes each way): "
        f"mean held-out accuracies in fp32 and in bf16 autocast",
    }
