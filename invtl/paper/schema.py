"""The shapes of the paper's reference data: experiments, tables, text notes and claims."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Experiment:
    id: str
    title: str
    setup: str
    provenance: str


@dataclass(frozen=True)
class Table:
    id: str
    experiment: str
    title: str
    provenance: str
    source_line: int
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    notes: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class Note:
    """A result the reference file gives as text, not as a table."""

    id: str
    experiment: str
    title: str
    provenance: str
    bullets: tuple[str, ...]


@dataclass(frozen=True)
class ClaimText:
    id: str
    title: str
    experiments: tuple[str, ...]
    bullets: tuple[str, ...]
    paper: str
    """One-line summary of the paper's numbers for the claim (for tables and `invtl claims`)."""
