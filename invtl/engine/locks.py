"""One writer per result and per checkpoint, across processes and machines that share a file system.

A lock is a `filelock.FileLock` (an OS `flock` on a file beside what it guards): the kernel drops it when its
process dies, `kill -9` included, so a crashed run never leaves a stale lock behind. Lock files stay in place
(deleting one while another process waits on it would let two holders in). On file systems without `flock`
filelock falls back to a marker file, which a killed process does leave behind: see the README's
"Reliability".
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout


def try_lock(path: str | os.PathLike) -> FileLock | None:
    """The lock at `path`, taken now, or None when another process holds it (without waiting)."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(path))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        return None
    return lock


@contextmanager
def hold(path: str | os.PathLike) -> Iterator[None]:
    """Hold the lock at `path` for the block, waiting for another holder to finish first."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(path)):
        yield


def is_held(path: str | os.PathLike) -> bool:
    """Whether some process holds the lock at `path` now (an absent lock file: no)."""
    if not os.path.exists(path):
        return False
    lock = try_lock(path)
    if lock is None:
        return True
    lock.release()
    return False
