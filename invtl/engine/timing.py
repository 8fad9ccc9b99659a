"""Where a job's wall time goes: named phases (generate, pretrain, features, probe, fine-tune, invariance,
io), timed exclusively (a phase inside another is not counted twice). The runner stores each job's phases
in its record's provenance; `invtl plan` and the profile benchmark read them."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

_TOTALS: dict[str, float] = {}
_CHILDREN: list[float] = []  # per open phase: the time spent in the phases nested in it


@contextmanager
def phase(name: str) -> Iterator[None]:
    start = time.perf_counter()
    _CHILDREN.append(0.0)
    try:
        yield
    finally:
        elapsed = time.perf_counter() - start
        nested = _CHILDREN.pop()
        _TOTALS[name] = _TOTALS.get(name, 0.0) + elapsed - nested
        if _CHILDREN:
            _CHILDREN[-1] += elapsed


def take() -> dict[str, float]:
    """The seconds per phase since the last call (rounded to ms), and start afresh."""
    out = {k: round(v, 3) for k, v in sorted(_TOTALS.items())}
    _TOTALS.clear()
    return out
