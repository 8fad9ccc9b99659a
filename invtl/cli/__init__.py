"""The `invtl` command line. Run `invtl --help`, or `invtl COMMAND --help` for each command.

`parser` builds the arguments and their help; `commands` holds what each command does. No traceback reaches
the user: bad input and unusable paths are one line and exit 2, any other OS error one line and exit 1,
Ctrl-C one line and exit 130."""

from __future__ import annotations

import sys
import warnings

from invtl.cli import commands, parser, store
from invtl.profiles import PROFILES


def _one_line_warning(message, category, filename, lineno, line=None) -> str:
    return f"invtl: warning: {message}\n"


HANDLERS = {
    ("data", "preview"): commands.preview,
    ("data", "si-score-manifest"): commands.si_score_manifest,
    ("bench", "data"): commands.bench_data,
    ("bench", "train"): commands.bench_train,
    ("bench", "compile"): commands.bench_compile,
    ("bench", "precision"): commands.bench_precision,
    ("run", None): commands.run,
    ("book", None): commands.book,
    ("claims", None): commands.claims,
    ("plan", None): commands.plan,
    ("status", None): commands.status,
    ("store", "check"): store.check,
    ("store", "verify"): store.verify_records,
}


def main(argv: list[str] | None = None) -> int:
    warnings.formatwarning = _one_line_warning
    args = parser.build().parse_args(argv)
    if getattr(args, "profile", None) is not None and args.profile not in PROFILES:
        print(f"invtl: error: unknown profile {args.profile!r}; valid: {', '.join(PROFILES)}", file=sys.stderr)
        return 2
    try:
        return HANDLERS[(args.command, getattr(args, "action", None))](args)
    except (ValueError, IndexError, ConnectionError) as err:
        print(f"invtl: error: {err}", file=sys.stderr)
        return 2
    except OSError as err:
        where = f": {err.filename}" if err.filename else ""
        print(f"invtl: error: {err.strerror or (str(err).splitlines() or [''])[0]}{where}", file=sys.stderr)
        return 1
    except KeyboardInterrupt as err:
        kept = f"; {err.kept} results kept" if hasattr(err, "kept") else ""
        print(f"invtl: interrupted{kept}; run the same command to resume", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
