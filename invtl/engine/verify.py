"""Recompute stored records with this checkout's code and compare them number by number: the evidence that records
an older commit computed (`invtl store check` lists them as "changed") are still what this code computes.

Each recomputation runs in a fresh, temporary cache (no checkpoint, no cached data of the older code), with the
record's own precision, and compares every number of its result to the stored one."""

from __future__ import annotations

import json
import math
import time
import warnings
from datetime import datetime, timezone
from pathlib import Path

from invtl import paths
from invtl.engine import store as store_mod
from invtl.engine.runner import Context, Experiment, Job, resolve_device, select_jobs

FILE = "verify.json"  # RESULTS/PROFILE/verify.json: the saved checks, one per record (the latest)


def numbers(tree, prefix: str = "") -> dict[str, float]:
    """Every number in a nested result, by its path (e.g. "lp/rotate/0"); booleans and strings are left out."""
    if isinstance(tree, dict):
        return {k: v for key, sub in tree.items() for k, v in numbers(sub, f"{prefix}{key}/").items()}
    if isinstance(tree, list | tuple):
        return {k: v for i, sub in enumerate(tree) for k, v in numbers(sub, f"{prefix}{i}/").items()}
    if isinstance(tree, int | float) and not isinstance(tree, bool):
        return {prefix.rstrip("/"): float(tree)}
    return {}


def compare(stored: dict, fresh: dict) -> dict:
    """Number of values, how many differ, the largest absolute difference and where; keys present in only one
    of the two count as differing (with an infinite difference)."""
    a, b = numbers(stored), numbers(fresh)
    diffs = {}
    for key in a.keys() | b.keys():
        x, y = a.get(key), b.get(key)
        same = x is not None and y is not None and (x == y or (math.isnan(x) and math.isnan(y)))
        if not same:
            diffs[key] = abs(x - y) if x is not None and y is not None else math.inf
    worst = max(diffs, key=diffs.get, default=None)
    return {"values": len(a), "differ": len(diffs), "max_abs_diff": diffs.get(worst, 0.0), "where": worst}


def pick(exp: Experiment, profile: str, store: store_mod.Store, count: int) -> list[tuple[Job, dict]]:
    """Up to `count` stored (job, record) pairs to recompute: the cheapest of each commit in turn (records of
    older commits are the ones in doubt), so a few picks cover every commit that computed results."""
    by_commit: dict[str, list[tuple[float, Job, dict]]] = {}
    for job in select_jobs(exp, profile, None, None, (1, 1)):
        record = store.load(profile, exp.name, job.config, exp.result_keys)
        if record is not None:
            commit = str(record["provenance"].get("git_commit", "unknown"))
            by_commit.setdefault(commit, []).append((exp.cost(job.config), job, record))
    queues = [sorted(group, key=lambda item: item[0]) for group in by_commit.values()]
    out = []
    while len(out) < count and any(queues):
        for queue in queues:
            if queue and len(out) < count:
                out.append(queue.pop(0)[1:])
    return out


def verify(
    exp: Experiment, profile: str, store: store_mod.Store, count: int = 1, device: str = "auto", progress: bool = True
) -> list[dict]:
    """Recompute up to `count` stored records of `exp` (see `pick`) and compare each with the stored one."""
    dev = resolve_device(device)
    commit, dirty = store_mod.git_state()
    out = []
    for job, record in pick(exp, profile, store, count):
        prov = record["provenance"]
        ctx = Context(dev, prov.get("precision", "fp32"), progress=progress)
        start = time.perf_counter()
        with paths.temporary_cache():
            fresh = job.run(job.config, ctx)
        out.append(
            {
                "experiment": exp.name,
                "record": store.path(profile, exp.name, job.config).name,
                "commit": str(prov.get("git_commit", "unknown"))[:12],
                "stored_on": f"{prov.get('device', '?')}, {prov.get('precision', '?')}",
                "recomputed_on": f"{store_mod.device_name(str(dev))}, {ctx.precision}",
                "recomputed_by": commit[:12] + ("-dirty" if dirty else ""),
                "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                "wall_time_s": round(time.perf_counter() - start, 1),
                **compare(record["result"], fresh),
            }
        )
    return out


def save(store: store_mod.Store, profile: str, checked: list[dict]) -> Path:
    """Merge `checked` into RESULTS/PROFILE/verify.json (atomically; a record checked again replaces its entry)."""
    path = Path(store.root) / profile / FILE
    entries = {(c["experiment"], c["record"]): c for c in [*saved(store, profile), *checked]}
    paths.atomic_write(path, (json.dumps(list(entries.values()), indent=1) + "\n").encode())
    return path


def saved(store: store_mod.Store, profile: str) -> list[dict]:
    """The saved checks of a profile; [] when none, with a warning when the file cannot be read."""
    path = Path(store.root) / profile / FILE
    if not path.exists():
        return []
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as e:
        warnings.warn(f"ignoring {path}: {e}", stacklevel=2)
        return []
