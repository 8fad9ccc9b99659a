"""Run an experiment's grid of jobs into the results store: resumable, shardable, with progress.

An experiment is a name, its panels and a function that lists its jobs for a profile and seeds.
A job is one JSON-serialisable configuration (the store's key) and the function that computes its
result. Jobs whose result is already stored are skipped, so an interrupted grid resumes where it
stopped; `force` recomputes. `shard=(k, n)` runs every n-th job starting at the k-th (1-based),
so independent machines or a Slurm array can share one grid and write into one results directory.
Pretrained models shared by several jobs are cached as checkpoints (`Context.pretrained`).

Many writers: a job is computed under a lock beside its result, taken without waiting, so a second run of
the same grid skips what the first is computing ("busy") and concurrent runs split the work; a checkpoint
is trained under its own lock, which a second job needing it waits for and then loads. Before any compute
the results, cache and checkpoint directories must be writable and the data roots readable
(`preflight`).
"""

from __future__ import annotations

import json
import math
import os
import re
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
import torch.nn as nn
from tqdm.auto import tqdm

from invtl import paths
from invtl.engine import locks, timing
from invtl.engine import store as store_mod
from invtl.engine.runlog import RunLog
from invtl.engine.timing import phase
from invtl.engine.train import Runtime, resolve_precision
from invtl.paths import MissingData
from invtl.profiles import DEVICE_KIND, check_profile

# The code every experiment's numbers depend on: what generates data, trains, probes and measures, and the runner
# that sets device and precision. Not what plans, times, logs, locks or stores them, benchmarks or previews.
RESULT_CODE = (
    "invtl/engine/models.py",
    "invtl/engine/train.py",
    "invtl/engine/invariance.py",
    "invtl/engine/runner.py",
    "invtl/t2d",
    ":(exclude)invtl/t2d/preview.py",
    ":(exclude)invtl/t2d/reference.py",
    "invtl/experiments/common.py",
)


@dataclass(frozen=True)
class Job:
    config: dict
    run: Callable[[dict, Context], dict] = field(compare=False)
    panel: str = ""


@dataclass(frozen=True)
class Experiment:
    name: str
    description: str
    panels: tuple[str, ...]
    jobs: Callable[..., list[Job]]  # (profile, seeds, legacy, source) -> the grid's jobs, a pure function
    default_seeds: Callable[[str], list[int]]
    phases: Callable[[dict, str], dict[str, float]] = lambda config, kind: {}  # estimated seconds per phase
    legacy: tuple[str, ...] = ()  # the original behaviours its jobs can restore
    result_keys: tuple[str, ...] = ()  # what a result must hold for the analysis (else the record is corrupt)
    code: tuple[str, ...] = RESULT_CODE  # git pathspecs of the code its results depend on (for `store check`)
    # (key of a pretrained model jobs share, or None when each job trains its own; its estimated seconds, the views
    # it trains on included): for `plan` and for a job that loaded its model from a checkpoint
    pretraining: Callable[[dict, str], tuple[str | None, float]] = lambda config, kind: (None, 0.0)

    def cost(self, config: dict, kind: str = "cpu") -> float:
        """Estimated seconds of one job on a device kind (for `plan`): the sum of its `phases`."""
        return sum(self.phases(config, kind).values())

    def planned(self, config: dict, kind: str = "cpu", trained: bool = True) -> dict[str, float]:
        """The plan's seconds per phase of one job; one that loaded its pretrained model (`trained` False) is
        charged neither the pretraining steps nor the views they train on."""
        out = dict(self.phases(config, kind))
        if not trained and "pretrain" in out:
            views = max(0.0, self.pretraining(config, kind)[1] - out["pretrain"])
            out["generate"] = max(0.0, out.get("generate", 0.0) - views)
            out["pretrain"] = 0.0
        return out


def trained_here(phases_s: dict[str, float]) -> bool:
    """Whether a job trained its pretrained model (it timed a "pretrain" phase) instead of loading a checkpoint."""
    return phases_s.get("pretrain", 0.0) > 0.0


@dataclass
class Context:
    """What a job gets besides its configuration: where and how it computes, and a checkpoint-backed
    model cache."""

    device: torch.device
    precision: str = "fp32"  # "fp32" or "bf16" (autocast), see `invtl.engine.train.resolve_precision`
    progress: bool = False

    @property
    def rt(self) -> Runtime:
        return Runtime(self.device, self.precision)

    def pretrained(self, config: dict, build: Callable[[], nn.Module], train: Callable[[nn.Module], None]) -> nn.Module:
        """The model `build()` trained by `train(model)`, loaded from the checkpoint of `config` (a JSON dict
        naming everything that determines the weights) when one exists and was made for that config; a
        checkpoint of another config or shape is named in a warning and retrained. One process trains a
        checkpoint at a time (its lock); another that needs it waits, then loads it.
        Each model lives in its fastest layout (`Model.memory_format`)."""
        key = store_mod.config_key(config)
        path = store_mod.checkpoint_dir() / f"{key}.pt"

        def fresh() -> nn.Module:
            model = build()
            return model.to(self.device, memory_format=getattr(model, "memory_format", torch.contiguous_format))

        with locks.hold(path.with_suffix(".pt.lock")):
            model = fresh()
            state = store_mod.load_checkpoint(path, key)
            if state is not None:
                try:
                    model.load_state_dict(state)
                    return model
                except RuntimeError as e:  # same key, other architecture (e.g. changed model code)
                    first = (str(e).strip().splitlines() or [""])[0]
                    warnings.warn(
                        f"ignoring checkpoint {path}: does not fit the model ({first}); retraining", stacklevel=2
                    )
                    model = fresh()  # load_state_dict copies what fits before it raises
            train(model)
            with phase("io"):
                store_mod.save_checkpoint(path, model.state_dict(), key)
        return model


class Interrupted(KeyboardInterrupt):
    """Ctrl-C during a grid: `kept` results of the selected jobs are in the store (computed or found there)."""

    def __init__(self, kept: int) -> None:
        super().__init__(kept)
        self.kept = kept


def resolve_device(device: str | None) -> torch.device:
    """'auto' (or None) means CUDA when available, else the CPU."""
    if device in (None, "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if not re.fullmatch(r"cpu|cuda(:\d+)?", device):
        raise ValueError(f"unknown device {device!r}; valid: auto, cpu, cuda, cuda:N")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(f"device {device!r} requested but CUDA is not available; valid here: auto, cpu")
    return torch.device(device)


def parse_shard(text: str | None) -> tuple[int, int]:
    """'K/N' (1 <= K <= N) -> (K, N); None -> (1, 1)."""
    if text is None:
        return 1, 1
    m = re.fullmatch(r"(\d+)/(\d+)", text.strip())
    if not m or not 1 <= int(m.group(1)) <= int(m.group(2)):
        raise ValueError(f"malformed shard {text!r}; valid: K/N with 1 <= K <= N, e.g. 1/4")
    return int(m.group(1)), int(m.group(2))


def select_jobs(
    exp: Experiment,
    profile: str,
    seeds: list[int] | None,
    only: str | None,
    shard: tuple[int, int],
    legacy: tuple[str, ...] = (),
    source: str | None = None,
) -> list[Job]:
    """The jobs of one shard of an experiment's grid, in a stable order."""
    for flag in legacy:
        if flag not in exp.legacy:
            raise ValueError(f"unknown legacy option {flag!r}; valid: {', '.join(exp.legacy)}")
    check_profile(profile)
    seeds = list(dict.fromkeys(seeds)) if seeds is not None else None  # `--seeds 0 0` runs seed 0 once
    groups = sorted({p.split("/")[0] for p in exp.panels if "/" in p})
    if only is not None and only not in exp.panels and only not in groups:
        raise ValueError(f"unknown panel {only!r} for {exp.name}; valid: {', '.join([*exp.panels, *groups])}")
    jobs = exp.jobs(profile, seeds if seeds is not None else exp.default_seeds(profile), tuple(legacy), source)
    jobs = [j for j in jobs if only is None or j.panel == only or j.panel.startswith(only + "/")]
    k, n = shard
    return jobs[k - 1 :: n]


def run(
    exp: Experiment,
    profile: str,
    seeds: list[int] | None = None,
    only: str | None = None,
    shard: tuple[int, int] = (1, 1),
    device: str | None = "auto",
    results: str | None = None,
    force: bool = False,
    progress: bool = True,
    legacy: tuple[str, ...] = (),
    source: str | None = None,
    precision: str | None = None,
) -> dict[str, int]:
    """Compute every missing result of a grid (or one shard of it); returns counts of computed, skipped
    (already stored), missing (not run: their data is not on this machine) and busy (being computed by
    another process: its lock is held) jobs. Ctrl-C raises `Interrupted`, finished results kept. A run that
    computes something leaves its log (`RunLog`) under RESULTS/PROFILE/runs/."""
    name = exp.name
    jobs = select_jobs(exp, profile, seeds, only, shard, legacy, source)
    dev = resolve_device(device)
    ctx = Context(
        dev, resolve_precision(precision or os.environ.get("INVTL_PRECISION", "auto"), dev), progress=progress
    )
    store = store_mod.Store(results) if results else store_mod.Store()
    preflight(store.root)
    counts = {"computed": 0, "skipped": 0, "missing": 0, "busy": 0}
    todo = []
    for job in jobs:
        if not force and store.load(profile, name, job.config, exp.result_keys) is not None:
            counts["skipped"] += 1
        else:
            todo.append(job)
    reasons: dict[str, int] = {}
    log = RunLog(store, exp, profile, {"shard": f"{shard[0]}/{shard[1]}", "seeds": seeds, "only": only}, len(todo), ctx)
    try:
        for job in tqdm(todo, desc=f"{name} [{profile}]", unit="job", disable=not progress):
            lock = locks.try_lock(store.lock_path(profile, name, job.config))
            if lock is None:
                counts["busy"] += 1
                log.not_computed("elsewhere")
                continue
            try:
                path = store.path(profile, name, job.config)
                if not force and path.exists() and store_mod.parse(path, job.config, exp.result_keys)[1] is None:
                    counts["skipped"] += 1  # finished by another process since the scan above
                    log.not_computed("elsewhere")
                    continue
                reason, phases = _compute(job, ctx, store, profile, name)
            finally:
                lock.release()
            if reason is None:
                counts["computed"] += 1
                log.computed(job, trained=trained_here(phases))
            else:
                counts["missing"] += 1
                log.not_computed("missing")
                reasons[reason] = reasons.get(reason, 0) + 1
    except KeyboardInterrupt as e:
        log.write(interrupted=True)
        raise Interrupted(counts["computed"] + counts["skipped"]) from e
    log.write()
    for reason, n in reasons.items():
        warnings.warn(f"{n} {name} job{'s' if n > 1 else ''} not run: {reason}", stacklevel=2)
    if counts["busy"]:
        warnings.warn(
            f"{counts['busy']} {name} job{'s' if counts['busy'] > 1 else ''} skipped: being computed by another "
            "process (its lock is held); run again to pick up any it leaves",
            stacklevel=2,
        )
    if not jobs:
        warnings.warn(
            f"no jobs selected for {name} [{profile}] (panel {only}, shard {shard[0]}/{shard[1]})", stacklevel=2
        )
    return counts


def _compute(job: Job, ctx: Context, store: store_mod.Store, profile: str, name: str) -> tuple[str | None, dict]:
    """Run one job and save its record: (None, its measured phases), or (why it could not run, {}) when its data
    is missing."""
    start = time.perf_counter()
    timing.take()
    try:
        result = job.run(job.config, ctx)
    except MissingData as e:  # reported by name by the caller; nothing is recorded for the job
        return str(e), {}
    prov = store_mod.provenance(
        profile=profile,
        config=job.config,
        wall_time_s=time.perf_counter() - start,
        device=str(ctx.device),
        precision=ctx.precision,
        phases=timing.take(),
    )
    store.save(profile, name, job.config, result, prov)
    return None, prov["phases_s"]


def preflight(results: str | os.PathLike) -> None:
    """Before any compute: the results, cache and checkpoint directories exist or can be created and are
    writable, and the data roots that exist are readable; else `paths.Unusable` naming the first that is not."""
    paths.writable_dir(results, "results directory")
    paths.writable_dir(paths.cache_root(), "cache directory (INVTL_CACHE)")
    paths.writable_dir(store_mod.checkpoint_dir(), "checkpoint directory")
    for what, root in (
        ("data root (INVTL_DATA_ROOT)", paths.data_root()),
        ("SI-Score directory (INVTL_SI_SCORE_DIR)", os.environ.get("INVTL_SI_SCORE_DIR")),
    ):
        if root and os.path.lexists(root):
            paths.readable_dir(root, what)


def _charges(exp: Experiment, jobs: list[Job], kind: str) -> list[tuple[float, str | None, float]]:
    """(cost, shared pretrained model's key or None, its seconds) of each job."""
    return [(exp.cost(job.config, kind), *exp.pretraining(job.config, kind)) for job in jobs]


def _once(charges) -> float:
    """The seconds of `charges` run one after the other by one process: a shared pretrained model charged once."""
    seen, out = set(), 0.0
    for cost, key, pretraining in charges:
        out += cost - (pretraining if key is not None and key in seen else 0.0)
        seen.add(key)
    return out


def estimate(exp: Experiment, jobs: list[Job], kind: str = "cpu") -> float:
    """Estimated seconds of `jobs` run one after the other by one process: each job's cost, a pretrained model
    that several jobs share (a checkpoint) charged once."""
    return _once(_charges(exp, jobs, kind))


def plan(
    exp: Experiment,
    profile: str,
    seeds: list[int] | None = None,
    only: str | None = None,
    max_minutes: float = 8.0,
    legacy: tuple[str, ...] = (),
    speed: float = 1.0,
) -> dict:
    """The fewest interleaved shards whose estimated time each stays under `max_minutes`, on the device the
    profile is meant for (`invtl.profiles.DEVICE_KIND`), at the rates of `invtl.engine.costs.rates` times
    `speed` (this machine's speed against those rates' machine, `invtl.engine.bench.speed_probe`).

    A pretrained model shared by several jobs (a checkpoint) is charged once per chunk; `total_minutes` is the
    grid run by one machine, every model trained once.
    """
    from invtl.engine.costs import rates

    if not (math.isfinite(max_minutes) and max_minutes > 0):
        raise ValueError(f"invalid --max-minutes {max_minutes}; valid: a positive number of minutes")
    if not (math.isfinite(speed) and speed > 0):
        raise ValueError(f"invalid speed factor {speed}; valid: a positive number (1 = the benchmark's machine)")
    name, kind = exp.name, DEVICE_KIND[profile]
    jobs = select_jobs(exp, profile, seeds, only, (1, 1), legacy)
    charges = _charges(exp, jobs, kind)  # each job's costs once, not once per shard count tried
    seconds = [cost / speed for cost, _, _ in charges]

    def total(idx: range) -> float:
        return _once(charges[i] for i in idx) / speed

    if max(seconds, default=0.0) > 60 * max_minutes:
        raise ValueError(
            f"one {name} job is estimated at {max(seconds) / 60:.1f} minutes, over the {max_minutes} "
            "minute chunk limit; valid: a larger --max-minutes, or a profile with smaller jobs"
        )
    n = 1
    while max(total(range(k, len(jobs), n)) for k in range(n)) > 60 * max_minutes:
        n += 1
    return {
        "experiment": name,
        "profile": profile,
        "device": kind,
        "rates": rates(kind)["source"],
        "speed": speed,
        "jobs": len(jobs),
        "total_minutes": total(range(len(jobs))) / 60,
        "shards": n,
        "shard_minutes": [total(range(k, len(jobs), n)) / 60 for k in range(n)],
        "job_seconds": {json.dumps(j.config, sort_keys=True): s for j, s in zip(jobs, seconds)},
    }
