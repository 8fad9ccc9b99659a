"""The landing page's "What CPU scale shows": for every claim that does not hold, what the evidence says about why:
the scale of the run (models short of the paper's fit, missing data), or a real non-reproduction. Each reading
is decided by a stated rule on the stored records (the experiment's `scale_evidence`), never written by hand."""

from __future__ import annotations

from invtl.experiments.cifar_tvo import scale as cifar_tvo
from invtl.experiments.it import scale as it
from invtl.experiments.tm import analysis as tm
from invtl.experiments.tvo import scale as tvo

SCALE_EVIDENCE = {
    **{cid: tvo.scale_evidence_of(cid) for cid in ("C1", "C2", "C3", "C4")},
    "C5": cifar_tvo.scale_evidence,
    "C7": it.scale_evidence,
    "C8": tm.scale_evidence,
}
"""claim id -> scale_evidence(records) -> (markdown lines, reading), for claims whose failure has a testable cause."""

READINGS = {
    "scale": "**Reading: scale.** The parts that break the statement rest on models outside the paper's regime (short "
    "of the paper's fit of their own pretraining task, or trained on less data than the paper's smallest set); "
    "where the models are inside it, the statement's parts agree with the paper.",
    "non-reproduction": "**Reading: a real non-reproduction at this scale.** A part breaks the statement although its "
    "models fitted their pretraining task as well as the paper's.",
    "noise": "**Reading: seed noise.** Every part that breaks the statement has a 95 % interval over seeds that "
    "reaches what the statement allows: this many seeds cannot tell the measured value from the paper's.",
    "open": "**Reading: open.** No stated rule tells scale from a non-reproduction for the parts that broke.",
    "split": "**Reading: open.** The stated rule reads the paper's bar two ways (held-out or training-split "
    "accuracy), and the two readings disagree (above), so this run cannot say which.",
    "untested": "**Reading: open.** The stated rule cannot decide between scale and a non-reproduction here: a part "
    "that broke cannot be tested on the evidence the rule admits (above), so this run cannot say which.",
}


def _generic(verdict: str, ours: str) -> str:
    if verdict == "not run":
        return "**Not run.** No panel of this claim has a complete seed for this profile yet; what is stored is named above."
    if "Not run:" in ours and "Did not learn" not in ours and verdict == "partial":
        return "**Reading: missing parts.** What ran agrees with the paper; the parts named above did not run here."
    if verdict == "untestable" or "Did not learn" in ours:
        return "**Reading: scale.** Models named above stayed under twice chance on their own pretraining task."
    return READINGS["open"]


def discussion(profile: str, results: str | None, seeds=None) -> str:
    """Markdown: one paragraph per claim whose verdict is not "holds" (paper, ours, evidence, reading)."""
    from invtl import claims

    outcomes = [o for o in claims.evaluate(profile, results, seeds=seeds) if o.verdict != "holds"]
    if not outcomes:
        return f"Every claim holds on the {profile} results."
    parts = []
    for o in outcomes:
        text = f"**{o.id} ({o.verdict}).** *Paper:* {o.paper}\n\n*Ours ({profile}):* {o.ours}\n\n"
        name = claims.EXPERIMENT_OF[o.id][1]
        if o.id in SCALE_EVIDENCE and o.verdict == "fails":
            lines, reading = SCALE_EVIDENCE[o.id](claims.grid_records(name, profile, seeds, results))
            text += f"{lines}\n\n{READINGS[reading]}"
        else:
            text += _generic(o.verdict, o.ours)
        parts.append(text)
    return "\n\n".join(parts)
