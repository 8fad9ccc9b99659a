"""The paper's headline claims C1-C8: which experiment decides each, and its verdict from the results store.

Each claim's statement and the paper's numbers are data (`invtl.paper.CLAIMS`); its check lives in the
`analysis` module of the experiment that decides it, tests exactly the paper's sentence (`TESTS`), and
returns what we measured ("ours", with the seeds it rests on) and a verdict (`invtl.verdict`: holds,
partial, fails, untestable, not run). `evaluate_on_paper` runs every check on the paper's own numbers,
where each must hold.

The same code backs `invtl claims` and the "paper vs reproduced" table that ends every result chapter.
Verdicts use the clean test-split accuracy (the `invtl` default, bug B1 fixed); the paper's numbers are
pooled over train+val+test, so small offsets are expected.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from invtl import paper
from invtl.engine import store as store_mod
from invtl.experiments.cifar_tvo import analysis as cifar_tvo
from invtl.experiments.ife import analysis as ife
from invtl.experiments.it import analysis as it
from invtl.experiments.tm import analysis as tm
from invtl.experiments.tvo import checks as tvo
from invtl.profiles import check_profile
from invtl.verdict import VERDICTS

EXPERIMENT_OF = {
    "C1": ("E-1", "tvo"),
    "C2": ("E-1", "tvo"),
    "C3": ("E-1", "tvo"),
    "C4": ("E-2", "tvo"),
    "C5": ("E-3", "cifar_tvo"),
    "C6": ("E-4", "ife"),
    "C7": ("E-5", "it"),
    "C8": ("E-6", "tm"),
}
"""claim id -> (paper result, the experiment whose results decide it)."""

CHECKS: dict[str, Callable[..., tuple[str, str]]] = {
    **tvo.CHECKS,
    **cifar_tvo.CHECKS,
    **ife.CHECKS,
    **it.CHECKS,
    **tm.CHECKS,
}
"""claim id -> check(records, seeds) -> (ours, verdict); `seeds`: the seeds the profile asks for."""
PAPER_RECORDS = {
    "tvo": tvo.paper_claim_records,
    "cifar_tvo": cifar_tvo.paper_claim_records,
    "ife": ife.paper_claim_records,
    "it": it.paper_claim_records,
    "tm": tm.paper_claim_records,
}
"""experiment -> synthetic records whose seed means are the paper's own tables."""
TESTS: dict[str, str] = {**tvo.TESTS, **cifar_tvo.TESTS, **ife.TESTS, **it.TESTS, **tm.TESTS}
"""claim id -> the precise test applied, in words (printed in the book)."""


@dataclass(frozen=True)
class Outcome:
    id: str
    paper: str
    ours: str
    verdict: str
    profile: str
    seeds: list[int] = field(default_factory=list)
    records: int = 0
    commits: list[str] = field(default_factory=list)
    dirty: int = 0
    devices: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    precisions: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def provenance_summary(records: list[dict]) -> dict:
    """What the records rest on: count, commits, how many came from uncommitted code, devices, base-image sources,
    precisions (records of older code without some fields count as "unknown")."""
    prov = [r.get("provenance", {}) for r in records]
    return {
        "records": len(records),
        "commits": sorted({p.get("git_commit", "unknown").removesuffix("-dirty")[:12] for p in prov}),
        "dirty": sum(bool(p.get("dirty")) or str(p.get("git_commit", "")).endswith("-dirty") for p in prov),
        "devices": sorted({p.get("device", "unknown") for p in prov}),
        "sources": sorted(
            {str(p.get("source") or r["config"].get("source") or "unknown") for p, r in zip(prov, records)}
        ),
        "precisions": sorted({p.get("precision", "unknown") for p in prov}),
    }


def grid_records(
    experiment: str, profile: str, seeds: list[int] | None = None, results: str | None = None
) -> list[dict]:
    """The stored records of an experiment's grid for a profile (jobs not yet computed are left out;
    records of configurations no longer in the grid are ignored). The grid is a pure function of the
    experiment, profile and seeds, so the answer does not depend on the machine."""
    from invtl.engine import runner
    from invtl.experiments import experiment as get

    store = store_mod.Store(results) if results else store_mod.Store()
    exp = get(experiment)
    jobs = runner.select_jobs(exp, profile, seeds, None, (1, 1))
    records = (store.load(profile, experiment, job.config, exp.result_keys) for job in jobs)
    return [r for r in records if r is not None]


def evaluate(
    profile: str, results: str | None = None, ids: list[str] | None = None, seeds: list[int] | None = None
) -> list[Outcome]:
    """Outcome of every claim (or of `ids`) for one profile, from the results store (the grid of each
    experiment, restricted to `seeds` when given; a claim rests on all of the profile's seeds otherwise)."""
    from invtl.experiments import settings

    check_profile(profile)
    _check_ids(ids)
    cache: dict[str, list[dict]] = {}
    out = []
    for cid, claim in paper.CLAIMS.items():
        if ids and cid not in ids:
            continue
        exp_id, name = EXPERIMENT_OF[cid]
        if name not in cache:
            cache[name] = grid_records(name, profile, seeds, results)
        records = cache[name]
        expected = seeds if seeds is not None else settings(name, profile)["seeds"]
        if not records:
            ours, verdict = f"no {name} ({exp_id}) results for profile {profile}", "not run"
        else:
            ours, verdict = CHECKS[cid](records, expected)
        used = sorted({r["config"]["seed"] for r in records})
        out.append(Outcome(cid, claim.paper, ours, verdict, profile, used, **provenance_summary(records)))
    return out


def evaluate_on_paper(ids: list[str] | None = None) -> list[Outcome]:
    """Every check on the paper's own numbers (synthetic records whose seed means are its tables): each must hold."""
    _check_ids(ids)
    out = []
    for cid, claim in paper.CLAIMS.items():
        if ids and cid not in ids:
            continue
        records = PAPER_RECORDS[EXPERIMENT_OF[cid][1]]()
        ours, verdict = CHECKS[cid](records, sorted({r["config"]["seed"] for r in records}))
        out.append(Outcome(cid, claim.paper, ours, verdict, "paper's own numbers", records=len(records)))
    return out


def _check_ids(ids: list[str] | None) -> None:
    unknown = [i for i in ids or [] if i not in paper.CLAIMS]
    if unknown:
        raise ValueError(f"unknown claim {unknown[0]!r}; valid: {', '.join(paper.CLAIMS)}")


def format_table(outcomes: list[Outcome], width: int = 100) -> str:
    """Plain-text table: id, verdict, paper, ours (wrapped)."""
    lines = []
    for o in outcomes:
        lines.append(f"{o.id}  {o.verdict.upper():8s} {paper.CLAIMS[o.id].title}")
        for label, text in (("paper", o.paper), ("ours", o.ours)):
            wrapped = textwrap.wrap(text, width - 16) or [""]
            lines.append(f"    {label:6s}  " + wrapped[0])
            lines.extend(" " * 12 + w for w in wrapped[1:])
    counts = {v: sum(o.verdict == v for o in outcomes) for v in VERDICTS}
    lines.append(", ".join(f"{n} {v}" for v, n in counts.items()))
    return "\n".join(lines)


def main(args) -> None:
    if args.on_paper:
        outcomes, against = evaluate_on_paper(), "the paper's own numbers"
    else:
        outcomes, against = evaluate(args.profile, args.results, seeds=args.seeds), f"results profile '{args.profile}'"
    if args.json:
        print(json.dumps([o.as_dict() for o in outcomes], ensure_ascii=False, indent=1))
    else:
        print(f"Claims of Speicher et al. (TMLR 2024) against {against}")
        print(format_table(outcomes))
