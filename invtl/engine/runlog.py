"""The log of one `invtl run` (`RunLog`): what it computed, the plan's seconds for that work, wall and CPU seconds,
written under RESULTS/PROFILE/runs/ by `Store.save_run` and read by the performance chapter's chunk table."""

from __future__ import annotations

import time
import warnings
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from invtl.engine import store as store_mod
from invtl.profiles import DEVICE_KIND

if TYPE_CHECKING:
    from invtl.engine.runner import Context, Experiment, Job


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class RunLog:
    """The log of one `run` that computes something (`Store.save_run`), rewritten after every computed job so that
    a killed run keeps what it did: what ran, where, the plan's seconds for the work it did (a job that loaded its
    pretrained model from a checkpoint is not charged the pretraining), the wall seconds and the process's CPU
    seconds."""

    def __init__(self, store: store_mod.Store, exp: Experiment, profile: str, what: dict, jobs: int, ctx: Context):
        self.store, self.exp, self.kind = store, exp, DEVICE_KIND[profile]
        self.t0, self.cpu0 = time.perf_counter(), time.process_time()
        commit, dirty = store_mod.git_state()
        self.entry = {
            "experiment": exp.name,
            "profile": profile,
            **what,
            "device": str(ctx.device),
            "precision": ctx.precision,
            "start": _now(),
            "jobs": jobs,
            "computed": 0,
            "missing": 0,  # jobs whose data is not on this machine
            "elsewhere": 0,  # jobs another process was computing or finished meanwhile
            "predicted_s": 0.0,
            "git_commit": commit,
            "dirty": dirty,
        }
        self.path: Path | None = None

    def not_computed(self, why: str) -> None:
        """Count a job this run did not compute: "missing" (its data is not here) or "elsewhere" (another process
        was computing it, or finished it meanwhile)."""
        self.entry[why] += 1

    def computed(self, job: Job, trained: bool) -> None:
        planned = sum(self.exp.planned(job.config, self.kind, trained).values())
        self.entry["computed"] += 1
        self.entry["predicted_s"] = round(self.entry["predicted_s"] + planned, 1)
        self.entry["end"] = _now()
        self.entry["actual_s"] = round(time.perf_counter() - self.t0, 1)
        self.entry["cpu_s"] = round(time.process_time() - self.cpu0, 1)  # all threads; none while stopped
        self.write()

    def write(self, interrupted: bool = False) -> None:
        """Save the log; its times are as of the last computed job (an interrupted job's time is not in them)."""
        if not self.entry["computed"]:
            return
        entry = {**self.entry, "interrupted": True} if interrupted else self.entry
        try:
            self.path = self.store.save_run(entry["profile"], entry, self.path)
        except OSError as e:
            warnings.warn(f"could not write the run log under {self.store.root}: {e}", stacklevel=2)
