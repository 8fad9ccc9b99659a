"""What every result chapter shows around its figures: settings, provenance, the profile's banner, the
claims table, and the results it loads (or computes when missing)."""

from __future__ import annotations

import html
import time
from typing import Sequence

from invtl import paper
from invtl.book.html import html_table, md, raw, verdict_badge


def claim_statements(experiment: str) -> None:
    """The paper's headline claims for one experiment id, as written in paper-values.md."""
    parts = []
    for c in paper.claims(experiment):
        parts.append(f"**{c.id}: {c.title}.**\n\n" + "\n".join(f"- {b}" for b in c.bullets))
    md("\n\n".join(parts))


def claims_table(ids: Sequence[str], profile: str, results: str | None, seeds=None) -> str:
    """The "paper vs reproduced" verdict table for some claims, from the results store."""
    from invtl import claims

    outcomes = claims.evaluate(profile, results, ids=list(ids), seeds=seeds)
    rows = [(raw(f"<b>{o.id}</b> {html.escape(paper.CLAIMS[o.id].title)}"), o.paper, o.ours, verdict_badge(o.verdict))
            for o in outcomes]
    return html_table(("claim", "paper", f"ours (profile {profile})", "verdict"), rows, left=4, classes="invtl-claims")


def profile_banner(profile: str, experiment: str | None = None) -> None:
    """Say plainly what the numbers of this profile can and cannot show."""
    from invtl.profiles import PROFILES

    if profile == "smoke":
        md(":::{warning}\nThe numbers on this page come from the **smoke** profile: tiny datasets, a couple of "
           "epochs, narrow networks and a single seed. They show that the pipeline runs end to end and that the "
           "book is generated from the results store; they are **not evidence for or against the paper's "
           "findings**. Rebuild the book with `--profile fast` or `--profile paper` for those.\n:::")
    elif profile != "paper":
        md(f":::{{note}}\nThe numbers on this page come from the **{profile}** profile ({PROFILES[profile]}). "
           "Its settings differ from the paper's (see the settings table); compare trends, not decimals.\n:::")


def provenance_line(records: list[dict], profile: str) -> str:
    """One line: profile, seeds, device, code commit and dates of the records shown."""
    if not records:
        return f"**Provenance:** profile `{profile}`; no results in the store."
    seeds = sorted({s for r in records for s in _as_list(r["provenance"].get("seeds"))})
    devices = sorted({r["provenance"].get("device", "?") for r in records})
    commits = sorted({r["provenance"].get("git_commit", "?")[:12] + ("-dirty" if r["provenance"].get("git_commit", "").endswith("-dirty") else "")
                      for r in records})
    dates = sorted(r["provenance"].get("date", "?")[:10] for r in records)
    torch_v = sorted({r["provenance"].get("torch_version", "?") for r in records})
    wall = sum(r["provenance"].get("wall_time_s", 0.0) for r in records)
    when = dates[0] if dates[0] == dates[-1] else f"{dates[0]} to {dates[-1]}"
    return (f"**Provenance:** profile `{profile}` · {len(records)} results · seeds {', '.join(map(str, seeds))} · "
            f"device {', '.join(devices)} · commit {', '.join(commits)} · torch {', '.join(torch_v)} · "
            f"computed {when} · {wall / 60:.1f} min of compute")


def _as_list(x) -> list:
    if x is None:
        return []
    return list(x) if isinstance(x, (list, tuple)) else [x]


def settings_table(experiment: str, profile: str) -> str:
    """This profile's settings for an experiment next to the paper's, each with its reason."""
    from invtl.experiments import spec

    rows = [(k, _fmt_setting(v), _fmt_setting(p), why) for k, v, p, why in spec(experiment).table(profile)]
    return html_table(("setting", profile, "paper", "reason"), rows, wrap=True,
                      caption=f"Settings of {experiment}: profile {profile} vs the paper's protocol")


def _fmt_setting(v) -> str:
    if isinstance(v, dict):
        return "; ".join(f"{k}: {_fmt_setting(x)}" for k, x in v.items())
    if isinstance(v, list):
        return ", ".join(_fmt_setting(x) for x in v)
    if isinstance(v, int) and not isinstance(v, bool) and abs(v) >= 10_000:
        return f"{v:,}".replace(",", " ")
    return str(v)


def load(experiment: str, profile: str, results: str | None, seeds=None) -> list[dict]:
    """The stored records of the experiment's grid (see `invtl.claims.grid_records`)."""
    from invtl.claims import grid_records

    return grid_records(experiment, profile, seeds, results)


def compute_missing(experiment: str, profile: str, seeds, device: str, results: str | None, compute: bool) -> str:
    """Compute the results the store lacks (when `compute`); returns a one-line Markdown summary."""
    from invtl.engine import runner
    from invtl.experiments import experiment as get

    if not compute:
        return "Nothing computed for this page (`compute=False`): it shows what the results store holds."
    start = time.perf_counter()
    counts = runner.run(get(experiment), profile, seeds=seeds, device=device, results=results, progress=False)
    took = time.perf_counter() - start
    if counts["computed"]:
        return (f"Computed {counts['computed']} missing results in {took:.0f} s; {counts['skipped']} were already "
                "in the store.")
    return f"All {counts['skipped']} results of this page were already in the results store; nothing was recomputed."


def rerun_hint(name: str, profile: str) -> None:
    md(f"To regenerate this page alone: `invtl book --only {name} --profile {profile}` (add `--device cuda` on a "
       f"GPU), or with papermill directly: `papermill notebooks/{name}.ipynb out.ipynb -p profile {profile}`.")
