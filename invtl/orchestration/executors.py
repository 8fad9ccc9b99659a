"""Run a grid's chunks elsewhere: as one SLURM job array through submitit, or as local submitit processes.

The chunks are those of `invtl plan` (`runner.plan`). Each task calls `run_chunk` with plain arguments (the
experiment's name, profile, seeds, shard K/N, results directory, device, precision, legacy options, source and
the invtl environment variables) and rebuilds its part of the grid itself: nothing but names and numbers is
pickled. A task that is preempted or times out is requeued (submitit's checkpoint hook) and resumes from the
store; tasks of one or several arrays on one results directory split the work through the store's locks.
Logs, submitit's pickles and a record of each submission (`SUBMISSIONS`, read by `invtl status`) go to a
folder that the compute nodes must see (default: `<cache>/submitit/<profile>/<experiment>`).
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from tqdm.auto import tqdm

from invtl import experiments, paths
from invtl.engine import runner
from invtl.engine import store as store_mod

EXECUTORS = ("local", "slurm", "submitit-local")
PASSED_ENV = ("INVTL_PRECISION", "INVTL_SI_SCORE_DIR", "INVTL_SI_SCORE_REVISION")
"""Environment variables handed to the tasks when set (besides the resolved cache, data and results roots)."""
SUBMISSIONS = "invtl-submissions.jsonl"
POLL_S = 2.0


@dataclass(frozen=True)
class Grid:
    """What `invtl run` selects: a grid, where its results go and how its jobs compute."""

    experiment: str
    profile: str
    seeds: list[int] | None = None
    only: str | None = None
    legacy: tuple[str, ...] = ()
    source: str | None = None
    results: str | None = None
    device: str = "auto"
    precision: str | None = None


@dataclass(frozen=True)
class Resources:
    """What each task asks of SLURM (None: the cluster's default)."""

    partition: str | None = None
    time_min: int | None = None  # default: twice the longest chunk's estimate plus 10 minutes
    cpus_per_task: int | None = None
    gpus_per_node: int | None = None
    mem: str | None = None  # SLURM syntax, e.g. 16G
    array_parallelism: int | None = None
    extra: dict[str, str] = field(default_factory=dict)  # any other sbatch option: --KEY=VALUE


def run_chunk(
    experiment: str,
    profile: str,
    seeds: list[int] | None,
    only: str | None,
    shard: tuple[int, int],
    results: str,
    device: str,
    precision: str | None,
    legacy: tuple[str, ...],
    source: str | None,
    env: dict[str, str],
) -> dict[str, int]:
    """One chunk of a grid, in a task: sets the submitter's invtl environment, runs, returns the counts."""
    os.environ.update(env)
    counts = runner.run(
        experiments.experiment(experiment),
        profile,
        seeds=seeds,
        only=only,
        shard=shard,
        device=device,
        results=results,
        progress=False,
        legacy=tuple(legacy),
        source=source,
        precision=precision,
    )
    print(f"{experiment} [{profile}] chunk {shard[0]}/{shard[1]}: {counts}", flush=True)
    return counts


def _resubmit(*args, **kwargs):
    """submitit's checkpoint hook: on preemption or timeout, requeue the same call (the store resumes it)."""
    from submitit.helpers import DelayedSubmission

    return DelayedSubmission(run_chunk, *args, **kwargs)


run_chunk.__submitit_checkpoint__ = _resubmit


def environment() -> dict[str, str]:
    """The invtl environment a task needs: absolute cache, data and results roots, and `PASSED_ENV` when set."""
    env = {
        "INVTL_CACHE": str(paths.cache_root().resolve()),
        "INVTL_DATA_ROOT": str(paths.data_root().resolve()),
        "INVTL_RESULTS": str(paths.results_root().resolve()),
    }
    return env | {k: os.environ[k] for k in PASSED_ENV if os.environ.get(k)}


def default_logs(grid: Grid) -> Path:
    return paths.cache_root() / "submitit" / grid.profile / grid.experiment


def parse_time(text: str) -> int:
    """A SLURM time limit in minutes, from 'MINUTES', 'MINUTES:SECONDS', 'HOURS:MINUTES:SECONDS' or
    'DAYS-HOURS[:MINUTES[:SECONDS]]'."""
    days, dash, clock = text.strip().rpartition("-")
    parts = clock.split(":")
    if (dash and not days.isdigit()) or not 1 <= len(parts) <= 3 or not all(p.isdigit() for p in parts):
        raise ValueError(f"malformed --time {text!r}; valid: MINUTES, H:MM:SS or D-HH:MM:SS")
    values = [int(p) for p in parts]
    if dash:  # D-H, D-H:M, D-H:M:S
        h, m, sec = [*values, 0, 0][:3]
    else:  # M, M:S, H:M:S
        h, m, sec = [0, 0, *values][-3:] if len(values) == 3 else [0, values[0], values[1] if len(values) > 1 else 0]
    minutes = int(days or 0) * 1440 + h * 60 + m + math.ceil(sec / 60)
    if minutes < 1:
        raise ValueError(f"--time {text!r} is under a minute; valid: at least 1 minute")
    return minutes


def parse_extra(items: list[str]) -> dict[str, str]:
    """`--slurm-extra KEY=VALUE ...` -> {KEY: VALUE} (sbatch options without their dashes)."""
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip("-"):
            raise ValueError(f"malformed --slurm-extra {item!r}; valid: KEY=VALUE, e.g. qos=high or account=lab")
        out[key.strip("-")] = value
    return out


def pending_chunks(grid: Grid, max_minutes: float) -> tuple[list[int], int, float]:
    """(chunks K of N that still hold a job without a usable result, N, minutes of the longest chunk)."""
    exp = experiments.experiment(grid.experiment)
    p = runner.plan(exp, grid.profile, grid.seeds, grid.only, max_minutes, grid.legacy)
    store = store_mod.Store(grid.results) if grid.results else store_mod.Store()
    todo = []
    for k in range(1, p["shards"] + 1):
        jobs = runner.select_jobs(exp, grid.profile, grid.seeds, grid.only, (k, p["shards"]), grid.legacy, grid.source)
        if any(not _stored(store, grid, job.config, exp.result_keys) for job in jobs):
            todo.append(k)
    return todo, p["shards"], max(p["shard_minutes"], default=0.0)


def _stored(store: store_mod.Store, grid: Grid, config: dict, required: tuple[str, ...]) -> bool:
    path = store.path(grid.profile, grid.experiment, config)
    return path.exists() and store_mod.parse(path, config, required)[1] is None


def submit(
    grid: Grid, executor: str, resources: Resources, max_minutes: float = 8.0, logs: str | None = None
) -> tuple[list, list[int], int, Path]:
    """Submit the chunks of `grid` that hold missing results as one array; returns (jobs, chunks, N, folder).
    No jobs when every result is stored."""
    if executor not in EXECUTORS[1:]:
        raise ValueError(f"unknown executor {executor!r}; valid: {', '.join(EXECUTORS)}")
    if executor == "slurm" and shutil.which("sbatch") is None:
        raise ValueError("--executor slurm needs SLURM's sbatch on PATH; valid here: local, submitit-local")
    try:
        import submitit
    except ImportError:
        raise ValueError("--executor slurm and submitit-local need submitit: pip install 'invtl[cluster]'") from None
    chunks, n, longest = pending_chunks(grid, max_minutes)
    folder = Path(logs).expanduser() if logs else default_logs(grid)
    if not chunks:
        return [], chunks, n, folder
    env = environment()
    runner.preflight(env["INVTL_RESULTS"] if grid.results is None else grid.results)
    paths.writable_dir(folder, "log directory")
    ex = submitit.AutoExecutor(folder=folder, cluster="slurm" if executor == "slurm" else "local")
    ex.update_parameters(
        name=f"invtl-{grid.experiment}-{grid.profile}",
        timeout_min=resources.time_min or math.ceil(2 * longest) + 10,
        **{
            k: v
            for k, v in (("cpus_per_task", resources.cpus_per_task), ("gpus_per_node", resources.gpus_per_node))
            if v
        },
    )
    slurm = {
        "slurm_partition": resources.partition,
        "slurm_mem": resources.mem,
        "slurm_array_parallelism": resources.array_parallelism,
        "slurm_additional_parameters": resources.extra or None,
    }
    if executor == "slurm" and any(v is not None for v in slurm.values()):
        ex.update_parameters(**{k: v for k, v in slurm.items() if v is not None})
    results = str(Path(grid.results).expanduser().resolve()) if grid.results else env["INVTL_RESULTS"]
    with ex.batch():
        jobs = [
            ex.submit(
                run_chunk,
                grid.experiment,
                grid.profile,
                grid.seeds,
                grid.only,
                (k, n),
                results,
                grid.device,
                grid.precision,
                tuple(grid.legacy),
                grid.source,
                env,
            )
            for k in chunks
        ]
    record = {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "executor": executor,
        "job_ids": [j.job_id for j in jobs],
        "chunks": chunks,
        "of": n,
        "results": results,
        "grid": asdict(grid),
    }
    with open(folder / SUBMISSIONS, "a") as f:
        f.write(json.dumps(record) + "\n")
    return jobs, chunks, n, folder


def squeue_active(job_ids: list[str]) -> set[str] | None:
    """The ids (array tasks expanded) of these jobs that SLURM still holds (pending, running, requeued);
    None when squeue cannot be asked."""
    arrays = sorted({j.split("_")[0] for j in job_ids})
    try:
        out = subprocess.run(
            ["squeue", "-h", "-r", "-o", "%i", "-j", ",".join(arrays)], capture_output=True, text=True, timeout=30
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:  # squeue exits 1 for ids it no longer knows: none active
        return set() if "Invalid job id" in out.stderr else None
    return set(out.stdout.split())


def wait(jobs: list, chunks: list[int], n: int, executor: str, poll_s: float = POLL_S) -> tuple[dict, list[str]]:
    """Wait for every task (a progress bar over finished ones); returns (summed counts, failures), each failure
    naming its chunk, job id, cause and log file. Never waits on submitit's job state (no sacct needed)."""
    pending = dict(zip(chunks, jobs))
    finished: dict[int, object] = {}
    with tqdm(total=len(jobs), desc="tasks finished", unit="task", file=sys.stderr) as bar:
        while pending:
            active = squeue_active([j.job_id for j in pending.values()]) if executor == "slurm" else None
            for k, job in list(pending.items()):
                gone = active is not None and job.job_id not in active
                if job.paths.result_pickle.exists() or gone or (executor != "slurm" and job.done()):
                    finished[k] = pending.pop(k)
                    bar.update()
            if pending:
                time.sleep(poll_s)
    counts: dict[str, int] = {}
    failures = []
    for k, job in finished.items():
        where = f"chunk {k}/{n} (job {job.job_id}); log {job.paths.stderr}"
        if not job.paths.result_pickle.exists():
            failures.append(f"{where}: ended without a result (cancelled, killed, or out of time or memory)")
            continue
        error = job.exception()
        if error is not None:
            trace = [line for line in str(error).splitlines() if line.strip() and not line.startswith("-")]
            cause = next((line for line in reversed(trace) if not line.startswith(("You can", "or at", "  -"))), "")
            failures.append(f"{where}: {cause.strip()}")
            continue
        for key, v in job.result().items():
            counts[key] = counts.get(key, 0) + v
    return counts, failures
