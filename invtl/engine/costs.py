"""Cost estimates of jobs, used by `invtl plan` to split grids into chunks.

A job's time is the sum of its phases at measured rates: images generated, images trained (per
architecture and width), images embedded, and linear-probe steps. CPU rates come from the committed CPU
benchmark (`results/bench/train-cpu.json`, written by `invtl bench train --device cpu --json`); GPU rates
are one H200's planning numbers (gpu-measurements, 2026-11-26) until `invtl bench train --device cuda`
measures them. The `source` of the rates is reported with every plan.
"""

from __future__ import annotations

import json
import math
from functools import cache
from pathlib import Path

from invtl import paths

BENCH_FILE = {"cpu": "train-cpu.json", "cuda": "train-cuda.json"}

GPU_PLANNING = {  # img/s; bf16 + channels_last, eager, batch 512, H200 (measured for resnet18 / vgg11, else scaled)
    "train": {
        "resnet18": {"width": 1.0, "img_s": 56_000},
        "vgg11": {"width": 1.0, "img_s": 103_000},
        "resnet50": {"width": 1.0, "img_s": 22_000},
        "densenet121": {"width": 1.0, "img_s": 30_000},
        "vit": {"width": 1.0, "img_s": 20_000},
    },
    "features": {
        "resnet18": {"width": 1.0, "img_s": 256_000},
        "vgg11": {"width": 1.0, "img_s": 470_000},
        "resnet50": {"width": 1.0, "img_s": 100_000},
        "densenet121": {"width": 1.0, "img_s": 137_000},
        "vit": {"width": 1.0, "img_s": 91_000},
    },
    "generate": 1_730_000,
    "probe_step_s": 1.5e-4,
    "job_overhead_s": 3.0,
}
CPU_FALLBACK = {  # img/s; used only when no CPU benchmark is committed (issue text, bf16 + channels_last, width 1/4)
    "train": {
        "resnet18": {"width": 0.25, "img_s": 1_000},
        "vgg11": {"width": 0.25, "img_s": 3_000},
        "resnet50": {"width": 0.25, "img_s": 400},
        "densenet121": {"width": 0.25, "img_s": 300},
        "vit": {"width": 0.25, "img_s": 300},
    },
    "features": {
        "resnet18": {"width": 0.25, "img_s": 3_500},
        "vgg11": {"width": 0.25, "img_s": 9_000},
        "resnet50": {"width": 0.25, "img_s": 1_200},
        "densenet121": {"width": 0.25, "img_s": 900},
        "vit": {"width": 0.25, "img_s": 900},
    },
    "generate": 10_000,
    "probe_step_s": 6e-4,
    "job_overhead_s": 2.0,
}


@cache
def rates(kind: str = "cpu") -> dict:
    """The rates of a device kind ("cpu" or "cuda"): {"train": {arch: img/s}, "features": {arch: img/s},
    "generate": img/s, "probe_step_s", "job_overhead_s", "source": where they come from}. Measured rates
    are per architecture at the width the cpu profile uses."""
    root = paths.checkout() or paths.PACKAGE_ROOT
    path = Path(root) / "results" / "bench" / BENCH_FILE[kind]
    try:
        measured = json.loads(path.read_text())["rates"]
        return {**measured, "source": f"measured ({path.relative_to(root)}, {measured.get('date', '?')})"}
    except (OSError, KeyError, ValueError):
        fallback = GPU_PLANNING if kind == "cuda" else CPU_FALLBACK
        return {**fallback, "source": "planning numbers (no benchmark committed)"}


def epochs_for(n: int, epochs: int, min_steps: int, batch_size: int) -> int:
    """Epochs a phase runs (see `invtl.engine.train.TrainConfig.epochs_for`)."""
    return max(epochs, math.ceil(min_steps / max(1, math.ceil(n / batch_size))))


PHASES = ("pretrain", "generate", "features", "probe", "fine-tune", "overhead")
"""The phases of a job's estimate; the names a result's `phases_s` uses (features also covers `invariance`,
overhead is the job's time outside its phases)."""


def job(
    arch: str,
    width: float,
    pretrain: tuple[int, int, int] | None,
    batch_size: int,
    generate: int,
    features: int,
    probes: list[tuple[int, int, int]] = (),
    fine_tunes: list[tuple[int, int, int]] = (),
    kind: str = "cpu",
) -> dict[str, float]:
    """Estimated seconds of one job per phase (`PHASES`): `pretrain` = (samples, epochs, min steps) or None (a
    cached or untrained model), `generate` = evaluation images generated once, `features` = images embedded,
    `probes` and `fine_tunes` = (samples, epochs, min steps) each. Training images are generated as they train,
    at the generation rate, and charged to `generate` as the run times them (`invtl.engine.train.fit`)."""
    r = rates(kind)
    train_rate, feature_rate = _per_arch(r["train"], arch, width), _per_arch(r["features"], arch, width)

    def images(runs: list[tuple[int, int, int]]) -> int:
        return sum(n * epochs_for(n, epochs, min_steps, batch_size) for n, epochs, min_steps in runs)

    pt, ft = images([pretrain] if pretrain else []), images(list(fine_tunes))
    steps = sum(math.ceil(n / batch_size) * epochs_for(n, e, m, batch_size) for n, e, m in probes)
    return {
        "pretrain": pt / train_rate,
        "generate": (generate + pt + ft) / r["generate"],
        "features": features / feature_rate,
        "probe": steps * r["probe_step_s"],
        "fine-tune": ft / train_rate,
        "overhead": r["job_overhead_s"],
    }


def _per_arch(table: dict, arch: str, width: float) -> float:
    """The rate of `arch`; widths other than the measured one scale with the FLOPs (~ width²)."""
    entry = table[arch]  # {"width": w, "img_s": rate}
    return entry["img_s"] * (entry["width"] / width) ** 2


def pretrain(arch: str, width: float, n: int, epochs: int, min_steps: int, batch_size: int, kind: str = "cpu") -> float:
    """Estimated seconds of one pretraining (its views generated as it trains); `job` includes it."""
    r = rates(kind)
    images = n * epochs_for(n, epochs, min_steps, batch_size)
    return images / _per_arch(r["train"], arch, width) + images / r["generate"]
