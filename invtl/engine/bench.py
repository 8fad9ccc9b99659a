"""Throughput benchmarks: our batched path beside an original-like baseline, in the same run."""

from __future__ import annotations

import os
import platform
import time
from collections.abc import Sequence

import torch

from invtl.t2d.dataset import CHUNK, Transforms2D
from invtl.t2d.reference import ReferenceDataset

DEFAULT_BENCH_TRANSFORMS = ("rotate", "hue", "blur")


def device_name(device: str) -> str:
    if device.startswith("cuda"):
        return torch.cuda.get_device_name(torch.device(device))
    return f"CPU ({os.cpu_count()} cores)"


def _timed_batches(ds: Transforms2D, device: str, batch_size: int, batches: int) -> float:
    """Images per second of `ds.batch` on a GPU after one warm-up batch."""
    ds.batch(torch.arange(batch_size), device)
    torch.cuda.synchronize()
    start = time.perf_counter()
    for b in range(1, batches + 1):
        ds.batch(torch.arange(b * batch_size, (b + 1) * batch_size), device)
    torch.cuda.synchronize()
    return batch_size * batches / (time.perf_counter() - start)


def _loader_rate(dataset: torch.utils.data.Dataset, workers: int, batch_size: int) -> float:
    """Images per second through a DataLoader with `workers` processes (one CPU thread each)."""
    loader = torch.utils.data.DataLoader(dataset, batch_size=batch_size, num_workers=workers)
    start = time.perf_counter()
    for _ in loader:
        pass
    return len(dataset) / (time.perf_counter() - start)


def _in_process_rate(ds: Transforms2D, chunk: int, n: int = 4096) -> float:
    """Images per second of `ds.batch` on one index list of n in process, rendering `chunk` samples per pass."""
    saved = CHUNK["cpu"]
    CHUNK["cpu"] = chunk
    try:
        ds.batch(torch.arange(512), epoch=0)
        start = time.perf_counter()
        ds.batch(torch.arange(n), epoch=1)
        return n / (time.perf_counter() - start)
    finally:
        CHUNK["cpu"] = saved


def bench_data(
    transforms: Sequence[str] = DEFAULT_BENCH_TRANSFORMS,
    size: int = 32,
    workers: int = 2,
    batch_size: int = 256,
    samples: int = 8192,
    source: str = "offline",
) -> dict:
    """Batched generation against the per-sample PIL reference pipeline, in the same run.

    On the CPU both paths run in the same DataLoader with `workers` processes of one thread each:
    the reference renders sample by sample in PIL, as the original did; ours renders each batch
    of `batch_size` in one pass (`Transforms2D.__getitems__`). Ours also runs in process, as training uses it
    (`batch()` of a 4 096-index list with all threads), in render chunks of 512 (the default here) and 4 096, to
    show the cache effect. With CUDA, ours also renders batches of 8192 on the GPU. Returns {"rows",
    "ours_img_s", "baseline_img_s", "ratio", "device"}.
    """
    ds = Transforms2D(list(transforms), range(30), 8 * samples, seed=0, size=size, source=source)
    reference = ReferenceDataset(ds.base.objects[ds.objects], ds.photos, ds.transforms, n=samples, size=size)
    baseline = _loader_rate(reference, workers, batch_size)
    cpu = f"CPU, {workers} DataLoader workers"
    rows = [
        {"path": "PIL per-sample (original-like)", "device": cpu, "img_s": baseline},
        {"path": "invtl batched", "device": cpu, "img_s": _loader_rate(ds, workers, batch_size)},
    ]
    for chunk in (CHUNK["cpu"], 4096):
        rows.append(
            {
                "path": f"invtl in process, render chunks of {chunk}",
                "device": f"CPU, {torch.get_num_threads()} threads",
                "img_s": _in_process_rate(ds, chunk),
            }
        )
    if torch.cuda.is_available():
        rows.append(
            {"path": "invtl batched", "device": device_name("cuda"), "img_s": _timed_batches(ds, "cuda", 8192, 7)}
        )
    for row in rows:
        row["ratio"] = row["img_s"] / baseline
    best = rows[-1]
    return {
        "benchmark": "data",
        "transforms": list(transforms),
        "size": size,
        "source": ds.source,
        "rows": rows,
        "ours_img_s": best["img_s"],
        "baseline_img_s": baseline,
        "ratio": best["ratio"],
        "device": best["device"],
        "cpu": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
        "torch": torch.__version__,
        "machine": machine(),
    }


def table(result: dict) -> str:
    """A plain-text table of a benchmark result."""
    w1 = max(len(r["path"]) for r in result["rows"]) + 2
    w2 = max(len(r["device"]) for r in result["rows"]) + 2
    lines = [f"{'path':{w1}}{'device':{w2}}{'img/s':>12} {'vs baseline':>12}"]
    for row in result["rows"]:
        lines.append(f"{row['path']:{w1}}{row['device']:{w2}}{row['img_s']:12,.0f} {row['ratio']:11.1f}x")
    return "\n".join(lines)


def machine() -> dict:
    """The machine and code a benchmark ran on (no hostname): CPU, threads, torch, GPU, commit and dirty flag
    of the checkout, and the date (UTC)."""
    try:
        model = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        model = platform.processor() or platform.machine()
    from invtl.engine.store import git_state
    from invtl.engine.train import native_bf16

    commit, dirty = git_state()
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "threads": torch.get_num_threads(),
        "native_bf16": native_bf16(torch.device("cpu")),
        "torch": torch.__version__,
        "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
        "git_commit": commit,
        "dirty": dirty,
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def _train_rate(model, views, n: int, batch_size: int, rt, steps_warmup: int = 2) -> float:
    """Images per second of one epoch of `fit` over n samples, after a short warm-up."""
    from invtl.engine.train import Normalise, TrainConfig, fit

    norm = Normalise().to(rt.device)
    fit(model.train(), views, steps_warmup * batch_size, TrainConfig(1, batch_size), 0, rt, transform=norm)
    sync = torch.cuda.synchronize if rt.device.type == "cuda" else (lambda: None)
    sync()
    start = time.perf_counter()
    fit(model, views, n, TrainConfig(1, batch_size), 1, rt, transform=norm)
    sync()
    return n / (time.perf_counter() - start)


def _baseline_rate(
    model_name: str, width: float, ds: Transforms2D, batch_size: int, steps: int, workers: int, dev: torch.device
) -> float:
    """The original-like path: fp32, contiguous, every sample rendered in PIL in DataLoader workers."""
    from invtl.engine.models import create
    from invtl.engine.train import Normalise

    torch.manual_seed(0)
    model = create(model_name, 30, width).to(dev).train()
    model.memory_format = torch.contiguous_format  # the original's layout
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    ref = ReferenceDataset(ds.base.objects[ds.objects], ds.photos, ds.transforms, n=batch_size * (steps + 1))
    loader = torch.utils.data.DataLoader(ref, batch_size=batch_size, num_workers=workers, shuffle=True)
    normalise, start = Normalise().to(dev), None
    sync = torch.cuda.synchronize if dev.type == "cuda" else (lambda: None)
    for step, (x, y) in enumerate(loader):
        if step == 1:  # after the warm-up step (and worker start-up)
            sync()
            start = time.perf_counter()
        loss = torch.nn.functional.cross_entropy(model(normalise(x.to(dev)).contiguous()), y.to(dev))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    sync()
    return batch_size * steps / (time.perf_counter() - start)


def bench_train(
    model_name: str = "resnet18",
    device: str | None = "auto",
    widths: Sequence[float] = (0.25, 1.0),
    batch_size: int | None = None,
    steps: int | None = None,
    workers: int | None = None,
    precision: str = "auto",
    source: str = "offline",
) -> dict:
    """Pretraining throughput on Transforms-2D in one run, per width: (a) original-like: fp32, contiguous,
    per-sample PIL transforms in DataLoader workers; (b) ours end to end: each epoch's views generated in
    process as it trains, at `precision`, in the model's layout; (c) the compute ceiling: our step alone on
    tensors made beforehand. Returns rows and the ratios b/a and b/c per width."""
    from invtl.engine.models import create
    from invtl.engine.runner import resolve_device
    from invtl.engine.train import Runtime, resolve_precision, tensor_views

    dev = resolve_device(device)
    rt = Runtime(dev, resolve_precision(precision, dev))
    cuda = dev.type == "cuda"
    batch_size = batch_size or 512  # the original's batch
    workers = workers or min(os.cpu_count() or 1, 12)
    transforms = list(DEFAULT_BENCH_TRANSFORMS)
    rows, ratios = [], {}
    for width in widths:
        n_steps = steps or (60 if cuda else (16 if width < 1 else 3))
        n = batch_size * n_steps
        ds = Transforms2D(transforms, range(30), n, seed=0, source=source)
        baseline = _baseline_rate(model_name, width, ds, batch_size, n_steps, workers, dev)
        torch.manual_seed(0)
        model = create(model_name, 30, width)
        model = model.to(dev, memory_format=model.memory_format)
        ours = _train_rate(model, lambda idx, epoch, ds=ds: ds.batch(idx, dev, epoch), n, batch_size, rt)
        ceiling = _train_rate(model, tensor_views(*ds.generate(dev, epoch=0)), n, batch_size, rt)
        ratios[str(width)] = {"ours_vs_original": ours / baseline, "ours_vs_ceiling": ours / ceiling}
        rows += [
            {
                "width": width,
                "path": f"(a) original-like: fp32 contiguous, PIL in {workers} workers",
                "img_s": baseline,
            },
            {
                "width": width,
                "path": f"(b) invtl end to end: views generated per epoch, {rt.precision}, "
                f"{'channels_last' if model.memory_format == torch.channels_last else 'contiguous'}",
                "img_s": ours,
            },
            {"width": width, "path": "(c) compute ceiling: our step on tensors made beforehand", "img_s": ceiling},
        ]
    return {
        "benchmark": "train",
        "model": model_name,
        "device": device_name(str(dev)),
        "precision": rt.precision,
        "batch_size": batch_size,
        "transforms": transforms,
        "rows": rows,
        "ratios": ratios,
        "machine": machine(),
    }


def speed_probe(device: str | None = "auto", precision: str = "auto", steps: int = 12, batch_size: int = 128) -> dict:
    """How fast this machine trains now, against the committed rates `invtl plan` predicts from: ResNet-18 at
    the rates' width on tensors, `steps` steps of `batch_size` (seconds on a CPU). A `factor` under 1 means
    slower than when the rates were measured (another host, or a shared or throttled one)."""
    from invtl.engine.costs import rates
    from invtl.engine.models import create
    from invtl.engine.runner import resolve_device
    from invtl.engine.train import Runtime, resolve_precision, tensor_views

    dev = resolve_device(device)
    committed = rates("cuda" if dev.type == "cuda" else "cpu")
    width = committed["train"]["resnet18"]["width"]
    rt = Runtime(dev, resolve_precision(precision, dev))
    n = batch_size * steps
    x, y = torch.randint(0, 256, (n, 3, 32, 32), dtype=torch.uint8), torch.randint(0, 30, (n,))
    torch.manual_seed(0)
    model = create("resnet18", 30, width)
    model = model.to(dev, memory_format=model.memory_format)
    measured = _train_rate(model, tensor_views(x.to(dev), y.to(dev)), n, batch_size, rt)
    return {
        "model": f"resnet18 width {width}",
        "measured_img_s": round(measured),
        "benchmark_img_s": committed["train"]["resnet18"]["img_s"],
        "factor": measured / committed["train"]["resnet18"]["img_s"],
        "rates": committed["source"],
    }


def bench_rates(
    widths: dict[str, float],
    device: str | None = "auto",
    precision: str = "auto",
    batch_size: int = 128,
    source: str = "offline",
) -> dict:
    """The rates `invtl plan` predicts from: training and feature img/s of each architecture at `widths`
    (arch -> width), on tensors made beforehand; generation img/s of Transforms-2D (the mean over a few
    transform chains) and of CIFAR-style whole-image augmentation; a linear probe's step time."""
    from invtl.engine.models import create
    from invtl.engine.runner import resolve_device
    from invtl.engine.train import (
        Normalise,
        Runtime,
        TrainConfig,
        linear_probe,
        predict,
        resolve_precision,
        tensor_views,
    )
    from invtl.t2d.cifar_views import augment

    dev = resolve_device(device)
    rt = Runtime(dev, resolve_precision(precision, dev))
    train, feats = {}, {}
    for arch, width in widths.items():
        n = batch_size * (12 if arch in ("vgg11",) else 6)
        x, y = torch.randint(0, 256, (n, 3, 32, 32), dtype=torch.uint8), torch.randint(0, 30, (n,))
        torch.manual_seed(0)
        model = create(arch, 30, width)
        model = model.to(dev, memory_format=model.memory_format)
        train[arch] = {"width": width, "img_s": round(_train_rate(model, tensor_views(x, y), n, batch_size, rt))}
        model.eval()
        big = torch.randint(0, 256, (4096, 3, 32, 32), dtype=torch.uint8)
        norm = Normalise().to(dev)
        predict(model.embed, big[:512], rt, transform=norm)
        start = time.perf_counter()
        predict(model.embed, big, rt, transform=norm)
        feats[arch] = {"width": width, "img_s": round(4096 / (time.perf_counter() - start))}
    chains = (
        ["rotate", "hue", "blur"],
        ["scale", "brightness", "elastic"],
        ["shear", "invert", "noise"],
        ["translate", "sharpen", "pixelate"],
    )
    rates = []
    for chain in chains:
        ds = Transforms2D(chain, range(30), 4096, seed=0, source=source)
        ds.batch(torch.arange(512), dev, epoch=0)
        start = time.perf_counter()
        ds.batch(torch.arange(4096), dev, epoch=1)
        rates.append(4096 / (time.perf_counter() - start))
    images = torch.randint(0, 256, (4096, 3, 32, 32), dtype=torch.uint8, device=dev)
    start = time.perf_counter()
    for chain in chains:
        augment(images, chain, 1, torch.arange(4096, device=dev))
    cifar = 4 * 4096 / (time.perf_counter() - start)
    f, y = torch.randn(4096, 128, device=dev), torch.randint(0, 30, (4096,), device=dev)
    start = time.perf_counter()
    linear_probe(f, y, 30, TrainConfig(10, batch_size), 0)
    probe_step = (time.perf_counter() - start) / (10 * 32)
    return {
        "train": train,
        "features": feats,
        "generate": round(len(rates) / sum(1 / r for r in rates)),
        "generate_cifar": round(cifar),
        "probe_step_s": probe_step,
        "job_overhead_s": 1.0,  # a planning number, not measured (the performance chapter's phase table shows it)
        "precision": rt.precision,
        "date": time.strftime("%Y-%m-%d"),
    }
