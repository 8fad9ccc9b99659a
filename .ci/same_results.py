"""CI: two runs of one grid hold the same records with byte-identical results (canonical JSON).

Usage: python .ci/same_results.py LOCAL_DIR OTHER_DIR LABEL; exits 1 naming what differs."""

import json
import sys
from pathlib import Path


def main(local_dir: str, other_dir: str, label: str) -> int:
    local, other = ({p.name: json.loads(p.read_text()) for p in Path(d).glob("*.json")} for d in (local_dir, other_dir))
    if not local or sorted(local) != sorted(other):
        print(f"record files differ: local {sorted(local)}, {label} {sorted(other)}", file=sys.stderr)
        return 1
    canonical = {name: [json.dumps(r[name]["result"], sort_keys=True) for r in (local, other)] for name in local}
    differ = [name for name, (a, b) in canonical.items() if a != b]
    if differ:
        print(f"{len(differ)} of {len(local)} results differ, local vs {label}: {', '.join(differ)}", file=sys.stderr)
        return 1
    print(f"{len(local)} records: results byte-identical, local run vs {label} job array")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
