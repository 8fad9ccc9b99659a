"""Throughput benchmarks: our batched path beside an original-like baseline, in the same run."""

from __future__ import annotations

import os
import platform
import time
from typing import Sequence

import torch

from invtl.t2d.dataset import Transforms2D
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


def bench_data(
    transforms: Sequence[str] = DEFAULT_BENCH_TRANSFORMS,
    size: int = 32,
    workers: int = 2,
    batch_size: int = 256,
    samples: int = 8192,
    source: str = "auto",
) -> dict:
    """Batched generation against the per-sample PIL reference pipeline, in the same run.

    On the CPU both paths run in the same DataLoader with `workers` processes of one thread each:
    the reference renders sample by sample in PIL, as the original did; ours renders each batch
    of `batch_size` in one pass (`Transforms2D.__getitems__`). With CUDA, ours also renders
    batches of 8192 on the GPU. Returns {"rows", "ours_img_s", "baseline_img_s", "ratio", "device"}.
    """
    ds = Transforms2D(list(transforms), range(30), 8 * samples, seed=0, size=size, source=source)
    reference = ReferenceDataset(ds.base.objects[ds.objects], ds.photos, ds.transforms, n=samples, size=size)
    baseline = _loader_rate(reference, workers, batch_size)
    cpu = f"CPU, {workers} DataLoader workers"
    rows = [
        {"path": "PIL per-sample (original-like)", "device": cpu, "img_s": baseline},
        {"path": "invtl batched", "device": cpu, "img_s": _loader_rate(ds, workers, batch_size)},
    ]
    if torch.cuda.is_available():
        rows.append({"path": "invtl batched", "device": device_name("cuda"), "img_s": _timed_batches(ds, "cuda", 8192, 7)})
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
    }


def table(result: dict) -> str:
    """A plain-text table of a benchmark result."""
    w1 = max(len(r["path"]) for r in result["rows"]) + 2
    w2 = max(len(r["device"]) for r in result["rows"]) + 2
    lines = [f"{'path':{w1}}{'device':{w2}}{'img/s':>12} {'vs baseline':>12}"]
    for row in result["rows"]:
        lines.append(f"{row['path']:{w1}}{row['device']:{w2}}{row['img_s']:12,.0f} {row['ratio']:11.1f}x")
    return "\n".join(lines)


def bench_train(
    model_name: str = "resnet18",
    device: str | None = "auto",
    batch_size: int | None = None,
    steps: int | None = None,
    workers: int | None = None,
    compile: bool = False,
    source: str = "auto",
) -> dict:
    """Pretraining throughput on Transforms-2D: our path against an original-like baseline.

    Ours: the training set generated once on the device (timed), then bf16 autocast and
    channels_last on CUDA (`torch.compile` with `compile=True`). Baseline: fp32 eager, each
    sample rendered in PIL in DataLoader workers (min(cores, 12), as the original). Both train
    the same architecture with Adam for the same number of timed steps after one warm-up step.
    """
    from invtl.engine.models import create
    from invtl.engine.runner import resolve_device
    from invtl.engine.train import Normalise, TrainConfig, fit

    dev = resolve_device(device)
    cuda = dev.type == "cuda"
    batch_size = batch_size or (512 if cuda else 32)
    steps = steps or (60 if cuda else 4)
    workers = workers or min(os.cpu_count() or 1, 12)
    transforms = list(DEFAULT_BENCH_TRANSFORMS)
    n = batch_size * steps
    ds = Transforms2D(transforms, range(30), n, seed=0, source=source)

    # ours: warm up on one batch, then time generation + one epoch over n samples
    torch.manual_seed(0)
    model = create(model_name, 30).to(dev, memory_format=torch.channels_last if cuda else torch.contiguous_format)
    cfg = TrainConfig(epochs=1, batch_size=batch_size, compile=compile)
    warm_images, warm_labels = ds.batch(range(batch_size), dev)
    normalise = Normalise().to(dev)
    fit(model.train(), warm_images, warm_labels, cfg, seed=0, transform=normalise)
    sync = torch.cuda.synchronize if cuda else (lambda: None)
    sync()
    start = time.perf_counter()
    images, labels = ds.generate(dev)
    fit(model, images, labels, cfg, seed=1, transform=normalise)
    sync()
    ours = n / (time.perf_counter() - start)

    # baseline: fp32 eager, PIL per-sample data in DataLoader workers
    torch.manual_seed(0)
    model = create(model_name, 30).to(dev).train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    ref = ReferenceDataset(ds.base.objects[ds.objects], ds.photos, transforms, n=batch_size * (steps + 1))
    loader = torch.utils.data.DataLoader(ref, batch_size=batch_size, num_workers=workers, shuffle=True)
    start = None
    for step, (x, y) in enumerate(loader):
        if step == 1:  # after the warm-up step (and worker start-up)
            sync()
            start = time.perf_counter()
        loss = torch.nn.functional.cross_entropy(model(normalise(x.to(dev)).contiguous()), y.to(dev))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    sync()
    baseline = batch_size * steps / (time.perf_counter() - start)
    name = device_name(str(dev))
    path = "bf16 + channels_last, data on GPU" if cuda else "batched data, fp32 (no bf16 on CPU)"
    rows = [
        {"path": "original-like: fp32 eager, PIL workers", "device": f"{name}, {workers} workers", "img_s": baseline, "ratio": 1.0},
        {"path": f"invtl: {path}" + (", compiled" if compile else ""), "device": name, "img_s": ours, "ratio": ours / baseline},
    ]
    return {
        "benchmark": "train",
        "model": model_name,
        "batch_size": batch_size,
        "steps": steps,
        "transforms": transforms,
        "rows": rows,
        "ours_img_s": ours,
        "baseline_img_s": baseline,
        "ratio": ours / baseline,
        "device": name,
        "torch": torch.__version__,
    }
