"""Throughput benchmarks: our batched path beside an original-like baseline, in the same run."""

from __future__ import annotations

import os
import time
from typing import Sequence

import torch

from invtl.data import Transforms2D
from invtl.reference import ReferenceDataset

DEFAULT_BENCH_TRANSFORMS = ("rotate", "hue", "blur")


def device_name(device: str) -> str:
    if device.startswith("cuda"):
        return torch.cuda.get_device_name(torch.device(device))
    return f"CPU ({os.cpu_count()} cores, {torch.get_num_threads()} torch threads)"


def _timed_batches(ds: Transforms2D, device: str, batch_size: int, batches: int) -> float:
    """Images per second of `ds.batch` on `device` after one warm-up batch."""
    sync = torch.cuda.synchronize if device.startswith("cuda") else (lambda: None)
    ds.batch(torch.arange(batch_size), device)
    sync()
    start = time.perf_counter()
    for b in range(1, batches + 1):
        ds.batch(torch.arange(b * batch_size, (b + 1) * batch_size), device)
    sync()
    return batch_size * batches / (time.perf_counter() - start)


def _reference_rate(ds: Transforms2D, n: int, workers: int) -> float:
    """Images per second of the per-sample PIL pipeline in DataLoader workers, as the original ran."""
    ref = ReferenceDataset(ds.base.objects[ds.objects], ds.photos, ds.transforms, n=n, size=ds.size)
    loader = torch.utils.data.DataLoader(ref, batch_size=256, num_workers=workers)
    start = time.perf_counter()
    for _ in loader:
        pass
    return n / (time.perf_counter() - start)


def bench_data(
    transforms: Sequence[str] = DEFAULT_BENCH_TRANSFORMS,
    size: int = 32,
    threads: int = 2,
    batch_size: int = 4096,
    reference_samples: int = 8192,
    source: str = "auto",
) -> dict:
    """Batched generation (CPU, and CUDA when present) against the PIL reference pipeline.

    Both CPU paths use `threads` cores: torch intra-op threads for ours, DataLoader workers for
    the reference. Returns {"rows": [...], "ours_img_s", "baseline_img_s", "ratio", "device"}.
    """
    torch.set_num_threads(threads)
    n = batch_size * 64
    ds = Transforms2D(list(transforms), range(30), n, seed=0, size=size, source=source)
    baseline = _reference_rate(ds, reference_samples, threads)
    rows = [{"path": "PIL per-sample (original-like)", "device": f"CPU, {threads} DataLoader workers", "img_s": baseline}]
    rows.append({"path": "invtl batched", "device": device_name("cpu"), "img_s": _timed_batches(ds, "cpu", batch_size, 4)})
    if torch.cuda.is_available():
        cuda_batch = 8192
        rows.append({"path": "invtl batched", "device": device_name("cuda"), "img_s": _timed_batches(ds, "cuda", cuda_batch, 30)})
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
        "torch": torch.__version__,
    }


def table(result: dict) -> str:
    """A plain-text table of a benchmark result."""
    lines = [f"{'path':34} {'device':42} {'img/s':>12} {'vs baseline':>12}"]
    for row in result["rows"]:
        lines.append(f"{row['path']:34} {row['device']:42} {row['img_s']:12,.0f} {row['ratio']:11.1f}x")
    return "\n".join(lines)
