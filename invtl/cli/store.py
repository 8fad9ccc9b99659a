"""`invtl store`: check the results store against the grids, and verify stored records by recomputing them."""

from __future__ import annotations

import argparse
import json
import sys

from invtl.cli.commands import missing_results_dir
from invtl.cli.parser import add_store_args


def add_parsers(commands: argparse._SubParsersAction) -> None:
    """The `store check` and `store verify` subcommands, under the `invtl` subcommands `commands`."""
    store = commands.add_parser("store", help="inspect the results store").add_subparsers(dest="action", required=True)
    check = store.add_parser(
        "check",
        help="list missing, corrupt, orphaned, dirty and changed-code records of a profile",
        description="Check the results store of one profile against every experiment's grid: missing jobs, corrupt "
        "files (unreadable, wrong hash, incomplete result), orphaned records (configurations no longer in "
        "the grid: older settings or semantics), records computed from uncommitted code (dirty), and "
        "records whose result-computing code changed since their commit (kept: same configuration; one line "
        "per commit, naming the files; `invtl store verify` recomputes some). Exit 1 when a record is missing "
        "or corrupt.",
    )
    add_store_args(check)
    check.add_argument("--json", action="store_true", help="print one JSON object: experiment -> category -> entries")
    verify = store.add_parser(
        "verify",
        help="recompute a few stored records with this code and compare them number by number",
        description="Recompute stored records with the code of this checkout, in a fresh temporary cache (no "
        "checkpoint or cached data is reused) and with each record's own precision, and compare every number of "
        "the result with the stored one. It picks the cheapest record of each commit that computed results, in "
        "turn, so a few picks cover the records `store check` lists as changed. Exit 1 when a number differs by "
        "more than --tolerance.",
    )
    add_store_args(verify)
    verify.add_argument("--count", type=int, default=1, help="records per experiment (default 1)")
    verify.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N (default auto)")
    verify.add_argument(
        "--tolerance", type=float, default=0.0, help="largest absolute difference that passes (default 0: identical)"
    )
    verify.add_argument("--json", action="store_true", help="print one JSON list: one object per record")
    verify.add_argument(
        "--save", action="store_true", help="add the checks to RESULTS/PROFILE/verify.json (shown by the book)"
    )


def check(args: argparse.Namespace) -> int:
    from invtl.engine import runner, store
    from invtl.experiments import SPECS, experiment

    if (code := missing_results_dir(args)) is not None:
        return code
    root = store.Store(args.results) if args.results else store.Store()
    report = {}
    for name in args.only or SPECS:
        exp = experiment(name)
        configs = [j.config for j in runner.select_jobs(exp, args.profile, None, None, (1, 1))]
        report[name] = store.audit(root, args.profile, name, configs, exp.result_keys, exp.code)
    if args.json:
        print(json.dumps(report, indent=1))
    else:
        for name, found in report.items():
            counts = ", ".join(f"{len(v)} {k}" for k, v in found.items() if k != "changed")
            counts += f", {len(found['changed'])} commits whose code changed since"
            print(f"{name} [{args.profile}]: {counts}")
            for category, entries in found.items():
                for entry in entries[:20]:
                    print(f"  {category}: {entry}")
                if len(entries) > 20:
                    print(f"  {category}: ... {len(entries) - 20} more")
    bad = any(found["missing"] or found["corrupt"] for found in report.values())
    return 1 if bad else 0


def verify_records(args: argparse.Namespace) -> int:
    from invtl.engine import store, verify
    from invtl.experiments import SPECS, experiment

    if (code := missing_results_dir(args)) is not None:
        return code
    if args.count < 1:
        print(f"invtl: error: --count {args.count} must be at least 1", file=sys.stderr)
        return 2
    root = store.Store(args.results) if args.results else store.Store()
    checked = []
    for name in args.only or SPECS:
        checked += verify.verify(experiment(name), args.profile, root, args.count, args.device, not args.json)
    bad = [c for c in checked if c["max_abs_diff"] > args.tolerance]
    if args.save and checked:
        print(f"saved to {verify.save(root, args.profile, checked)}", file=sys.stderr)
    if args.json:
        print(json.dumps(checked, indent=1))
    else:
        for c in checked:
            outcome = (
                f"identical ({c['values']} numbers)"
                if not c["differ"]
                else f"{c['differ']} of {c['values']} numbers differ, largest by {c['max_abs_diff']:.3g} at {c['where']}"
            )
            print(
                f"{c['experiment']} {c['record']} (commit {c['commit']}, {c['stored_on']}; recomputed on "
                f"{c['recomputed_on']}): {outcome}"
            )
        if not checked:
            print(f"no stored records of profile {args.profile} to verify")
    return 1 if bad else 0
