"""The reproducibility chapter: every experiment's settings per profile, what the results store holds and
where it came from, how to re-run each chapter, and the software this build ran on."""

from __future__ import annotations

import importlib.metadata
import platform
from pathlib import Path

from invtl import paths
from invtl.book.html import html_table
from invtl.experiments import PAPER_RESULT, SPECS, experiment
from invtl.profiles import PROFILES

CHAPTER = {
    "tvo": "e1_e2_transforms_vs_other",
    "cifar_tvo": "e3_cifar",
    "ife": "e4_irrelevant_features",
    "it": "e5_invariance_transfer",
    "tm": "e6_transform_mismatch",
}
"""experiment -> the notebook of its chapter."""
PACKAGES = ("invtl", "torch", "numpy", "jupyter-book", "sphinx", "myst-nb", "papermill", "ipywidgets", "matplotlib")


def format_setting(value) -> str:
    """A setting's value as one short line: lists comma-separated, large integers with thin spaces."""
    if isinstance(value, dict):
        return "; ".join(f"{k}: {format_setting(v)}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(format_setting(v) for v in value)
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10_000:
        return f"{value:,}".replace(",", " ")
    return str(value)


def profiles_table() -> str:
    """The profiles and what each is for."""
    return html_table(("profile", "meaning"), list(PROFILES.items()), left=2)


def settings_rows(name: str) -> list[tuple[str, ...]]:
    """(setting, value under each profile, why the profiles that differ from the paper differ) of one experiment."""
    spec = SPECS[name]
    tables = {p: {k: (v, why) for k, v, _, why in spec.table(p)} for p in PROFILES}
    rows = []
    for key, (paper_value, _) in spec.paper.items():
        reasons = [f"{p}: {tables[p][key][1]}" for p in PROFILES if p != "paper" and tables[p][key][0] != paper_value]
        rows.append((key, *[format_setting(tables[p][key][0]) for p in PROFILES], "; ".join(reasons) or "—"))
    return rows


def settings_tabs():
    """One tab per experiment: its settings under every profile (`invtl.experiments.SPECS`)."""
    import ipywidgets as widgets

    from invtl.book.style import html_widget

    head = ("setting", *PROFILES, "why a profile differs")
    tabs = [
        html_widget(
            html_table(
                head, settings_rows(name), wrap=True, caption=f"{name} ({PAPER_RESULT[name]}): settings per profile"
            )
        )
        for name in SPECS
    ]
    return widgets.Tab(children=tabs, titles=list(SPECS))


def _commit(provenance: dict) -> str:
    commit = provenance.get("git_commit", "?")
    dirty = commit.endswith("dirty") or provenance.get("dirty", False)
    return commit[:7] + ("-dirty" if dirty else "")


def _store(results: str | None):
    from invtl.engine.store import Store

    return Store(results) if results else Store()


def grid_size(name: str, profile: str, results: str | None = None) -> tuple[int, int]:
    """(stored records of the grid as the code defines it now, jobs in that grid) for the profile's seeds."""
    from invtl.claims import grid_records
    from invtl.engine.runner import select_jobs

    total = len(select_jobs(experiment(name), profile, None, None, (1, 1)))
    return len(grid_records(name, profile, None, results)), total


def store_rows(results: str | None = None) -> list[tuple]:
    """Per (profile, experiment) directory of the results store: records, current grid (stored / size),
    seeds, devices, commits, dates and compute minutes."""
    from invtl.engine.store import RUNS

    store = _store(results)
    root = Path(store.root)
    rows = []
    for pdir in sorted(p for p in root.iterdir() if p.is_dir()) if root.exists() else []:
        for edir in sorted(e for e in pdir.iterdir() if e.is_dir() and e.name != RUNS):
            recs = store.results(pdir.name, edir.name)
            if not recs:
                continue
            prov = [r["provenance"] for r in recs]
            known = edir.name in SPECS and pdir.name in PROFILES
            grid = "{} / {}".format(*grid_size(edir.name, pdir.name, results)) if known else "–"
            seeds = sorted({r["config"]["seed"] for r in recs if "seed" in r["config"]})
            dates = sorted(p.get("date", "?")[:10] for p in prov)
            rows.append(
                (
                    pdir.name,
                    edir.name,
                    len(recs),
                    grid,
                    ", ".join(map(str, seeds)),
                    "; ".join(sorted({p.get("device", "?") for p in prov})),
                    ", ".join(sorted({_commit(p) for p in prov})),
                    dates[0] if dates[0] == dates[-1] else f"{dates[0]} – {dates[-1]}",
                    f"{sum(p.get('wall_time_s', 0) for p in prov) / 60:.1f}",
                )
            )
    return rows


def store_table(results: str | None = None) -> str:
    """`store_rows` as a table (a sentence when the store is empty)."""
    rows = store_rows(results)
    if not rows:
        return "<p>The results store is empty.</p>"
    return html_table(
        ("profile", "experiment", "records", "current grid", "seeds", "device", "commit", "computed", "compute (min)"),
        rows,
        left=2,
        wrap=True,
        caption=f"Results store {Path(_store(results).root).name}/: current grid = stored records of the grid as the code "
        "defines it now / the grid's size",
    )


def verify_table(profile: str, results: str | None = None) -> str:
    """The saved `invtl store verify` checks of a profile: each record recomputed by later code, and the outcome."""
    from invtl.engine import verify

    checked = verify.saved(_store(results), profile)
    if not checked:
        return (
            f"<p>No stored {profile} record has been recomputed yet (<code>invtl store verify --profile {profile} "
            "--save</code>).</p>"
        )
    rows = [
        (
            c["experiment"],
            c["record"],
            _commit({"git_commit": c["commit"]}),
            _commit({"git_commit": c["recomputed_by"]}),
            c["date"][:10],
            c["recomputed_on"],
            f"{c['wall_time_s'] / 60:.1f}",
            "identical" if not c["differ"] else f"{c['differ']} differ (max {c['max_abs_diff']:.3g})",
            c["values"],
        )
        for c in checked
    ]
    return html_table(
        ("experiment", "record", "computed by", "recomputed by", "on", "device", "min", "numbers", "compared"),
        rows,
        left=2,
        wrap=True,
        caption=f"Profile {profile}: stored records recomputed from scratch (fresh cache, no checkpoint) by later "
        "code, every number of the result compared with the stored one; min: wall minutes of the recomputation",
    )


def rerun_table(profile: str, results: str | None = None) -> str:
    """Per experiment: its chapter, how much of the profile's grid is stored, and the commands that compute
    the rest and re-execute the chapter."""
    rows = []
    for name in SPECS:
        stored, total = grid_size(name, profile, results)
        rows.append(
            (
                name,
                PAPER_RESULT[name],
                CHAPTER[name],
                f"{stored} / {total}",
                f"invtl run {name} --profile {profile}",
                f"invtl book --only {CHAPTER[name]} --profile {profile}",
            )
        )
    return html_table(
        ("experiment", "paper result", "chapter", "stored / grid", "compute missing results", "re-execute the chapter"),
        rows,
        left=3,
        wrap=True,
        caption=f"Profile {profile}: each experiment's grid and the commands that complete it",
    )


def _version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "–"


def environment_table(profile: str) -> str:
    """Python and the versions of the packages that executed the notebooks."""
    rows = [("python", platform.python_version())] + [(p, _version(p)) for p in PACKAGES]
    return html_table(
        ("package", "version"), rows, caption=f"Versions used to execute these notebooks (profile {profile})"
    )


def pilots_table(results: str | None) -> str:
    """The calibration pilots of the cpu profile (`results/bench/pilots-cpu.json`): each pilot job's held-out
    pretraining accuracy beside chance, its transfer numbers and its wall time."""
    from invtl.book.performance import load

    bench = load(results or paths.results_root(), "pilots")
    if bench is None:
        return "<p><em>No pilots committed (results/bench/pilots-cpu.json).</em></p>"
    rows = []
    for p in bench["pilots"]:
        what = ", ".join(
            f"{k} {p[k]}"
            for k in ("arch", "panel", "value", "k", "group", "train_transform", "variant", "pt_task", "dataset")
            if k in p
        )
        chance = p["chance"]["pretraining"] if isinstance(p["chance"], dict) else p["chance"]
        transfer = (
            p.get("lp_test_accuracy")
            or (p["transfer"][-1] if "transfer" in p else None)
            or next(iter(p.get("lp", {}).values()), None)
        )
        rows.append(
            (
                p["pilot"],
                p["experiment"],
                f"seed {p['seed']}, {what}",
                f"{p['pt_test_accuracy']:.3f}",
                f"{chance:.3f}",
                "–" if transfer is None else f"{transfer:.3f}",
                f"{p['wall_s']:.0f}",
            )
        )
    return html_table(
        ("pilot", "experiment", "job", "PT held-out acc.", "chance", "transfer (LP)", "wall s"),
        rows,
        left=3,
        wrap=True,
        caption=f"{bench['note']} Code: {bench['code']}.",
    )
