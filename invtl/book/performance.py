"""The performance chapter: the committed benchmarks of `results/bench/` as tables and figures.

Every number comes from a benchmark file written by `invtl bench ...` (or by the cpu run's chunk log); a file
that is absent is reported as not measured, never filled in."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from invtl.book.html import html_table
from invtl.engine.costs import PHASES
from invtl.engine.runner import Experiment, trained_here
from invtl.engine.store import Store
from invtl.profiles import DEVICE_KIND

BENCH = {
    "train": "train-{kind}.json",
    "compile": "compile-{kind}.json",
    "precision": "precision-{kind}.json",
    "profile": "profile-{kind}.json",
    "chunks": "chunks-{kind}.json",
    "pilots": "pilots-{kind}.json",
}


def load(results: str | Path, name: str, kind: str = "cpu") -> dict | None:
    """A committed benchmark, or None when it has not been measured."""
    path = Path(results) / "bench" / BENCH[name].format(kind=kind)
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _absent(what: str) -> str:
    return f"<p><em>{what}: not measured (no benchmark file in results/bench/).</em></p>"


def machine_line(bench: dict) -> str:
    """The machine and, where the benchmark recorded them (since 2026-12-03), the commit and date it ran at."""
    m = bench.get("machine", {})
    code = (
        f"; commit {m['git_commit'][:7]}{' (dirty)' if m.get('dirty') else ''}, {m.get('date', '?')[:10]}"
        if "git_commit" in m
        else "; commit not recorded"
    )
    return (
        f"{m.get('cpu', '?')}, {m.get('cores', '?')} cores, {m.get('threads', '?')} threads, torch "
        f"{m.get('torch', '?')}, native bf16: {m.get('native_bf16', '?')}{code}"
    )


def train_table(results: str | Path) -> str:
    """(a) original-like, (b) ours end to end, (c) the compute ceiling, per width and device, with the ratios."""
    rows = []
    for kind in ("cpu", "cuda"):
        bench = load(results, "train", kind)
        if bench is None:
            rows.append(
                (
                    kind.upper(),
                    "–",
                    "not measured" + (": no GPU has been lent to this project" if kind == "cuda" else ""),
                    "–",
                    "–",
                )
            )
            continue
        for row in bench["rows"]:
            r = bench["ratios"][str(row["width"])]
            ratio = {
                "(a)": "1.00",
                "(b)": f"{r['ours_vs_original']:.2f} (of (c): {r['ours_vs_ceiling']:.2f})",
                "(c)": f"{r['ours_vs_original'] / r['ours_vs_ceiling']:.2f}",
            }[row["path"][:3]]
            rows.append(
                (f"{kind.upper()} ({bench['device']})", row["width"], row["path"], f"{row['img_s']:,.0f}", ratio)
            )
    return html_table(
        ("device", "width", "path", "img/s", "vs (a)"),
        rows,
        left=3,
        wrap=True,
        caption="ResNet-18 pretraining on Transforms-2D (rotate, hue, blur), batch 512, one run per device"
        + "".join(f"; {kind}: {machine_line(b)}" for kind in ("cpu", "cuda") if (b := load(results, "train", kind))),
    )


def rates_table(results: str | Path, kind: str = "cpu") -> str:
    """The measured rates `invtl plan` predicts from."""
    bench = load(results, "train", kind)
    if bench is None or "rates" not in bench:
        return _absent(f"{kind} rates")
    r = bench["rates"]
    rows = [
        (arch, v["width"], f"{v['img_s']:,}", f"{r['features'][arch]['img_s']:,}") for arch, v in r["train"].items()
    ]
    caption = (
        f"Rates for `invtl plan` ({kind}, {r['precision']}, {r['date']}): generation {r['generate']:,} img/s "
        f"(Transforms-2D), {r['generate_cifar']:,} img/s (CIFAR augmentation); a probe step "
        f"{1e3 * r['probe_step_s']:.2f} ms; {machine_line(bench)}"
    )
    return html_table(("architecture", "width", "training img/s", "feature img/s"), rows, caption=caption)


def compile_table(results: str | Path, kind: str = "cpu") -> str:
    bench = load(results, "compile", kind)
    if bench is None:
        return _absent("torch.compile")
    rows = [
        (
            mode,
            f"{bench[mode]['img_s']:,}",
            " · ".join(f"{v:,}" for v in bench[mode].get("passes_img_s", [])) or "—",
            bench[mode]["warm_up_s"],
        )
        for mode in ("eager", "compiled")
    ]
    pays = bench["pays_from_images"]
    caption = (
        f"torch.compile on {kind} ({bench['model']}, width {bench['width']}, {bench['precision']}, batch "
        f"{bench['batch_size']}; img/s is the median timed pass, the modes alternating): "
        + (f"compiling pays from {pays:,} training images" if pays else "compiling never pays (it is not faster)")
        + f"; {machine_line(bench)}"
    )
    return html_table(("mode", "img/s", "timed passes, img/s", "warm-up s"), rows, caption=caption)


def precision_table(results: str | Path) -> str:
    """fp32 against bf16 on the E-6 cpu configuration: mean accuracies and their difference."""
    bench = load(results, "precision")
    if bench is None:
        return _absent("fp32 against bf16")
    rows = [
        (q, f"{bench['fp32'][q]:.3f}", f"{bench['bf16'][q]:.3f}", f"{bench['bf16'][q] - bench['fp32'][q]:+.3f}")
        for q in bench["fp32"]
    ]
    caption = f"{bench['caption']} ({machine_line(bench)})"
    return html_table(("mean accuracy", "fp32", "bf16", "bf16 − fp32"), rows, caption=caption)


def profile_table(results: str | Path) -> str:
    """Where one job of each experiment's cpu grid spends its wall time, before and after the fast CPU path."""
    bench = load(results, "profile")
    if bench is None:
        return _absent("job profiles")
    rows = []
    for job in bench["jobs"]:
        for when in ("before", "after"):
            if when in job:
                p = job[when]
                phases = ", ".join(
                    f"{k} {v:.0f} s" for k, v in sorted(p["phases_s"].items(), key=lambda kv: -kv[1]) if v >= 0.5
                )
                rows.append((job["experiment"], when, f"{p['wall_s']:.0f}", phases))
    return html_table(("experiment", "engine", "wall s", "phases"), rows, left=4, wrap=True, caption=bench["caption"])


def chunk_speed(records: list[dict], chunk: dict) -> float | None:
    """How fast the machine trained during a chunk, against the benchmark the plan predicts from: the median over
    the chunk's `records` (its experiment's, finished inside its window) of planned / actual pretraining seconds
    (the training steps; the views they train on are timed as generation).
    1.0 = the benchmark's speed; 0.5 = half. None when no record of the chunk pretrained a model."""
    from invtl import experiments

    exp = experiments.experiment(chunk["chunk"].split("-")[0])
    ratios = []
    for rec in records:
        config, prov = rec["config"], rec["provenance"]
        phases = prov.get("phases_s", {})
        if not trained_here(phases) or not chunk["start"][:19] <= prov.get("date", "")[:19] <= chunk["end"][:19]:
            continue  # a model loaded from the checkpoint cache, or a record of another chunk
        ratios.append(exp.phases(config, "cpu")["pretrain"] / phases["pretrain"])
    return float(np.median(ratios)) if ratios else None


def _seeds(seeds: list[int]) -> str:
    return f"seed{'s' * (len(seeds) > 1)} {', '.join(map(str, seeds))}"


def chunks(results: str | Path, profile: str = "cpu") -> tuple[list[dict], str] | None:
    """(chunks, caption) of a profile's run: the committed chunk benchmark's rows, then the runs `invtl run`
    logged (`Store.runs`), each as {chunk, predicted_s, actual_s, start, end}; None when there are neither."""
    bench = load(results, "chunks") if profile == "cpu" else None
    rows, caption = (list(bench["chunks"]), bench["caption"]) if bench else ([], "")
    logged = Store(results).runs(profile)
    for run in logged:
        k, n = run["shard"].split("/")
        label = f"{run['experiment']}-{k}of{n}"
        if run.get("only") or run.get("seeds"):
            label += f" ({', '.join(filter(None, [run.get('only'), run.get('seeds') and _seeds(run['seeds'])]))})"
        missing, elsewhere = run.get("missing", 0), run.get("elsewhere", 0)
        if run["computed"] + missing + elsewhere != run["jobs"]:
            label += f" ({run['computed']} of its {run['jobs']} jobs{', interrupted' * bool(run.get('interrupted'))})"
        if missing:
            label += f" ({missing} without their data)"
        if elsewhere:
            label += f" ({elsewhere} computed by another process)"
        rows.append({**run, "chunk": label + (" (dirty)" if run["dirty"] else "")})
    if logged:
        commits = sorted({r["git_commit"][:7] for r in logged})
        caption += (
            f" Runs logged by `invtl run` (results/{profile}/runs/, commit {', '.join(commits)}): predicted = the "
            "plan's estimate of the jobs each computed (neither pretraining nor its views charged where a job loaded "
            "its model from a checkpoint), actual = its wall time."
        )
    return (rows, caption.strip()) if rows else None


def chunks_table(results: str | Path) -> str:
    """Predicted against actual wall time of every chunk of the cpu run, and per experiment, with the machine's
    training speed during each chunk (`chunk_speed`)."""
    run = chunks(results)
    if run is None:
        return _absent("the cpu run's chunks")
    rows, per, records = [], {}, {}
    for c in run[0]:
        name = c["chunk"].split("-")[0]
        if name not in records:  # each experiment's records read once, through the store's checks
            records[name] = Store(results).results("cpu", name)
        speed = chunk_speed(records[name], c)
        rows.append(
            (
                c["chunk"],
                f"{c['predicted_s'] / 60:.1f}",
                f"{c['actual_s'] / 60:.1f}",
                f"{c['actual_s'] / max(c['predicted_s'], 1):.2f}",
                "–" if speed is None else f"{speed:.2f}",
                c["start"][:16].replace("T", " "),
            )
        )
        e = per.setdefault(name, [0, 0])
        e[0], e[1] = e[0] + c["predicted_s"], e[1] + c["actual_s"]
    rows += [
        (f"{name} (all chunks)", f"{p / 60:.1f}", f"{a / 60:.1f}", f"{a / max(p, 1):.2f}", "", "")
        for name, (p, a) in per.items()
    ]
    total_p, total_a = sum(p for p, _ in per.values()), sum(a for _, a in per.values())
    rows.append(("all", f"{total_p / 60:.1f}", f"{total_a / 60:.1f}", f"{total_a / max(total_p, 1):.2f}", "", ""))
    header = (
        "chunk",
        "predicted min",
        "actual min",
        "actual / predicted",
        "training speed / benchmark",
        "started (UTC)",
    )
    measured = [c for c in run[0] if "cpu_s" in c]
    caption = run[1]
    if measured:
        caption += (
            f" CPU time the rows with a measured one add up to (process CPU seconds, all threads): "
            f"{sum(c['cpu_s'] for c in measured) / 3600:.2f} CPU-hours over {sum(c['actual_s'] for c in measured) / 3600:.2f} "
            "wall hours" + ("; the other rows measured wall time only." if len(measured) < len(run[0]) else ".")
        )
    return html_table(header, rows, caption=caption)


MEASURED_AS = {"invariance": "features", "io": "overhead"}
"""Measured phases (a result's `phases_s`) the plan charges under another name."""


def phase_seconds(exp: Experiment, records: list[dict], kind: str = "cpu") -> dict[str, tuple[float, float]]:
    """phase -> (planned, measured) seconds over `records` of experiment `exp`, at the rates of device `kind`. Time
    a job spent outside its phases is overhead; a job that loaded its pretrained model from a checkpoint is charged
    neither its pretraining nor the views it trains on (`Experiment.planned`: another job trained it)."""
    out = {p: [0.0, 0.0] for p in PHASES}
    for rec in records:
        prov = rec["provenance"]
        measured = prov.get("phases_s", {})
        for phase, seconds in exp.planned(rec["config"], kind, trained_here(measured)).items():
            out[phase][0] += seconds
        for phase, seconds in measured.items():
            out[MEASURED_AS.get(phase, phase)][1] += seconds
        out["overhead"][1] += prov.get("wall_time_s", 0.0) - sum(measured.values())
    return {p: (a, b) for p, (a, b) in out.items()}


def phases_table(results: str | Path, profile: str = "cpu") -> str:
    """Planned against measured minutes per phase and experiment over the stored `profile` records: where the
    plan's estimates miss (the chunk table shows by how much in all)."""
    from invtl import experiments

    store, rows = Store(results), []
    for name in experiments.SPECS:
        records = store.results(profile, name)
        if not records:
            continue
        cells = phase_seconds(experiments.experiment(name), records, DEVICE_KIND[profile])
        total = [sum(c[i] for c in cells.values()) for i in (0, 1)]
        rows.append(
            (
                f"{name} ({len(records)} job{'s' * (len(records) != 1)})",
                *[f"{b / 60:.1f} / {a / 60:.1f}" + (f" ({b / a:.1f}×)" if a >= 30 else "") for a, b in cells.values()],
                f"{total[1] / 60:.1f} / {total[0] / 60:.1f} ({total[1] / max(total[0], 1):.1f}×)",
            )
        )
    if not rows:
        return f"<p><em>No {profile} results stored yet.</em></p>"
    caption = (
        f"Measured / planned minutes per phase, summed over the stored {profile} results (their `phases_s`; overhead "
        "is a job's time outside its phases); the plan at the committed benchmark's rates, a pretraining loaded from "
        "a checkpoint charged to the job that trained it. Ratios for phases planned at 30 s or more."
    )
    return html_table(("experiment", *PHASES, "all"), rows, caption=caption)


def chunks_figure(results: str | Path) -> Figure | None:
    run = chunks(results)
    if run is None:
        return None
    fig, ax = plt.subplots(figsize=(6.4, 3.0))
    rows = run[0]
    xs = range(len(rows))
    ax.bar([x - 0.2 for x in xs], [c["predicted_s"] / 60 for c in rows], 0.4, label="predicted")
    ax.bar([x + 0.2 for x in xs], [c["actual_s"] / 60 for c in rows], 0.4, label="actual")
    ax.set_xticks(list(xs), [c["chunk"] for c in rows], rotation=40, ha="right", fontsize=8)
    ax.set_ylabel("minutes")
    ax.legend(frameon=False)
    return fig
