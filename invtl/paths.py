"""Where invtl reads and writes, each defined once; an environment variable overrides each.

- cache (`INVTL_CACHE`, default ~/.cache/invtl): preprocessed base images, decoded CIFAR,
  checkpoints. Outside git, safe to delete.
- data (`INVTL_DATA_ROOT`, default <cache>/data): CIFAR-10 / CIFAR-100 copies.
- a throw-away cache (`temporary_cache`) for work that must not reuse what is cached.
- results (`INVTL_RESULTS`, default `results/` of the checkout the command runs in).

Also how it writes: `atomic_write` (whole files or nothing, readable as the umask allows), and the
checks run before any compute (`writable_dir`, `readable_dir`).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parents[1]
"""The directory the `invtl` package was imported from (its checkout, for an editable install)."""


def cache_root() -> Path:
    return Path(os.environ.get("INVTL_CACHE") or Path.home() / ".cache" / "invtl").expanduser()


def data_root() -> Path:
    return Path(os.environ.get("INVTL_DATA_ROOT") or cache_root() / "data").expanduser()


@contextmanager
def temporary_cache() -> Iterator[Path]:
    """A throw-away directory TMP for the duration, with INVTL_CACHE set to TMP/cache and TORCHINDUCTOR_CACHE_DIR to
    TMP/inductor (nothing cached before is reused: no data, checkpoint or compiled kernel) and INVTL_DATA_ROOT kept
    where it was; the variables are restored after. Yields TMP."""
    saved = {k: os.environ.get(k) for k in ("INVTL_CACHE", "INVTL_DATA_ROOT", "TORCHINDUCTOR_CACHE_DIR")}
    data = str(data_root())
    with tempfile.TemporaryDirectory(prefix="invtl-") as tmp:
        os.environ.update(
            INVTL_CACHE=str(Path(tmp) / "cache"),
            INVTL_DATA_ROOT=data,
            TORCHINDUCTOR_CACHE_DIR=str(Path(tmp) / "inductor"),
        )
        try:
            yield Path(tmp)
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v


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


class Unusable(ValueError):
    """A location invtl must read or write cannot be used (the message names it and says why)."""


def file_mode() -> int:
    """The mode a new file gets under the current umask (0o644 under 022, 0o664 under 002)."""
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask


def atomic_write(path: str | os.PathLike, data: bytes) -> None:
    """Write to a temporary file in the same directory, fsync it, give it the umask's mode, then
    os.replace it into place: readers see the old file or the whole new one, never a part."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fchmod(f.fileno(), file_mode())  # mkstemp creates 0600: unreadable to a sharing group
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _why(e: OSError) -> str:
    return e.strerror or type(e).__name__


def writable_dir(path: str | os.PathLike, what: str) -> Path:
    """`path`, created if missing, after proving a file can be created in it; else `Unusable` naming it."""
    path = Path(path).expanduser()
    try:
        path.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise Unusable(f"{what} {path} is not a directory") from None
    except OSError as e:
        raise Unusable(f"{what} {path} cannot be created ({_why(e)})") from None
    try:
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as e:
        raise Unusable(f"{what} {path} is not writable ({_why(e)})") from None
    return path


def readable_dir(path: str | os.PathLike, what: str) -> Path:
    """`path` after proving it is a directory whose entries can be listed; else `Unusable` naming it."""
    path = Path(path).expanduser()
    if not path.is_dir():
        raise Unusable(f"{what} {path} is not a directory" if path.exists() else f"{what} {path} does not exist")
    try:
        os.listdir(path)
    except OSError as e:
        raise Unusable(f"{what} {path} is not readable ({_why(e)})") from None
    return path
