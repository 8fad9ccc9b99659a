"""Why C1-C4 do not hold, when they do not: does the break sit in panel points outside the paper's regime?

A point of a panel is in the paper's regime when it pretrains on at least the paper's smallest PT set and every
one of its pretrained models (same and disjoint transformations, mean over seeds) solves its own pretraining task
to `FIT` held-out accuracy. The claim's check is run again on the points in that regime (a range needs two of a
panel's points, a comparison at each point one): a part that broke and holds there reads as scale, a part that
still breaks there as a non-reproduction at this scale, a part that cannot be tested there leaves the reading open.

The regime concerns pretraining only: the transfer side (probe and fine-tuning sizes) is scaled with the target set
by the profile's design. The FT-samples panel (C3) has one pretrained model per transformation set for all its
points, so C3 reads as a non-reproduction (those models in the regime) or untested (one of them outside), never
scale.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from invtl.experiments.tvo.analysis import DIFF_PANELS, PANEL_LABEL, PANELS, TSETS, panel_order, value_label
from invtl.experiments.tvo.checks import EVIDENCE

PAPER_MIN_PT = 1_000
"""The paper's smallest pretraining set (its PT-samples panel spans 1 000 ... 500 000): smaller sets are data the
paper never trained on."""
FIT = 0.9
"""Held-out accuracy on its own pretraining task that a pretrained model must reach to count as the paper's kind
of model. The paper reports no held-out pretraining accuracies for E-1 (its E-1b figure shows 0.86-1.00 "training
(PT-task) accuracy"), so the bar is ours, a round number set before the complete tvo grid was in (its
same-transform probes reach 0.95-0.98 on new classes, which takes features that solve the pretraining task); the
evidence lists every point's accuracy, so a reader can move it."""
CLAIM_PANELS = {"C1": DIFF_PANELS, "C2": DIFF_PANELS, "C3": ("ft_samples",), "C4": PANELS}
"""The panels each claim's check reads."""


def regime(
    records: list[dict], fit: float = FIT, min_pt: int = PAPER_MIN_PT, accuracy: str = "test_accuracy"
) -> dict[tuple[str, object], tuple[dict[str, float], str | None]]:
    """(panel, value) -> ({transform set: mean pretraining `accuracy` over seeds (held-out unless told)}, why the
    point is outside the paper's regime, or None when it is inside): it pretrains on fewer than `min_pt` images, or
    a model of it stays under `fit`."""
    acc: dict[tuple, dict[str, list[float]]] = {}
    size: dict[tuple, int] = {}
    for r in records:
        c = r["config"]
        key = (c["panel"], c["value"])
        acc.setdefault(key, {}).setdefault(c["transform_set"], []).append(r["result"]["training"][accuracy])
        n = r["result"].get("n_pt") or (c["value"] if c["panel"] == "pt_samples" else c.get("n_pt"))
        if n is not None:
            size[key] = min(n, size.get(key, n))
    out = {}
    for key, per_set in acc.items():
        means = {t: float(np.mean(v)) for t, v in per_set.items()}
        why = None
        if size.get(key, min_pt) < min_pt:
            why = f"{size[key]:,} PT samples, fewer than the paper's smallest set ({min_pt:,})"
        elif min(means.values()) < fit:
            why = f"a pretrained model under {fit:g} on its own task"
        out[key] = means, why
    return out


def in_regime(records: list[dict], points: dict) -> list[dict]:
    """The records of the panel points that `points` (`regime` of these records) puts inside the paper's regime."""
    return [r for r in records if points[(r["config"]["panel"], r["config"]["value"])][1] is None]


def point_lines(points: dict, panels: tuple[str, ...], label: str = "", split: str = "held-out") -> list[str]:
    """One evidence line per point of `panels` (its models' pretraining accuracies, whether it is in the regime),
    then one line counting each panel's points in the regime."""
    lines = []
    for panel in panels:
        for value in panel_order(panel, [v for p, v in points if p == panel]):
            means, why = points[(panel, value)]
            accs = ", ".join(f"{t} {means[t]:.3f}" for t in TSETS if t in means)
            lines.append(
                f"- {label}{PANEL_LABEL[panel]} {value_label(panel, value)}: pretraining {split} accuracy {accs}; "
                + ("in the paper's regime" if why is None else f"outside ({why})")
            )
    kept = {p: sum(why is None for (q, _), (_, why) in points.items() if q == p) for p in panels}
    total = {p: sum(q == p for q, _ in points) for p in panels}
    lines.append(
        f"- Points in the paper's regime{f' ({label.strip()})' if label else ''}: "
        + ", ".join(f"{PANEL_LABEL[p]} {kept[p]} of {total[p]}" for p in panels)
    )
    return lines


def reread(broken: list[str], again: dict[str, bool]) -> tuple[str, str]:
    """(line, reading) once the check ran again on the points in the regime (`again`: its tested parts): "scale"
    when every broken part holds there, "non-reproduction" when one still fails, "untested" when one is not tested."""
    verdicts = {p: again.get(p) for p in broken}
    line = "- Broken parts, checked again on the points in the paper's regime: " + "; ".join(
        f"{p} {'holds' if ok else 'not testable' if ok is None else 'still fails'}" for p, ok in verdicts.items()
    )
    if any(ok is False for ok in verdicts.values()):
        return line, "non-reproduction"
    return line, "untested" if None in verdicts.values() else "scale"


def scale_evidence_of(cid: str) -> Callable[[list[dict]], tuple[str, str]]:
    """scale_evidence(records) -> (markdown, reading) for claim `cid` (C1-C4): "scale" when every part that broke
    holds on the points in the paper's regime, "non-reproduction" when one still breaks there, "untested" when one
    cannot be tested there, "open" when nothing broke."""
    evidence = EVIDENCE[cid]

    def scale_evidence(records: list[dict]) -> tuple[str, str]:
        broken = [p for p, ok in evidence(records).tested.items() if not ok]
        if not broken:
            return "", "open"
        points = regime(records)
        line, reading = reread(broken, evidence(in_regime(records, points)).tested)
        lines = point_lines(points, CLAIM_PANELS[cid])
        return "\n".join([*lines, line]), reading

    return scale_evidence
