"""Throughput benchmarks: our batched path beside an original-like baseline, in the same run."""

from __future__ import annotations

import os
import platform
import time
from typing import Sequence

import torch

from invtl.data import Transforms2D
from invtl.reference import ReferenceDataset

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
    lines = [f"{'path':34} {'device':42} {'img/s':>12} {'vs baseline':>12}"]
    for row in result["rows"]:
        lines.append(f"{row['path']:34} {row['device']:42} {row['img_s']:12,.0f} {row['ratio']:11.1f}x")
    return "\n".join(lines)
