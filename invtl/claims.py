"""The paper's headline claims C1–C8, checked against the results store.

Each claim (text and paper numbers in `invtl.paper_values.CLAIMS`) has the experiment whose results
decide it and, once that experiment's analysis exists, a check: a function of the experiment's
records that returns what we measured ("ours", with the seeds it rests on) and a verdict.

- "holds": the check's stated inequalities hold for our seed means;
- "fails": they do not;
- "not run": the experiment has no (complete) results in the store for this profile, or no check
  is implemented for it yet.

The same code backs `invtl claims` and the "paper vs reproduced" table that ends every result
chapter of the book. Verdicts use the clean test-split accuracy (the `invtl` default, bug B1 fixed);
the paper's numbers are pooled over train+val+test, so small offsets are expected.
"""

from __future__ import annotations

import json
import math
import warnings
from dataclasses import asdict, dataclass
from typing import Callable

import numpy as np

from invtl import analysis_tvo, paper_values
from invtl import analysis_it
from invtl import analysis_cifar
from invtl import store as store_mod

VERDICTS = ("holds", "fails", "not run")

# claim id -> (experiment id, results-store name of the experiment that decides it)
EXPERIMENT_OF = {
    "C1": ("E-1", "tvo"), "C2": ("E-1", "tvo"), "C3": ("E-1", "tvo"), "C4": ("E-2", "tvo"),
    "C5": ("E-3", "cifar_tvo"), "C6": ("E-4", "ife"), "C7": ("E-5", "it"), "C8": ("E-6", "tm"),
}


@dataclass(frozen=True)
class Outcome:
    id: str
    paper: str
    ours: str
    verdict: str

    def as_dict(self) -> dict:
        return asdict(self)


# --- E-6 (tm): C8 ------------------------------------------------------------------------------

C8_SUBSET_MIN = 0.97
"""j ≤ k, and the k = n row: every seed-mean accuracy must be at least this: the paper's "≈ 0.98–1.00" band
less the ±0.01 uncertainty of values read off its figure."""
C8_RISE_TOLERANCE = 0.01
"""j > k: a step j → j+1 may rise by at most this much (seed noise; the figure's ±0.01 resolution)."""

C8_TEST = (
    "On the ResNet-18 seed-mean test accuracies M[k][j] (k = # PT transforms, j = # target transforms, "
    f"1 ≤ j, k ≤ n, n = the profile's number of transforms): (a) M[k][j] ≥ {C8_SUBSET_MIN} (the paper's "
    "0.98 less the ±0.01 uncertainty of values read off its figure) for every j ≤ k; "
    f"(b) for every k < n, along the row from j = k to j = n no step rises by more than {C8_RISE_TOLERANCE} "
    "and M[k][n] < M[k][k]; (c) M[n][j] ≥ "
    f"{C8_SUBSET_MIN} for every j. The claim holds when (a), (b) and (c) all hold. Only seeds with all n "
    "rows stored count."
)


def tm_matrices(records: list[dict], arch: str = "resnet18", metric: str = "test_accuracy") -> tuple[np.ndarray, list[int]]:
    """Per-seed LP accuracy matrices of the E-6 grid: array (seeds, n, n) with [s, k-1, j-1], and the
    seed ids; only seeds whose n rows (k = 1..n) are all stored, n = the records' num_transforms."""
    by_seed: dict[int, dict[int, dict]] = {}
    n = None
    for r in records:
        c = r["config"]
        if c.get("arch") != arch:
            continue
        n = c["num_transforms"] if n is None else n
        if c["num_transforms"] != n:
            raise ValueError(f"mixed num_transforms in the tm records ({n} and {c['num_transforms']})")
        by_seed.setdefault(c["seed"], {})[c["k"]] = r["result"]
    seeds = sorted(s for s, rows in by_seed.items() if set(rows) == set(range(1, (n or 0) + 1)))
    if not seeds:
        return np.zeros((0, 0, 0)), []
    out = np.full((len(seeds), n, n), np.nan)
    for si, s in enumerate(seeds):
        for k, result in by_seed[s].items():
            for t in result["transfer"]:
                out[si, k - 1, t["j"] - 1] = t[metric]
    return out, seeds


def check_c8(records: list[dict]) -> tuple[str, str]:
    """(ours, verdict) for C8 from the tm records of one profile; see `C8_TEST`."""
    mats, seeds = tm_matrices(records)
    if not seeds:
        stored = sorted({r["config"]["seed"] for r in records if r["config"].get("arch") == "resnet18"})
        return ("no complete ResNet-18 grid stored" + (f" (partial seeds {stored})" if stored else ""), "not run")
    m = mats.mean(axis=0)
    n = m.shape[0]
    sub = [m[k, j] for k in range(n) for j in range(k + 1)]
    ok_a = min(sub) >= C8_SUBSET_MIN
    ok_b = True
    for k in range(n - 1):
        row = m[k, k:]
        if np.any(np.diff(row) > C8_RISE_TOLERANCE) or not row[-1] < row[0]:
            ok_b = False
    ok_c = m[n - 1].min() >= C8_SUBSET_MIN
    parts = [f"j ≤ k: min {min(sub):.3f}"]
    if n > 1:
        parts.append(f"k = 1: {m[0, 1]:.3f} (j = 2) → {m[0, n - 1]:.3f} (j = {n})")
    parts.append(f"k = {n}: min {m[n - 1].min():.3f}")
    parts.append(f"{'falls' if ok_b else 'does not fall monotonically'} for j > k")
    ours = "; ".join(parts) + f" [ResNet-18, {n} transforms, seeds {_seed_list(seeds)}]"
    return ours, "holds" if ok_a and ok_b and ok_c else "fails"


CHECKS: dict[str, Callable[[list[dict]], tuple[str, str]]] = {"C7": analysis_it.check_c7, "C8": check_c8}
"""claim id -> check(records) -> (ours, verdict). Later experiments add theirs here."""

TESTS: dict[str, str] = {"C7": analysis_it.C7_TEST, "C8": C8_TEST}
"""claim id -> the precise test applied, in words (printed in the book)."""

CHECKS.update(analysis_tvo.CHECKS)  # E-1/E-2 (tvo): C1-C4
TESTS.update(analysis_tvo.TESTS)
CHECKS.update(analysis_cifar.CHECKS)  # E-3 (cifar_tvo): C5, E-4 (ife): C6
TESTS.update(analysis_cifar.TESTS)


def _seed_list(seeds: list[int]) -> str:
    return ", ".join(map(str, seeds))


def grid_records(experiment: str, profile: str, seeds: list[int] | None = None, results: str | None = None) -> list[dict]:
    """The stored records of an experiment's current grid for a profile (jobs not yet computed are left
    out). Records of configurations that are no longer in the grid (e.g. from older settings) are
    ignored; an experiment that is not registered yields every record stored under its name."""
    import invtl.experiments  # noqa: F401  (registers the experiments)
    from invtl import runner

    store = store_mod.Store(results) if results else store_mod.Store()
    if experiment not in runner.EXPERIMENTS:
        return store.results(profile, experiment)
    try:
        jobs = runner.select_jobs(runner.EXPERIMENTS[experiment], profile, seeds, None, (1, 1))
    except (OSError, ConnectionError, KeyError) as e:  # e.g. data an experiment needs to list its grid is absent
        warnings.warn(f"cannot list the {experiment} grid ({e}); using every stored {experiment} record", stacklevel=2)
        return store.results(profile, experiment)
    records = (store.load(profile, experiment, job.config) for job in jobs)
    return [r for r in records if r is not None]


def evaluate(profile: str, results: str | None = None, ids: list[str] | None = None,
             seeds: list[int] | None = None) -> list[Outcome]:
    """Outcome of every claim (or of `ids`) for one profile, from the results store (the current grid of
    each experiment, restricted to `seeds` when given)."""
    from invtl.profiles import PROFILES

    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; valid: {', '.join(PROFILES)}")
    unknown = [i for i in ids or [] if i not in paper_values.CLAIMS]
    if unknown:
        raise ValueError(f"unknown claim {unknown[0]!r}; valid: {', '.join(paper_values.CLAIMS)}")
    cache: dict[str, list[dict]] = {}
    out = []
    for cid, claim in paper_values.CLAIMS.items():
        if ids and cid not in ids:
            continue
        exp_id, name = EXPERIMENT_OF[cid]
        if name not in cache:
            cache[name] = grid_records(name, profile, seeds, results)
        records = cache[name]
        if not records:
            ours, verdict = f"no {name} ({exp_id}) results for profile {profile}", "not run"
        elif cid not in CHECKS:
            seeds = sorted({r["config"].get("seed") for r in records if r["config"].get("seed") is not None})
            ours, verdict = (f"{len(records)} {name} result{'s' if len(records) != 1 else ''} stored (seeds "
                             f"{_seed_list(seeds)}); check not implemented yet"), "not run"
        else:
            ours, verdict = CHECKS[cid](records)
        out.append(Outcome(cid, claim.paper, ours, verdict))
    return out


def format_table(outcomes: list[Outcome], width: int = 100) -> str:
    """Plain-text table: id, verdict, paper, ours (wrapped)."""
    import textwrap

    lines = []
    for o in outcomes:
        title = paper_values.CLAIMS[o.id].title
        lines.append(f"{o.id}  {o.verdict.upper():8s} {title}")
        for label, text in (("paper", o.paper), ("ours", o.ours)):
            wrapped = textwrap.wrap(text, width - 16) or [""]
            lines.append(f"    {label:6s}  " + wrapped[0])
            lines.extend(" " * 12 + w for w in wrapped[1:])
    counts = {v: sum(o.verdict == v for o in outcomes) for v in VERDICTS}
    lines.append(f"{counts['holds']} hold, {counts['fails']} fail, {counts['not run']} not run")
    return "\n".join(lines)


# --- command line (registered in invtl/cli.py) ------------------------------------------------------

def add_parser(commands) -> None:
    p = commands.add_parser(
        "claims", help="check the paper's claims C1-C8 against the results store",
        description="Print every headline claim of the paper (C1-C8 of paper-values.md): the paper's value, ours "
                    "with the seeds it rests on, and a verdict (holds / fails / not run), computed from the results "
                    "store for one profile.")
    p.add_argument("--profile", default="smoke", help="results profile to check (default smoke)")
    p.add_argument("--results", default=None, metavar="DIR", help="results directory (default: the repository's results/)")
    p.add_argument("--seeds", nargs="+", type=int, default=None, help="seed ids to use (default: the profile's)")
    p.add_argument("--json", action="store_true", help="print a JSON list: one object per claim with keys id, paper, ours, verdict")


def main(args) -> None:
    outcomes = evaluate(args.profile, args.results, seeds=args.seeds)
    if args.json:
        print(json.dumps([o.as_dict() for o in outcomes], ensure_ascii=False, indent=1))
    else:
        print(f"Claims of Speicher et al. (TMLR 2024) against results profile '{args.profile}'")
        print(format_table(outcomes))


def ci95(values: np.ndarray, axis: int = 0) -> np.ndarray:
    """Half-width of the 95 % t-interval of the mean along `axis` (NaN for fewer than 2 values)."""
    values = np.asarray(values, dtype=float)
    n = values.shape[axis]
    if n < 2:
        return np.full(np.delete(values.shape, axis), np.nan)
    # two-sided 97.5 % quantiles of Student's t for small n (n-1 degrees of freedom), then normal
    t = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262,
         10: 2.228, 15: 2.131, 20: 2.086, 30: 2.042}
    df = n - 1
    q = t[max(d for d in t if d <= df)] if df <= 30 else 1.96  # nearest tabulated df below: conservative
    return q * values.std(axis=axis, ddof=1) / math.sqrt(n)
