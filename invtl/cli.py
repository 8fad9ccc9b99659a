"""The `invtl` command line. Run `invtl --help`, or `invtl COMMAND --help` for each command."""

from __future__ import annotations

import argparse
import json
import sys

from invtl.data import BACKGROUNDS, TRANSFORMS

EPILOG = """examples:
  invtl data preview --transforms rotate hue blur --objects 0 1 2 3 --out preview.png
  invtl data preview --transforms scale translate rotate --per-transform --out each.png
  invtl bench data                 # batched generation vs the original-like PIL pipeline
"""


def _add_dataset_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--transforms", nargs="*", default=["rotate", "hue", "blur"], metavar="NAME",
                   help=f"transforms in the order they apply; choices: {', '.join(TRANSFORMS)}, none")
    p.add_argument("--size", type=int, default=32, help="image side in pixels (default 32, as in the paper)")
    p.add_argument("--source", default="auto", help="object source: auto, si-score, offline, random or random:SEED")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="invtl", description="Reproduce 'Understanding the Role of Invariance in "
                                     "Transfer Learning' (Speicher et al., TMLR 2024).", epilog=EPILOG,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    data = commands.add_parser("data", help="look at Transforms-2D samples").add_subparsers(dest="action", required=True)
    preview = data.add_parser("preview", help="write a PNG grid of samples",
                              description="Write a PNG grid of Transforms-2D samples: one row with the transforms "
                              "composed in order, or with --per-transform one row per transform alone.")
    _add_dataset_args(preview)
    preview.add_argument("--objects", nargs="+", type=int, default=[0, 1, 2, 3], help="object indices of the source")
    preview.add_argument("--seed", type=int, default=0, help="content seed (objects, backgrounds)")
    preview.add_argument("--transform-seed", type=int, default=None, help="transformation seed (default: --seed)")
    preview.add_argument("--background", default="auto", help=f"one of {', '.join(BACKGROUNDS)}")
    preview.add_argument("--per-row", type=int, default=8, help="samples per row")
    preview.add_argument("--per-transform", action="store_true", help="one row per transform instead of one composed row")
    preview.add_argument("--out", default="preview.png", help="output PNG path (default preview.png)")

    bench = commands.add_parser("bench", help="measure throughput").add_subparsers(dest="action", required=True)
    bench_data = bench.add_parser("data", help="batched generation vs the per-sample PIL pipeline",
                                  description="Images per second of batched Transforms-2D generation on the CPU (and "
                                  "CUDA when present), side by side with an original-like per-sample PIL pipeline in "
                                  "DataLoader workers, in the same run. Both CPU paths use --workers processes of one thread each.")
    _add_dataset_args(bench_data)
    bench_data.add_argument("--workers", type=int, default=2, help="DataLoader worker processes, i.e. CPU cores, for each path")
    bench_data.add_argument("--batch-size", type=int, default=256, help="DataLoader batch size (default 256)")
    bench_data.add_argument("--samples", type=int, default=8192, help="images timed for the PIL path (ours: 8x as many)")
    bench_data.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    return parser


def _preview(args: argparse.Namespace) -> None:
    from invtl.preview import preview

    img = preview(args.transforms, args.objects, seed=args.seed, per_row=args.per_row, per_transform=args.per_transform,
                  size=args.size, source=args.source, background=args.background, transform_seed=args.transform_seed)
    img.save(args.out)
    print(f"wrote {args.out}")


def _bench_data(args: argparse.Namespace) -> None:
    from invtl.bench import bench_data, table

    result = bench_data(args.transforms, size=args.size, workers=args.workers, batch_size=args.batch_size,
                        samples=args.samples, source=args.source)
    if args.json:
        print(json.dumps(result))
    else:
        print(f"Transforms-2D generation, transforms {', '.join(result['transforms'])}, {result['size']} px, "
              f"source {result['source']}, torch {result['torch']}")
        print(table(result))


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    handlers = {("data", "preview"): _preview, ("bench", "data"): _bench_data}
    try:
        handlers[(args.command, args.action)](args)
    except (ValueError, IndexError, ConnectionError) as err:
        print(f"invtl: error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
