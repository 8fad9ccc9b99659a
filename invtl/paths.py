"""Where invtl reads and writes, each defined once; an environment variable overrides each.

- cache (`INVTL_CACHE`, default ~/.cache/invtl): preprocessed base images, decoded CIFAR,
  checkpoints. Outside git, safe to delete.
- data (`INVTL_DATA_ROOT`, default <cache>/data): CIFAR-10 / CIFAR-100 copies.
- results (`INVTL_RESULTS`, default `results/` of the checkout the command runs in).
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parents[1]
"""The directory the `invtl` package was imported from (its checkout, for an editable install)."""


def cache_root() -> Path:
    return Path(os.environ.get("INVTL_CACHE") or Path.home() / ".cache" / "invtl").expanduser()


def data_root() -> Path:
    return Path(os.environ.get("INVTL_DATA_ROOT") or cache_root() / "data").expanduser()


def checkout(start: str | os.PathLike | None = None) -> Path | None:
    """The invtl checkout (a directory with `_toc.yml` and `notebooks/`) that contains `start`
    (default: the current directory), or None."""
    here = Path(start or Path.cwd()).resolve()
    for d in (here, *here.parents):
        if (d / "_toc.yml").is_file() and (d / "notebooks").is_dir():
            return d
    return None


def results_root() -> Path:
    if env := os.environ.get("INVTL_RESULTS"):
        return Path(env).expanduser()
    return (checkout() or Path.cwd()) / "results"


class MissingData(FileNotFoundError):
    """An input a job needs (a dataset, a download) is not on this machine. The runner reports the
    job as not run, by name, and records nothing for it."""
