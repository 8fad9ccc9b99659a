"""Verdicts on the paper's claims, no stronger than the evidence.

- "holds": every part of the claim ran, on models that learned, and its statement is true of our seed means;
- "partial": true of every part that ran on models that learned, but parts are missing (panels, variants,
  groups, architectures, datasets, seeds: named) or rest on models that did not learn (named);
- "fails": a part that ran on models that learned contradicts the statement;
- "untestable": parts ran, but every compared model failed to learn (named);
- "not run": nothing of the claim is in the store.

A model "learned" when its held-out accuracy on its own pretraining task reaches `learned_bar`: twice
chance, or halfway from chance to perfect for binary tasks (where twice chance is 1.0).
"""

from __future__ import annotations

from dataclasses import dataclass, field

VERDICTS = ("holds", "partial", "fails", "untestable", "not run")


def learned_bar(num_classes: int) -> float:
    """The held-out accuracy a pretrained model must reach to count as having learned its task."""
    chance = 1 / num_classes
    return min(2 * chance, (1 + chance) / 2)


@dataclass
class Evidence:
    """What a check found: its statement's parts and whether each holds, and what it could not test."""

    tested: dict[str, bool] = field(default_factory=dict)  # part -> the statement holds for it
    missing: list[str] = field(default_factory=list)  # parts with no (complete) results
    untestable: list[str] = field(default_factory=list)  # models under the learned bar
    lines: list[str] = field(default_factory=list)  # what we measured, for "ours"
    seeds: list[int] = field(default_factory=list)

    def test(self, part: str, ok: bool, line: str | None = None) -> bool:
        self.tested[part] = bool(ok) and self.tested.get(part, True)
        if line:
            self.lines.append(line)
        return bool(ok)

    @property
    def verdict(self) -> str:
        if not all(self.tested.values()):
            return "fails"
        if not self.tested:
            return "untestable" if self.untestable else "not run"
        return "partial" if self.missing or self.untestable else "holds"

    @property
    def ours(self) -> str:
        text = "; ".join(self.lines) or "nothing measured"
        failed = [p for p, ok in self.tested.items() if not ok]
        if failed:
            text += f". Fails: {', '.join(failed)}"
        if self.missing:
            text += f". Not run: {', '.join(dict.fromkeys(self.missing))}"
        if self.untestable:
            text += f". Did not learn (under the bar of twice chance): {', '.join(dict.fromkeys(self.untestable))}"
        if self.seeds:
            text += f" [seeds {', '.join(map(str, sorted(set(self.seeds))))}]"
        return text

    def result(self) -> tuple[str, str]:
        return self.ours, self.verdict


def missing_seeds(expected: list[int] | None, complete: list[int], what: str) -> list[str]:
    """The expected seeds that are not complete, as one missing part ("<what>: seeds 1, 2")."""
    if expected is None:
        return []
    gone = [s for s in expected if s not in complete]
    return [f"{what}: seed{'s' if len(gone) > 1 else ''} {', '.join(map(str, gone))}"] if gone else []
