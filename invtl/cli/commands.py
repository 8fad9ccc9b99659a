"""What each `invtl` command does, given its parsed arguments; each returns the exit code."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def missing_results_dir(args: argparse.Namespace) -> int | None:
    """For a read-only command: exit code 2 (and one line) when --results names no directory."""
    if args.results and not Path(args.results).expanduser().is_dir():
        print(f"invtl: error: results directory {args.results} does not exist", file=sys.stderr)
        return 2
    return None


def _summary(name: str, profile: str, counts: dict[str, int]) -> str:
    return (
        f"{name} [{profile}]: {counts.get('computed', 0)} computed, {counts.get('skipped', 0)} already stored"
        + (f", {counts['missing']} not run (missing data)" if counts.get("missing") else "")
        + (f", {counts['busy']} being computed by another process" if counts.get("busy") else "")
    )


def run(args: argparse.Namespace) -> int:
    from invtl.engine import runner
    from invtl.experiments import experiment

    if args.executor != "local":
        return submit(args)
    counts = runner.run(
        experiment(args.experiment),
        args.profile,
        seeds=args.seeds,
        only=args.only,
        shard=runner.parse_shard(args.shard),
        device=args.device,
        results=args.results,
        force=args.force,
        legacy=tuple(args.legacy),
        source=args.source,
        precision=args.precision,
    )
    print(_summary(args.experiment, args.profile, counts))
    if counts["missing"] and not counts["computed"] and not counts["skipped"] and not counts["busy"]:
        print(f"invtl: error: no {args.experiment} job could run: its data is missing on this machine", file=sys.stderr)
        return 1
    return 0


def submit(args: argparse.Namespace) -> int:
    """`invtl run --executor slurm|submitit-local`: the chunks as one job array; with --wait, their outcome."""
    from invtl.orchestration import executors

    if args.shard or args.force:
        flag = "--shard" if args.shard else "--force"
        raise ValueError(
            f"{flag} works with --executor local only; the executors submit the chunks of `invtl plan` "
            "that hold missing results"
        )
    grid = executors.Grid(
        args.experiment,
        args.profile,
        seeds=args.seeds,
        only=args.only,
        legacy=tuple(args.legacy),
        source=args.source,
        results=args.results,
        device=args.device,
        precision=args.precision,
    )
    resources = executors.Resources(
        partition=args.partition,
        time_min=executors.parse_time(args.time) if args.time else None,
        cpus_per_task=args.cpus_per_task,
        gpus_per_node=args.gpus_per_node,
        mem=args.mem,
        array_parallelism=args.array_parallelism,
        extra=executors.parse_extra(args.slurm_extra),
    )
    jobs, chunks, n, folder = executors.submit(grid, args.executor, resources, args.max_minutes, args.logs)
    if not jobs:
        print(f"{args.experiment} [{args.profile}]: nothing to submit, every result is stored")
        return 0
    ids = sorted({j.job_id.split("_")[0] for j in jobs})
    print(
        f"{args.experiment} [{args.profile}]: submitted {len(jobs)} of {n} chunks ({args.executor} job "
        f"{', '.join(ids)}); logs in {folder}"
    )
    if not args.wait:
        print(f"follow with: invtl status --profile {args.profile}")
        return 0
    try:
        counts, failures = executors.wait(jobs, chunks, n, args.executor)
    except KeyboardInterrupt:
        print(
            f"invtl: stopped waiting; the tasks keep running; follow with: invtl status --profile {args.profile}",
            file=sys.stderr,
        )
        return 130
    print(_summary(args.experiment, args.profile, counts))
    for failure in failures:
        print(f"invtl: error: {failure}", file=sys.stderr)
    return 1 if failures else 0


def status(args: argparse.Namespace) -> int:
    from invtl.experiments import check
    from invtl.orchestration import status as status_mod

    if (code := missing_results_dir(args)) is not None:
        return code
    for name in args.only or []:
        check(name)
    report = status_mod.status(args.profile, args.results, args.only)
    print(json.dumps(report, indent=1) if args.json else status_mod.format_status(report, args.profile))
    bad = any(s["corrupt"] or s.get("submission", {}).get("failed") for s in report.values())
    return 1 if bad else 0


def _speed_probe(profile: str) -> dict:
    """This machine's training speed against the committed benchmark of the profile's device kind."""
    import torch

    from invtl.engine import bench
    from invtl.profiles import DEVICE_KIND

    kind = DEVICE_KIND[profile]
    if kind == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            f"--calibrate times this machine, but profile {profile!r} is planned for a GPU and none is here; "
            "valid: plan without --calibrate, or on the machine that will run it"
        )
    return bench.speed_probe(kind)


def plan(args: argparse.Namespace) -> int:
    from invtl.engine import runner
    from invtl.experiments import experiment

    exp = experiment(args.experiment)  # an unknown name fails here, before any probe runs
    probe = _speed_probe(args.profile) if args.calibrate else None
    p = runner.plan(
        exp,
        args.profile,
        seeds=args.seeds,
        only=args.only,
        max_minutes=args.max_minutes,
        legacy=tuple(args.legacy),
        speed=probe["factor"] if probe else 1.0,
    )
    only = f" --only {args.only}" if args.only else ""
    seeds = f" --seeds {' '.join(map(str, args.seeds))}" if args.seeds else ""
    commands = [
        f"invtl run {p['experiment']} --profile {p['profile']}{seeds}{only} --shard {k}/{p['shards']}"
        for k in range(1, p["shards"] + 1)
    ]
    if args.json:
        print(
            json.dumps(
                {
                    **{k: v for k, v in p.items() if k != "job_seconds"},
                    **({"calibration": probe} if probe else {}),
                    "total_seconds": 60 * p["total_minutes"],
                    "chunk_seconds": [60 * m for m in p["shard_minutes"]],
                    "commands": commands,
                    "job_seconds": p["job_seconds"],
                },
                indent=1,
            )
        )
        return 0
    print(
        f"{p['experiment']} [{p['profile']}]: {p['jobs']} jobs, about {p['total_minutes']:.0f} minutes on "
        f"{p['device']} at {p['rates']} rates; {p['shards']} chunks of at most {max(p['shard_minutes']):.1f} minutes:"
    )
    if probe:
        print(
            f"  calibrated: {probe['model']} trains at {probe['measured_img_s']:,} img/s here now, "
            f"{probe['benchmark_img_s']:,} in the benchmark: estimates divided by {probe['factor']:.2f}"
        )
    for command, minutes in zip(commands, p["shard_minutes"]):
        print(f"  {command}   # ~{minutes:.1f} min")
    chunks = f" --max-minutes {args.max_minutes:g}" if args.max_minutes != 8.0 else ""
    print(f"or all as one SLURM job array: {commands[0].rsplit(' --shard', 1)[0]}{chunks} --executor slurm --wait")
    return 0


def claims(args: argparse.Namespace) -> int:
    from invtl import claims as claims_mod

    if (code := missing_results_dir(args)) is not None:
        return code
    claims_mod.main(args)
    return 0


def book(args: argparse.Namespace) -> int:
    from invtl.book import build

    return build.main(args)


def bench_train(args: argparse.Namespace) -> int:
    from invtl.engine import bench
    from invtl.experiments import settings

    result = bench.bench_train(
        args.model,
        device=args.device,
        widths=args.widths,
        batch_size=args.batch_size,
        steps=args.steps,
        workers=args.workers,
        precision=args.precision,
        source=args.source,
    )
    if args.rates:
        width = settings("tvo", "cpu")["width"]
        result["rates"] = bench.bench_rates(
            {a: width for a in ("resnet18", "resnet50", "densenet121", "vgg11", "vit")},
            device=args.device,
            precision=args.precision,
            source=args.source,
        )
    if args.json:
        print(json.dumps(result, indent=1))
        return 0
    print(
        f"{result['model']} pretraining on Transforms-2D ({', '.join(result['transforms'])}), batch "
        f"{result['batch_size']}, {result['device']}, {result['machine']['cpu']}, torch {result['machine']['torch']}"
    )
    for row in result["rows"]:
        print(f"  width {row['width']:<5} {row['path']:<80} {row['img_s']:9,.0f} img/s")
    for width, r in result["ratios"].items():
        print(
            f"  width {width}: ours / original-like {r['ours_vs_original']:.2f}x, ours / ceiling {r['ours_vs_ceiling']:.2f}"
        )
    if args.rates:
        rates = result["rates"]
        print(
            "  rates for `invtl plan` ("
            + rates["precision"]
            + "): "
            + ", ".join(
                f"{a} {v['img_s']:,} train / {rates['features'][a]['img_s']:,} features img/s"
                for a, v in rates["train"].items()
            )
            + f"; generation {rates['generate']:,} img/s (CIFAR {rates['generate_cifar']:,}); "
            f"probe step {rates['probe_step_s'] * 1e3:.2f} ms"
        )
    return 0


def bench_precision(args: argparse.Namespace) -> int:
    from invtl.orchestration import bench_settings

    r = bench_settings.bench_precision(profile=args.profile, ks=args.ks, seeds=args.seeds)
    if args.json:
        print(json.dumps(r, indent=1))
    else:
        print(r["caption"])
        for q in r["fp32"]:
            print(f"  {q}: fp32 {r['fp32'][q]:.3f}, bf16 {r['bf16'][q]:.3f} ({r['bf16'][q] - r['fp32'][q]:+.3f})")
    return 0


def bench_compile(args: argparse.Namespace) -> int:
    from invtl.orchestration import bench_settings

    r = bench_settings.bench_compile(args.model, args.width, args.device, args.precision)
    if args.json:
        print(json.dumps(r, indent=1))
    else:
        print(
            f"{r['model']} width {r['width']}, {r['precision']}, batch {r['batch_size']}: eager {r['eager']['img_s']:,} "
            f"img/s; compiled {r['compiled']['img_s']:,} img/s after {r['compiled']['warm_up_s']} s of compiling; "
            f"pays from {r['pays_from_images'] or 'never':,} training images"
        )
    return 0


def bench_data(args: argparse.Namespace) -> int:
    from invtl.engine import bench

    result = bench.bench_data(
        args.transforms,
        size=args.size,
        workers=args.workers,
        batch_size=args.batch_size,
        samples=args.samples,
        source=args.source,
    )
    if args.json:
        print(json.dumps(result))
    else:
        print(
            f"Transforms-2D generation, transforms {', '.join(result['transforms'])}, {result['size']} px, "
            f"source {result['source']}, torch {result['torch']}"
        )
        print(bench.table(result))
    return 0


def preview(args: argparse.Namespace) -> int:
    from invtl.t2d import preview as preview_mod

    out_dir = Path(args.out).expanduser().resolve().parent
    if not out_dir.is_dir():
        print(f"invtl: error: --out {args.out}: directory {out_dir} does not exist", file=sys.stderr)
        return 2
    img = preview_mod.preview(
        args.transforms,
        args.objects,
        seed=args.seed,
        per_row=args.per_row,
        per_transform=args.per_transform,
        size=args.size,
        source=args.source,
        background=args.background,
        transform_seed=args.transform_seed,
    )
    img.save(args.out)
    print(f"wrote {args.out}")
    return 0


def si_score_manifest(args: argparse.Namespace) -> int:
    from invtl import paths
    from invtl.t2d import si_score, sources

    root = paths.readable_dir(args.directory, "SI-Score copy")
    text = json.dumps(si_score.make_manifest(root, sources.si_score_files(root), args.revision), indent=1) + "\n"
    if args.out:
        paths.atomic_write(args.out, text.encode())
        print(f"wrote {args.out}")
    else:
        print(text, end="")
    return 0
