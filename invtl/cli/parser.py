"""The `invtl` argument parser: every command, its options and its help text."""

from __future__ import annotations

import argparse
import sys

from invtl.experiments import PAPER_RESULT

EXPERIMENT_HELP = ", ".join(f"{name} ({result})" for name, result in PAPER_RESULT.items())
PROFILE_HELP = (
    "smoke (CPU, minutes), cpu (this CPU, hours: the book's evidence), fast (one GPU) or paper (exact protocol)"
)
TRANSFORM_NAMES = (
    "scale, translate, v_flip, h_flip, rotate, shear, hue, brightness, grayscale, posterize, invert, "
    "sharpen, blur, noise, pixelate, elastic, erasing, contrast"
)

EPILOG = """examples:
  invtl data preview --transforms rotate hue blur --objects 0 1 2 3 --out preview.png
  invtl run tm --profile smoke                  # compute a grid into results/ (resumes where it stopped)
  invtl plan tvo --profile fast                 # split a grid into chunks of under 8 minutes
  invtl run tvo --profile fast --shard 2/4 --device cuda   # one of those chunks
  invtl run tvo --profile fast --executor slurm --partition gpu --gpus-per-node 1 --wait   # all, as a job array
  invtl status --profile fast                   # done/total, running, failed and time left per experiment
  invtl claims --profile smoke                  # the paper's claims C1-C8: paper value, ours, verdict
  invtl book                                    # execute the notebooks, build the book (_build/html/index.html)
  invtl bench data                              # batched generation vs the original-like PIL pipeline
  invtl bench train --json                      # training: our path vs the original-like one
"""


class _Parser(argparse.ArgumentParser):
    """argparse that reports bad input in one line (exit code 2)."""

    def error(self, message: str) -> None:
        print(f"invtl: error: {message} (see '{self.prog} --help')", file=sys.stderr)
        sys.exit(2)


def _add_dataset_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--transforms",
        nargs="*",
        default=["rotate", "hue", "blur"],
        metavar="NAME",
        help=f"transforms in the order they apply; choices: {TRANSFORM_NAMES}, none",
    )
    p.add_argument("--size", type=int, default=32, help="image side in pixels (default 32, as in the paper)")
    p.add_argument(
        "--source", default="offline", help="object source: offline (default), si-score, random or random:SEED"
    )


def _add_grid_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("experiment", help=EXPERIMENT_HELP)
    p.add_argument("--profile", default="smoke", help=PROFILE_HELP + " (default smoke)")
    p.add_argument("--seeds", nargs="+", type=int, default=None, help="seed ids (default: the profile's)")
    p.add_argument(
        "--only",
        default=None,
        metavar="PANEL",
        help="one panel of the grid only (cifar_tvo: also a whole dataset, cifar10 or cifar100)",
    )
    p.add_argument(
        "--legacy",
        nargs="+",
        default=[],
        metavar="OPTION",
        help="restore original behaviours to compare with the paper's numbers, e.g. legacy_ft_lr_schedule "
        "legacy_lp_head_source shared_init (see the book's 'Differences from the original' chapter)",
    )


def add_store_args(p: argparse.ArgumentParser, only: bool = True) -> None:
    """--profile and --results of a command that reads a results store, and --only EXPERIMENT unless `only` is
    False."""
    p.add_argument("--profile", default="smoke", help=PROFILE_HELP + " (default smoke)")
    p.add_argument(
        "--results", default=None, metavar="DIR", help="results directory (default: results/ of this checkout)"
    )
    if only:
        p.add_argument("--only", nargs="+", default=None, metavar="EXPERIMENT", help="these experiments only")


def _add_cluster_args(run: argparse.ArgumentParser) -> None:
    cluster = run.add_argument_group(
        "cluster",
        "With --executor slurm the chunks of `invtl plan` (at --max-minutes) that hold missing results are "
        "submitted as one SLURM job array through submitit; submitit-local runs them as local processes.",
    )
    cluster.add_argument(
        "--executor",
        default="local",
        choices=("local", "slurm", "submitit-local"),
        help="local (in this process; the default), slurm or submitit-local",
    )
    cluster.add_argument("--wait", action="store_true", help="wait for every task, with a progress bar")
    cluster.add_argument(
        "--max-minutes", type=float, default=8.0, help="estimated minutes per chunk (task) (default 8)"
    )
    cluster.add_argument("--partition", default=None, help="SLURM partition (default: the cluster's)")
    cluster.add_argument(
        "--time",
        default=None,
        help="time limit per task: MINUTES, H:MM:SS or D-HH:MM:SS (default: twice the longest chunk's "
        "estimate plus 10 minutes; a task that runs out is requeued and resumes)",
    )
    cluster.add_argument("--cpus-per-task", type=int, default=None, help="CPU cores per task")
    cluster.add_argument("--gpus-per-node", type=int, default=None, help="GPUs per task")
    cluster.add_argument("--mem", default=None, help="memory per task, SLURM syntax, e.g. 32G")
    cluster.add_argument("--array-parallelism", type=int, default=None, help="at most this many tasks at once")
    cluster.add_argument(
        "--slurm-extra",
        nargs="+",
        default=[],
        metavar="KEY=VALUE",
        help="any other sbatch option, e.g. qos=high account=lab constraint=a100",
    )
    cluster.add_argument(
        "--logs",
        default=None,
        metavar="DIR",
        help="log folder the compute nodes can see (default: $INVTL_CACHE/submitit/PROFILE/EXPERIMENT)",
    )


def build() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="invtl",
        description="Reproduce 'Understanding the Role of Invariance in Transfer Learning' "
        "(Speicher et al., TMLR 2024).",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    data = commands.add_parser("data", help="look at Transforms-2D samples").add_subparsers(
        dest="action", required=True
    )
    preview = data.add_parser(
        "preview",
        help="write a PNG grid of samples",
        description="Write a PNG grid of Transforms-2D samples: one row with the transforms "
        "composed in order, or with --per-transform one row per transform alone.",
    )
    _add_dataset_args(preview)
    preview.add_argument("--objects", nargs="+", type=int, default=[0, 1, 2, 3], help="object indices of the source")
    preview.add_argument("--seed", type=int, default=0, help="content seed (objects, backgrounds)")
    preview.add_argument("--transform-seed", type=int, default=None, help="transformation seed (default: --seed)")
    preview.add_argument(
        "--background", default="auto", help="auto (the source's photos), si-score, offline, random or black"
    )
    preview.add_argument("--per-row", type=int, default=8, help="samples per row")
    preview.add_argument(
        "--per-transform", action="store_true", help="one row per transform instead of one composed row"
    )
    preview.add_argument("--out", default="preview.png", help="output PNG path (default preview.png)")
    manifest = data.add_parser(
        "si-score-manifest",
        help="write the SI-Score manifest (commit and sha256 per file) of a local copy",
        description="Hash every file invtl reads from a copy of the SI-Score dataset repository (its README and "
        "the images of its configs) and print the manifest that pins it (invtl/t2d/si_score_manifest.json): "
        "the commit it was taken at and each file's sha256. Downloads and INVTL_SI_SCORE_DIR copies are "
        "then checked against it.",
    )
    manifest.add_argument("directory", help="the copy (e.g. a Hugging Face snapshot directory, named by its commit)")
    manifest.add_argument(
        "--revision", default=None, help="its commit hash (default: the directory's name when it is one)"
    )
    manifest.add_argument("--out", default=None, metavar="FILE", help="write here instead of printing")

    run = commands.add_parser(
        "run",
        help="compute an experiment's grid into the results store",
        description="Compute every missing result of an experiment's grid into the results "
        "store (one JSON file per job under RESULTS/PROFILE/EXPERIMENT/). Finished jobs are "
        "skipped, so an interrupted run resumes where it stopped; --shard splits the grid "
        "across machines that share one results directory.",
    )
    _add_grid_args(run)
    run.add_argument("--shard", default=None, metavar="K/N", help="run the K-th of N interleaved parts (1-based)")
    run.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N")
    run.add_argument(
        "--precision",
        default=None,
        help="auto (bf16 autocast on CUDA and on CPUs with native bf16, else fp32; the default, or env "
        "INVTL_PRECISION), fp32 or bf16; recorded in every result",
    )
    run.add_argument(
        "--source",
        default=None,
        help="base images: the profile's (default: offline for smoke and cpu, si-score for fast and paper), "
        "or offline, si-score, random:SEED",
    )
    run.add_argument(
        "--results", default=None, metavar="DIR", help="results directory (default: results/ of this checkout)"
    )
    run.add_argument("--force", action="store_true", help="recompute results that are already stored")
    _add_cluster_args(run)

    plan = commands.add_parser(
        "plan",
        help="split a grid into chunks of under N minutes",
        description="Estimate an experiment grid's compute time and print the fewest --shard "
        "chunks that each stay under --max-minutes, as ready-to-run commands.",
    )
    _add_grid_args(plan)
    plan.add_argument("--max-minutes", type=float, default=8.0, help="minutes per chunk (default 8)")
    plan.add_argument(
        "--calibrate",
        action="store_true",
        help="first time a few training steps here (seconds) and scale every estimate by this machine's speed "
        "against the committed benchmark's: hosts differ, and a shared one changes from day to day",
    )
    plan.add_argument(
        "--json",
        action="store_true",
        help="print one JSON object: jobs, predicted seconds per job and per chunk, the rates' source",
    )

    claims = commands.add_parser(
        "claims",
        help="check the paper's claims C1-C8 against the results store",
        description="Print every headline claim of the paper (C1-C8): the paper's value, ours with the seeds it rests "
        "on, and a verdict computed from the results store for one profile: holds (every part ran on models "
        "that learned, and it is true), partial (true where it ran; the missing or untestable parts are "
        "named), fails, untestable (the compared models did not learn), not run.",
    )
    add_store_args(claims, only=False)
    claims.add_argument("--seeds", nargs="+", type=int, default=None, help="seed ids to use (default: the profile's)")
    claims.add_argument(
        "--on-paper",
        action="store_true",
        help="run every check on the paper's own numbers (each must hold) instead of the store",
    )
    claims.add_argument(
        "--json",
        action="store_true",
        help="print a JSON list, one object per claim with its verdict "
        "(holds, partial, fails, untestable, not run) and provenance",
    )

    status = commands.add_parser(
        "status",
        help="done/total, running, failed jobs and time left per experiment",
        description="For one profile and each experiment: jobs done out of the grid's total, corrupt records, "
        "jobs running now (their lock is held), jobs whose data is not on this machine, the tasks of the latest SLURM or submitit submission still "
        "queued (from squeue) or failed (with their log files), and the time left estimated from the plan's "
        "costs of the jobs that can run here. Exit 1 when a task failed or a record is corrupt.",
    )
    add_store_args(status)
    status.add_argument("--json", action="store_true", help="print one JSON object: experiment -> its status")

    from invtl.cli import store  # imports this module

    store.add_parsers(commands)

    book = commands.add_parser(
        "book",
        help="execute the notebooks and build the book (HTML)",
        description="Execute every notebook in notebooks/ with papermill into book/_generated/, computing results "
        "that the store does not hold yet, then build the Jupyter Book into _build/html/ (warnings are "
        "errors). With the committed results the book builds in minutes on a CPU, without training.",
    )
    book.add_argument(
        "--profile",
        default=None,
        help=PROFILE_HELP + " (default: the most complete committed one: paper, else fast, else cpu, else smoke)",
    )
    book.add_argument(
        "--root",
        default=None,
        metavar="DIR",
        help="the checkout to build (default: the one containing the current directory)",
    )
    book.add_argument(
        "--only",
        default=None,
        metavar="NAME",
        help="re-execute this notebook only (e.g. e6_transform_mismatch); the others are reused when "
        "they were executed with the same parameters",
    )
    book.add_argument(
        "--device", default="auto", help="device for computing missing results: auto, cpu, cuda or cuda:N"
    )
    book.add_argument("--precision", default=None, help="precision for computing missing results: auto, fp32 or bf16")
    book.add_argument(
        "--results", default=None, metavar="DIR", help="results directory (default: results/ of the checkout)"
    )
    book.add_argument(
        "--seeds", nargs="+", type=int, default=None, help="seed ids (default: each experiment's profile seeds)"
    )
    book.add_argument(
        "--no-compute",
        dest="compute",
        action="store_false",
        help="show only what the results store holds; compute nothing",
    )
    book.add_argument(
        "--no-html", dest="html", action="store_false", help="execute the notebooks but skip the HTML build"
    )

    bench = commands.add_parser("bench", help="measure throughput").add_subparsers(dest="action", required=True)
    bench_data = bench.add_parser(
        "data",
        help="batched generation vs the per-sample PIL pipeline",
        description="Images per second of batched Transforms-2D generation on the CPU (and "
        "CUDA when present), side by side with an original-like per-sample PIL pipeline in "
        "DataLoader workers, in the same run. Both CPU paths use --workers processes of one thread each.",
    )
    _add_dataset_args(bench_data)
    bench_data.add_argument(
        "--workers", type=int, default=2, help="DataLoader worker processes, i.e. CPU cores, for each path"
    )
    bench_data.add_argument("--batch-size", type=int, default=256, help="DataLoader batch size (default 256)")
    bench_data.add_argument(
        "--samples", type=int, default=8192, help="images timed for the PIL path (ours: 8x as many)"
    )
    bench_data.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    bench_train = bench.add_parser(
        "train",
        help="pretraining img/s: original-like vs ours vs the compute ceiling",
        description="ResNet-18 pretraining on Transforms-2D in one run, per width: (a) "
        "original-like (fp32, contiguous, per-sample PIL data in DataLoader workers), (b) our "
        "path end to end (views generated per epoch as it trains), (c) the compute ceiling (our "
        "step on tensors made beforehand); then the rates `invtl plan` predicts from (every "
        "architecture at the cpu profile's width, generation, probe steps).",
    )
    bench_train.add_argument("--model", default="resnet18", help="architecture (default resnet18)")
    bench_train.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N")
    bench_train.add_argument("--precision", default="auto", help="auto (bf16 where native), fp32 or bf16")
    bench_train.add_argument(
        "--widths", nargs="+", type=float, default=[0.25, 1.0], help="network widths (default 0.25 1.0)"
    )
    bench_train.add_argument("--batch-size", type=int, default=None, help="default 512 on CUDA, 128 on the CPU")
    bench_train.add_argument(
        "--steps", type=int, default=None, help="timed steps per path (default: a few seconds' worth)"
    )
    bench_train.add_argument(
        "--workers", type=int, default=None, help="baseline DataLoader workers (default min(cores, 12))"
    )
    bench_train.add_argument("--no-rates", dest="rates", action="store_false", help="skip the per-architecture rates")
    bench_train.add_argument("--source", default="offline", help="object source (default offline)")
    bench_train.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    bench_precision = bench.add_parser(
        "precision",
        help="fp32 against bf16 on the E-6 cpu configuration: do the accuracies agree?",
        description="Train the same E-6 jobs (rows --ks of ResNet-18, the profile's seeds) in fp32 and in bf16 "
        "autocast, into throw-away stores, and compare the mean pretraining and probe accuracies (they should agree "
        "within 0.02). Slow: it trains every job twice.",
    )
    bench_precision.add_argument(
        "--profile", default="cpu", help="profile whose E-6 configuration to train (default cpu)"
    )
    bench_precision.add_argument(
        "--ks", nargs="+", type=int, default=[4, 8], help="rows k of the E-6 matrix (default 4 8)"
    )
    bench_precision.add_argument("--seeds", nargs="+", type=int, default=None, help="seed ids (default: the profile's)")
    bench_precision.add_argument("--json", action="store_true", help="print one JSON object")
    bench_compile = bench.add_parser(
        "compile",
        help="torch.compile against eager: warm-up, img/s, break-even",
        description="Our training step compiled (inductor) and eager, in one run: the "
        "compile time, images per second of each, and from how many training images "
        "compiling pays.",
    )
    bench_compile.add_argument("--model", default="resnet18", help="architecture (default resnet18)")
    bench_compile.add_argument("--width", type=float, default=0.25, help="network width (default 0.25)")
    bench_compile.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N")
    bench_compile.add_argument("--precision", default="auto", help="auto, fp32 or bf16")
    bench_compile.add_argument("--json", action="store_true", help="print one JSON object")
    return parser
