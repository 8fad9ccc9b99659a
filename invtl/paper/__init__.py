"""The paper's reference numbers and headline claims, as data.

Transcribed verbatim from `shared/reference/paper-values.md` (the project's reference file for
Speicher, Nanda & Gummadi, TMLR 2024, arXiv:2407.04325); `tests/test_book.py` checks every table
cell against that file when it is present. Cells are kept exactly as written there, as strings
("0.953", "≈1.00 ¹", "hidden (legend)", "**0.53±0.05**"); `number(cell)` reads the value.

Provenance of each table (`Table.provenance`) and of single cells:

- [NB]: exact number printed in the evaluation notebooks of the authors' code release;
- [FIG]: value read off the published figure, uncertainty ±0.01 (the 2-decimal labels printed
  inside the "performance differences" panels are figure text and exact to 2 decimals);
- "≈" in a cell: the marker is hidden and the value was estimated from the connecting line
  (uncertainty larger than ±0.01);
- "hidden" in a cell: not readable at all.

The paper's accuracies are the original pipeline's "test" numbers: macro accuracy pooled over
train + val + test (bug B1 of book/protocol.md), with the other original behaviours (B2, B3, B5, B6,
O1, Q1–Q6). Unless noted: means over 10 seeds; invariance = ℓ2-distance ratio (lower = more
invariant). Results are named by experiment id E-0 … E-6, never by the paper's figure numbers,
which could not be verified.
"""

from __future__ import annotations

import re

from invtl.paper.claim_texts import CLAIMS
from invtl.paper.schema import ClaimText, Experiment, Note, Table
from invtl.paper.setups import EXPERIMENTS, NOTES
from invtl.paper.table_values import TABLES

__all__ = [
    "CLAIMS",
    "EXPERIMENTS",
    "NOTES",
    "PROVENANCE_TAGS",
    "SOURCE",
    "TABLES",
    "ClaimText",
    "Experiment",
    "Note",
    "Table",
    "approximate",
    "claims",
    "number",
    "tables",
]

SOURCE = "shared/reference/paper-values.md"
"""Where these values come from, relative to the directory that holds the repository."""

PROVENANCE_TAGS = {
    "[NB]": "exact number printed in the evaluation notebooks of the authors' code release",
    "[FIG]": "read off the published figure; uncertainty ±0.01 (printed 2-decimal labels are exact)",
    "≈": "marker hidden; estimated from the connecting line; uncertainty larger than ±0.01",
    "hidden": "not readable at all",
}


_NUMBER = re.compile(r"\d+(?:\.\d+)?|\.\d+")


def number(cell: str) -> float | None:
    """The value a cell states (its first number; the lower end of a range), or None when hidden/empty.

    "≈1.00 ¹" -> 1.0, "0.53±0.05" -> 0.53, ".07" -> 0.07, "≈0.99–1.00 ¹" -> 0.99, "hidden (legend)" -> None.
    """
    text = cell.replace("**", "").replace("¹", "").strip()
    if not text or text.startswith("hidden"):
        return None
    m = _NUMBER.search(text)
    return float(m.group()) if m else None


def approximate(cell: str) -> bool:
    """True when the cell is an estimate ("≈"), not a read or printed value."""
    return "≈" in cell


def tables(experiment: str) -> list[Table]:
    """The reference tables of one experiment id ("E-1" … "E-6"), in file order."""
    return [t for t in TABLES.values() if t.experiment == experiment]


def claims(experiment: str | None = None) -> list[ClaimText]:
    """The headline claims, all or those of one experiment id."""
    return [c for c in CLAIMS.values() if experiment is None or experiment in c.experiments]
