"""Results store and checkpoint cache.

A run is keyed by a hash of its full configuration; its result is one small JSON file
`<root>/<profile>/<experiment>/<key>.json` holding {"config", "result", "provenance"}. Files are
written atomically, with the mode the umask allows (`paths.atomic_write`); a corrupt or mismatching
file, or one whose result lacks what its experiment needs, is reported and treated as absent, so the
run is recomputed rather than its result used. Beside each result, `<key>.json.lock` is held by the
process computing it (`invtl.engine.locks`). Checkpoints live outside git under $INVTL_CACHE, each
with the key of the configuration that made it.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import platform
import subprocess
import warnings
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import torch

import invtl
from invtl import paths

_RECORD_KEYS = ("config", "result", "provenance")
RUNS = "runs"
"""The folder of a profile that holds run logs (`Store.save_run`), beside its experiments' folders."""


def _canonical(config: dict) -> str:
    return json.dumps(config, sort_keys=True)


def config_key(config: dict) -> str:
    """First 16 hex digits of sha256(json.dumps(config, sort_keys=True))."""
    return hashlib.sha256(_canonical(config).encode()).hexdigest()[:16]


@dataclass
class Store:
    """JSON results keyed by (profile, experiment, config hash)."""

    root: Path = field(default_factory=paths.results_root)

    def __post_init__(self) -> None:
        self.root = Path(self.root)

    def path(self, profile: str, experiment: str, config: dict) -> Path:
        return self.root / profile / experiment / f"{config_key(config)}.json"

    def load(self, profile: str, experiment: str, config: dict, required: tuple[str, ...] = ()) -> dict | None:
        """The stored record, or None if absent, corrupt, stored for a different config, or without the
        `required` keys in its result (the experiment's schema)."""
        path = self.path(profile, experiment, config)
        if not path.exists():
            return None
        return _read(path, expected_config=config, required=required)

    def lock_path(self, profile: str, experiment: str, config: dict) -> Path:
        """The lock file beside a result: held by the one process computing it (`invtl.engine.locks`)."""
        return self.path(profile, experiment, config).with_suffix(".json.lock")

    def save(self, profile: str, experiment: str, config: dict, result: dict, provenance: dict) -> Path:
        """Write the record atomically and return its path."""
        path = self.path(profile, experiment, config)
        record = {"config": config, "result": result, "provenance": provenance}
        paths.atomic_write(path, (json.dumps(record, indent=1, sort_keys=True) + "\n").encode())
        return path

    def save_run(self, profile: str, run: dict, path: Path | None = None) -> Path:
        """Write the log of one `invtl run` (what it computed, predicted and actual seconds) atomically to `path`,
        or to a new file under RESULTS/PROFILE/runs/ named by its start, experiment, shard and process (processes
        of a cluster never write the same file); returns the path."""
        if path is None:
            shard = run["shard"].replace("/", "of")
            path = (
                self.root
                / profile
                / RUNS
                / f"{run['start'].replace(':', '')}-{run['experiment']}-{shard}-{os.getpid()}.json"
            )
        paths.atomic_write(path, (json.dumps(run, indent=1, sort_keys=True) + "\n").encode())
        return path

    def runs(self, profile: str) -> list[dict]:
        """The logged runs of a profile in the order they started; unreadable logs are skipped with a warning."""
        out = []
        for path in sorted((self.root / profile / RUNS).glob("*.json")):
            try:
                out.append(json.loads(path.read_text()))
            except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
                warnings.warn(f"ignoring run log {path}: {_first_line(e)}", stacklevel=2)
        return sorted(out, key=lambda r: r.get("start", ""))

    def results(self, profile: str, experiment: str) -> list[dict]:
        """Every valid record of an experiment, sorted by path; corrupt ones are skipped with a warning."""
        records = (_read(p) for p in sorted((self.root / profile / experiment).glob("*.json")))
        return [r for r in records if r is not None]


def _first_line(e: BaseException) -> str:
    return f"{type(e).__name__}: {(str(e).splitlines() or [''])[0]}"


def _read(path: Path, expected_config: dict | None = None, required: tuple[str, ...] = ()) -> dict | None:
    """Parse and check a record; warn and return None if it is unusable."""
    record, problem = parse(path, expected_config, required)
    if problem is not None:
        warnings.warn(f"ignoring result file {path}: {problem}", stacklevel=3)
    return record


def parse(
    path: Path, expected_config: dict | None = None, required: tuple[str, ...] = ()
) -> tuple[dict | None, str | None]:
    """(record, None) for a usable record file, else (None, why it cannot be used as a result)."""
    try:
        record = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        problem = f"unreadable ({_first_line(e)})"
    else:
        if not isinstance(record, dict) or any(k not in record for k in _RECORD_KEYS):
            problem = f"not a record with keys {_RECORD_KEYS}"
        elif not isinstance(record["config"], dict) or config_key(record["config"]) != path.stem:
            problem = "stored config does not hash to the file name"
        elif expected_config is not None and _canonical(record["config"]) != _canonical(expected_config):
            problem = "stored config differs from the requested one"
        elif not isinstance(record["result"], dict) or any(k not in record["result"] for k in required):
            problem = f"its result lacks {', '.join(k for k in required if k not in (record['result'] or {}))}"
        else:
            return record, None
    return None, problem


def git_state() -> tuple[str, bool]:
    """(commit, dirty) of the code that runs: the checkout the package was imported from. "unknown"
    outside a git checkout; dirty when tracked files differ from the commit."""

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=paths.PACKAGE_ROOT, capture_output=True, text=True, check=True, timeout=30
        ).stdout

    try:
        commit = git("rev-parse", "HEAD").strip()
        dirty = bool(git("status", "--porcelain", "--untracked-files=no").strip())
    except (OSError, subprocess.SubprocessError):
        return "unknown", False
    return commit, dirty


def device_name(device: str) -> str:
    """The machine a record was computed on: the GPU's name, or the CPU's architecture and core count."""
    dev = torch.device(device)
    if dev.type == "cuda":
        return torch.cuda.get_device_name(dev)
    return f"{platform.processor() or platform.machine() or 'cpu'} ({os.cpu_count()} cores)"


def provenance(
    profile: str, config: dict, wall_time_s: float, device: str, precision: str, phases: dict[str, float] | None = None
) -> dict:
    """What produced a result: profile, seed, base-image source, code (commit and dirty flag), stack,
    hardware, precision, time and where it went. No hostname."""
    commit, dirty = git_state()
    return {
        "profile": profile,
        "seed": config.get("seed"),
        "source": config.get("source", "cifar" if "dataset" in config else None),
        "invtl_version": invtl.__version__,
        "git_commit": commit,
        "dirty": dirty,
        "torch_version": torch.__version__,
        "python_version": platform.python_version(),
        "device": device_name(device),
        "precision": precision,
        "wall_time_s": round(wall_time_s, 3),
        "phases_s": phases or {},
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


def checkpoint_dir() -> Path:
    """<cache>/checkpoints (see `invtl.paths`), outside git."""
    return paths.cache_root() / "checkpoints"


def save_checkpoint(path: Path, state_dict: dict, key: str) -> None:
    """torch.save the state dict atomically, with the config key of the job that made it."""
    buffer = io.BytesIO()
    torch.save({"config_key": key, "model": state_dict}, buffer)
    paths.atomic_write(Path(path), buffer.getvalue())


def load_checkpoint(path: Path, key: str) -> dict | None:
    """The state dict (weights_only) stored for config key `key`, or None if absent; None and a warning
    naming the file if it cannot be loaded or was made for another configuration."""
    path = Path(path)
    if not path.exists():
        return None
    try:
        stored = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # torch raises many types on corrupt archives
        warnings.warn(f"ignoring checkpoint {path}: {_first_line(e)}; retraining", stacklevel=2)
        return None
    if not isinstance(stored, dict) or stored.get("config_key") != key or not isinstance(stored.get("model"), dict):
        warnings.warn(
            f"ignoring checkpoint {path}: made for another configuration (key "
            f"{stored.get('config_key') if isinstance(stored, dict) else None!r}, expected {key!r}); retraining",
            stacklevel=2,
        )
        return None
    return stored["model"]


def changed_since(commit: str, paths_: tuple[str, ...]) -> list[str] | None:
    """The files under `paths_` (git pathspecs relative to the package's checkout) that differ between `commit`
    and HEAD; None when that cannot be told (no git, unknown commit)."""
    try:
        proc = subprocess.run(
            ["git", "diff", "--name-only", commit, "HEAD", "--", *paths_],
            cwd=paths.PACKAGE_ROOT,
            capture_output=True,
            text=True,
            timeout=30,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return proc.stdout.split() if proc.returncode == 0 else None


def audit(
    store: Store, profile: str, experiment: str, configs: list[dict], required: tuple[str, ...], code: tuple[str, ...]
) -> dict[str, list[str]]:
    """What `invtl store check` reports for one experiment: "missing" (grid jobs without a usable record),
    "corrupt" (files that cannot be used, and why), "orphaned" (records of configurations no longer in the
    grid: older settings or semantics), "dirty" (computed from uncommitted code) and "changed": one entry per commit
    whose code under `code` changed since, with its records and the files (kept: the configuration is the same;
    `git diff COMMIT HEAD -- FILES` shows whether the change can move a number)."""
    wanted = {config_key(c): c for c in configs}
    out: dict[str, list[str]] = {k: [] for k in ("missing", "corrupt", "orphaned", "dirty", "changed")}
    seen, by_commit = set(), {}
    for path in sorted((store.root / profile / experiment).glob("*.json")):
        orphan = path.stem not in wanted
        record, problem = parse(path, wanted.get(path.stem), () if orphan else required)
        if problem is not None:
            out["corrupt"].append(f"{path}: {problem}")
            continue
        if orphan:
            out["orphaned"].append(str(path))
            continue
        seen.add(path.stem)
        prov = record["provenance"]
        commit = str(prov.get("git_commit", "unknown")).removesuffix("-dirty")
        if prov.get("dirty") or str(prov.get("git_commit", "")).endswith("-dirty"):
            out["dirty"].append(f"{path} ({commit[:12]})")
        by_commit.setdefault(commit, []).append(path.stem)
    for commit, stems in by_commit.items():
        if files := changed_since(commit, code):
            out["changed"].append(f"{len(stems)} records from {commit[:12]}; changed since: {', '.join(files)}")
    out["missing"] = [f"{experiment} {json.dumps(wanted[k], sort_keys=True)[:160]}" for k in wanted if k not in seen]
    return out
