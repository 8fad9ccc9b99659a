"""`invtl status`: where each experiment's grid stands for one profile.

Per experiment: done / total jobs (usable records in the store), corrupt records, jobs running now (their
lock is held by a process, on any machine sharing the results directory), jobs whose data is not on this
machine (CIFAR jobs without their dataset under the data root: `run` skips them), and of its latest submitit
submission (from the default log folder, `executors.default_logs`): tasks SLURM still holds (from `squeue`)
and tasks that failed, each with its log file. The time left is the plan's estimate (`runner.plan`'s rates
for the profile's device) of the jobs not done that can run here, a pretrained model shared by several of them
counted once.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from invtl import experiments
from invtl.engine import locks, runner
from invtl.engine import store as store_mod
from invtl.orchestration import executors
from invtl.profiles import DEVICE_KIND
from invtl.t2d import cifar


def experiment_status(name: str, profile: str, store: store_mod.Store) -> dict:
    """done, total, corrupt, running, no_data, minutes_left and (after a submission) slurm of one experiment."""
    exp = experiments.experiment(name)
    kind = DEVICE_KIND[profile]
    jobs = runner.select_jobs(exp, profile, None, None, (1, 1))
    done, corrupt, running, left, no_data = 0, [], [], [], 0
    here = {dataset: cifar.available(dataset) for dataset in cifar.NUM_CLASSES}
    for job in jobs:
        path = store.path(profile, name, job.config)
        if path.exists():
            problem = store_mod.parse(path, job.config, exp.result_keys)[1]
            if problem is None:
                done += 1
                continue
            corrupt.append(f"{path}: {problem}")
        if not here.get(job.config.get("dataset"), True):
            no_data += 1
            continue
        if locks.is_held(store.lock_path(profile, name, job.config)):
            running.append(str(path))
        left.append(job)
    out = {
        "done": done,
        "total": len(jobs),
        "corrupt": corrupt,
        "running": running,
        "no_data": no_data,
        "minutes_left": round(runner.estimate(exp, left, kind) / 60, 1),
        "device": kind,
    }
    submission = latest_submission(executors.default_logs(executors.Grid(name, profile)), store.root)
    if submission is not None:
        out["submission"] = submission
    return out


def latest_submission(folder: Path, results: Path) -> dict | None:
    """The last submission into `results` recorded in `folder`: its job ids, the tasks still queued or
    running, and the failed ones with their log files; None if there is none."""
    path = folder / executors.SUBMISSIONS
    if not path.is_file():
        return None
    records = []
    for line in path.read_text().splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    records = [r for r in records if Path(r.get("results", "")).resolve() == results.resolve()]
    if not records:
        return None
    record = records[-1]
    from submitit.core.utils import JobPaths, pickle_load

    ids = record["job_ids"]
    active = executors.squeue_active(ids) if record["executor"] == "slurm" else None
    queued, failed = [], []
    for job_id, k in zip(ids, record["chunks"]):
        job_paths = JobPaths(folder, job_id=job_id, task_id=0)
        where = f"chunk {k}/{record['of']} (job {job_id}); log {job_paths.stderr}"
        if job_paths.result_pickle.exists():
            outcome, value = pickle_load(job_paths.result_pickle)  # submitit's own record of the task
            if outcome == "error":
                lines = [x for x in str(value).splitlines() if x.strip()]
                failed.append(f"{where}: {lines[-1].strip() if lines else 'failed'}")
        elif _alive(job_id, record["executor"], active):
            queued.append(job_id)
        else:
            failed.append(f"{where}: ended without a result (cancelled, killed, or out of time or memory)")
    return {
        "executor": record["executor"],
        "date": record["date"],
        "job_ids": ids,
        "queued_or_running": queued,
        "failed": failed,
    }


def _alive(job_id: str, executor: str, active: set[str] | None) -> bool:
    if executor == "slurm":
        return active is None or job_id in active  # squeue unreachable: do not call it failed
    try:
        os.kill(int(job_id), 0)  # submitit-local: the job id is the controller's process id
    except (OSError, ValueError):
        return False
    return True


def status(profile: str, results: str | None = None, names: list[str] | None = None) -> dict[str, dict]:
    """experiment -> its status (see `experiment_status`), for every experiment or `names`."""
    store = store_mod.Store(results) if results else store_mod.Store()
    return {name: experiment_status(name, profile, store) for name in names or experiments.SPECS}


def format_status(report: dict[str, dict], profile: str) -> str:
    """One line per experiment, then what is running, queued or failed."""
    lines = []
    for name, s in report.items():
        sub = s.get("submission")
        extra = f", {len(sub['queued_or_running'])} queued/running on {sub['executor']}" if sub else ""
        failed = len(sub["failed"]) if sub else 0
        lines.append(
            f"{name} [{profile}]: {s['done']}/{s['total']} done, {len(s['running'])} running{extra}, "
            f"{failed} failed, {len(s['corrupt'])} corrupt"
            + (f", {s['no_data']} without their data here" if s["no_data"] else "")
            + f"; ~{s['minutes_left']:.1f} min left on {s['device']}"
        )
        lines += [f"  running: {p}" for p in s["running"]]
        lines += [f"  corrupt: {p}" for p in s["corrupt"]]
        lines += [f"  failed: {f}" for f in (sub["failed"] if sub else [])]
    return "\n".join(lines)
