"""What every result chapter shows around its figures: settings, provenance, the profile's banner, the
claims table, and the results it loads (or computes when missing)."""

from __future__ import annotations

import html
import time
from collections.abc import Sequence

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
    rows = [
        (raw(f"<b>{o.id}</b> {html.escape(paper.CLAIMS[o.id].title)}"), o.paper, o.ours, verdict_badge(o.verdict))
        for o in outcomes
    ]
    return html_table(("claim", "paper", f"ours (profile {profile})", "verdict"), rows, left=4, classes="invtl-claims")


def profile_banner(profile: str, experiment: str | None = None) -> None:
    """Say plainly what the numbers of this profile can and cannot show."""
    from invtl.profiles import PROFILES

    if profile == "smoke":
        md(
            ":::{warning}\nThe numbers on this page come from the **smoke** profile: tiny datasets, a couple of "
            "epochs, narrow networks and a single seed. They show that the pipeline runs end to end and that the "
            "book is generated from the results store; they are **not evidence for or against the paper's "
            "findings**. Rebuild the book with `--profile cpu` (or `fast` / `paper` on a GPU) for those.\n:::"
        )
    elif profile == "cpu":
        md(
            ":::{note}\nThe numbers on this page come from the **cpu** profile: every panel of the paper's grid at "
            "CPU scale (narrow networks, fewer samples and epochs, 3 seeds), computed on a 2-core CPU because no GPU "
            "has been lent to this project. The paper's findings are comparisons, which can show at this scale when "
            "the models learn; absolute accuracies cannot match the paper's. Each verdict says which parts did not "
            "run and which models did not learn; the settings table gives every setting and why it differs.\n:::"
        )
    elif profile != "paper":
        md(
            f":::{{note}}\nThe numbers on this page come from the **{profile}** profile ({PROFILES[profile]}). "
            "Its settings differ from the paper's (see the settings table); compare trends, not decimals.\n:::"
        )


def provenance_line(records: list[dict], profile: str) -> str:
    """What the records shown rest on: profile, seeds, base-image source, device, precision, code commit (with a
    visible warning when any came from uncommitted code), torch, dates and compute time."""
    if not records:
        return f"**Provenance:** profile `{profile}`; no results in the store."
    from invtl.claims import provenance_summary

    s = provenance_summary(records)
    prov = [r["provenance"] for r in records]
    seeds = sorted({r["config"].get("seed") for r in records if r["config"].get("seed") is not None})
    dates = sorted(p.get("date", "?")[:10] for p in prov)
    torch_v = sorted({p.get("torch_version", "?") for p in prov})
    wall = sum(p.get("wall_time_s", 0.0) for p in prov)
    when = dates[0] if dates[0] == dates[-1] else f"{dates[0]} to {dates[-1]}"
    line = (
        f"**Provenance:** profile `{profile}` · {s['records']} results · seeds {', '.join(map(str, seeds))} · "
        f"base images {', '.join(s['sources'])} · device {', '.join(s['devices'])} · precision "
        f"{', '.join(s['precisions'])} · commit {', '.join(s['commits'])} · torch {', '.join(torch_v)} · "
        f"computed {when} · {wall / 60:.1f} min of compute"
    )
    if s["dirty"]:
        line += (
            f"\n\n:::{{warning}}\n{s['dirty']} of these {s['records']} results were computed from uncommitted "
            "code: the code that made them is in no commit, so they cannot be regenerated exactly.\n:::"
        )
    return line


def settings_table(experiment: str, profile: str) -> str:
    """This profile's settings for an experiment next to the paper's, each with its reason."""
    from invtl.experiments import spec

    rows = [(k, _fmt_setting(v), _fmt_setting(p), why) for k, v, p, why in spec(experiment).table(profile)]
    return html_table(
        ("setting", profile, "paper", "reason"),
        rows,
        wrap=True,
        caption=f"Settings of {experiment}: profile {profile} vs the paper's protocol",
    )


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
    missing = (
        f" {counts['missing']} could not run on this machine: their data is missing (nothing is shown for them)."
        if counts["missing"]
        else ""
    )
    if counts["computed"]:
        return (
            f"Computed {counts['computed']} missing results in {took:.0f} s; {counts['skipped']} were already "
            f"in the store.{missing}"
        )
    return f"{counts['skipped']} results of this page were in the results store; nothing was recomputed.{missing}"


def rerun_hint(name: str, profile: str) -> None:
    md(
        f"To regenerate this page alone: `invtl book --only {name} --profile {profile}` (add `--device cuda` on a "
        f"GPU), or with papermill directly: `papermill notebooks/{name}.ipynb out.ipynb -p profile {profile}`."
    )


CHAPTER_OF = {
    "C1": "e1_e2_transforms_vs_other",
    "C2": "e1_e2_transforms_vs_other",
    "C3": "e1_e2_transforms_vs_other",
    "C4": "e1_e2_transforms_vs_other",
    "C5": "e3_cifar",
    "C6": "e4_irrelevant_features",
    "C7": "e5_invariance_transfer",
    "C8": "e6_transform_mismatch",
}
"""claim id -> the chapter (notebook name) whose "Paper vs reproduced" section shows it."""


def verdict_overview(profile: str, results: str | None, seeds=None) -> str:
    """The landing page's table: every claim with the paper's value, ours, the verdict (rows coloured by it),
    the profile and seeds, and a link to the chapter section that shows it."""
    from invtl import claims

    outcomes = claims.evaluate(profile, results, seeds=seeds)
    rows = [
        (
            raw(f'<a href="{CHAPTER_OF[o.id]}.html#paper-vs-reproduced">{html.escape(o.id)}</a>'),
            paper.CLAIMS[o.id].title,
            o.paper,
            o.ours,
            verdict_badge(o.verdict),
            o.profile,
            ", ".join(map(str, o.seeds)) or "–",
        )
        for o in outcomes
    ]
    return html_table(
        ("claim", "finding", "paper", "ours", "verdict", "profile", "seeds"),
        rows,
        left=4,
        classes="invtl-claims invtl-overview",
        row_classes=[f"invtl-{o.verdict.replace(' ', '')}" for o in outcomes],
    )


def claim_tests(ids: Sequence[str]) -> str:
    """Markdown: the precise test behind each claim's verdict."""
    from invtl import claims

    return "\n\n".join(f"**The test behind {cid}.** {claims.TESTS[cid]}" for cid in ids)


def own_task_accuracy(name: str, record: dict) -> tuple[float, float] | None:
    """(held-out accuracy of a record's pretrained model on its own task, chance), or None (untrained reference)."""
    result = record["result"]
    own = result.get("training") or result.get("pretraining")
    if own is None or record["config"].get("group") == "untrained":
        return None
    chance = result.get("chance")
    if isinstance(chance, dict):
        chance = chance["pretraining"]
    return own["test_accuracy"], chance or 1 / 30


def learning_table(profile: str, results: str | None, seeds=None) -> str:
    """Did the models learn? Per experiment: the pretrained models' held-out accuracy on their own task (median,
    minimum), how many are under twice chance (their comparisons are untestable), and how many reach 0.85 (the cpu
    profile's calibration target)."""
    from invtl.experiments import SPECS
    from invtl.verdict import learned_bar

    rows = []
    for name in SPECS:
        seen, accs = set(), []
        for r in load(name, profile, results, seeds):
            own = own_task_accuracy(name, r)
            key = (r["config"].get("seed"), model_identity(r))
            if own is None or key in seen:
                continue
            seen.add(key)
            accs.append((own[0], learned_bar(round(1 / own[1]))))
        if not accs:
            rows.append((name, 0, "–", "–", "–", "–"))
            continue
        values = sorted(a for a, _ in accs)
        median = (
            values[len(values) // 2]
            if len(values) % 2
            else (values[len(values) // 2 - 1] + values[len(values) // 2]) / 2
        )
        rows.append(
            (
                name,
                len(values),
                f"{median:.3f}",
                f"{values[0]:.3f}",
                sum(a < bar for a, bar in accs),
                sum(a >= 0.85 for a in values),
            )
        )
    return html_table(
        ("experiment", "pretrained models", "median held-out acc.", "minimum", "under twice chance", "at least 0.85"),
        rows,
        caption=f"Did the models learn? Profile {profile}: each distinct pretrained model once (a model "
        "shared by several jobs counts once), its held-out accuracy on its own pretraining task",
    )


def model_identity(record: dict) -> str:
    """What identifies a record's pretrained model: its job's config without the transfer-only settings."""
    import json

    c = record["config"]
    keep = {
        k: v
        for k, v in c.items()
        if k
        not in (
            "panel",
            "value",
            "lp_epochs",
            "ft_epochs",
            "ft_sizes",
            "n_lp",
            "eval_transforms",
            "data_types",
            "lp_min_steps",
            "ft_min_steps",
        )
    }
    result = record["result"]
    return json.dumps(
        [
            keep.get("seed"),
            result.get("arch"),
            result.get("pt_classes"),
            result.get("n_pt"),
            result.get("pt_transforms"),
            c.get("k"),
            c.get("arch"),
            c.get("group"),
            c.get("train_transform"),
            c.get("pt_task"),
            c.get("variant") if c.get("pt_task") != "C&C" else None,
            c.get("dataset"),
        ],
        default=str,
    )
