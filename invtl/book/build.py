"""`invtl book`: execute the notebooks with papermill, then build the HTML with Jupyter Book 1.

`build()` executes every notebook of the checkout's `notebooks/` (parameters: profile, seeds, device,
results directory, compute) into `book/_generated/` (git-ignored), which `_toc.yml` includes, then runs
`jupyter-book build` with notebook execution off and warnings as errors. It builds the checkout it is
run in (the current directory, or `root`), not the tree the package was installed from. Result notebooks
load what the results store holds and compute only what is missing (with `compute=False`, nothing), so
with the committed results the book builds without training.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from invtl import paths

PARAMETER_TAGS = ("parameters", "injected-parameters")
KERNEL = "python3"


@dataclass(frozen=True)
class Layout:
    """Where a checkout keeps the book's sources and outputs."""

    root: Path

    @property
    def notebooks(self) -> Path:
        return self.root / "notebooks"

    @property
    def generated(self) -> Path:
        return self.root / "book" / "_generated"

    @property
    def index(self) -> Path:
        return self.root / "_build" / "html" / "index.html"


def layout(root: str | os.PathLike | None = None) -> Layout:
    """The checkout at `root`, or the one containing the current directory."""
    found = paths.checkout(root)
    if found is None:
        where = Path(root or Path.cwd()).resolve()
        raise ValueError(
            f"{where} is not inside an invtl checkout (no _toc.yml and notebooks/ above it); "
            "valid: run in a clone of the repository, or pass --root DIR"
        )
    return Layout(found)


class BuildError(Exception):
    """A notebook or the HTML build failed; the message says where to look."""


def notebook_names(where: Layout | None = None) -> list[str]:
    """The book's source notebooks (file stems in `notebooks/`), sorted."""
    return sorted(p.stem for p in (where or layout()).notebooks.glob("*.ipynb"))


def _executed_parameters(path: Path) -> dict | None:
    try:
        nb = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return None
    meta = nb.get("metadata", {}).get("papermill", {})
    if meta.get("exception") or meta.get("status") == "failed":
        return None
    return meta.get("parameters")


def _finish(path: Path) -> list[str]:
    """Hide the parameter cells of an executed notebook; return what its cells wrote to stderr."""
    nb = json.loads(path.read_text())
    stderr = []
    for cell in nb["cells"]:
        tags = cell.setdefault("metadata", {}).setdefault("tags", [])
        if any(t in tags for t in PARAMETER_TAGS) and "remove-cell" not in tags:
            tags.append("remove-cell")
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream" and out.get("name") == "stderr":
                text = "".join(out.get("text", ""))
                if text.strip():
                    stderr.append(text.strip())
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
    return stderr


def _error_of(path: Path) -> str:
    """The first error output of an executed notebook, as 'cell N: Name: message'."""
    try:
        nb = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return "no executed copy was written"
    for cell in nb.get("cells", []):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                return f"cell {cell.get('execution_count')}: {out.get('ename')}: {out.get('evalue')}"
    return "see the log"


def execute(where: Layout, name: str, parameters: dict, log=print) -> Path:
    """Run `notebooks/NAME.ipynb` with papermill into `book/_generated/NAME.ipynb` (in a subprocess whose
    output goes to `book/_generated/NAME.log`)."""
    src, out = where.notebooks / f"{name}.ipynb", where.generated / f"{name}.ipynb"
    where.generated.mkdir(parents=True, exist_ok=True)
    logfile = where.generated / f"{name}.log"
    cmd = [
        sys.executable,
        "-m",
        "papermill",
        str(src),
        str(out),
        "-y",
        json.dumps(parameters),
        "-k",
        KERNEL,
        "--cwd",
        str(where.generated),
        "--no-progress-bar",
        "--log-level",
        "WARNING",
    ]
    start = time.perf_counter()
    with open(logfile, "w") as f:
        proc = subprocess.run(
            cmd, cwd=where.root, stdout=f, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONWARNINGS": "ignore"}
        )
    if proc.returncode != 0:
        raise BuildError(
            f"notebook {src.relative_to(where.root)} failed: {_error_of(out)} (traceback in "
            f"{out.relative_to(where.root)}, log in {logfile.relative_to(where.root)})"
        )
    stderr = _finish(out)
    log(f"  {name}: executed in {time.perf_counter() - start:.1f} s")
    for text in stderr:
        log(f"  {name}: stderr (not shown in the book): {text.splitlines()[-1][:200]}")
    return out


def _jupyter_book() -> list[str]:
    exe = Path(sys.executable).with_name("jupyter-book")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "jupyter_book.cli.main"]


def build_html(where: Layout, log=print) -> Path:
    """`jupyter-book build` of the checkout, all pages, warnings as errors; returns index.html."""
    start = time.perf_counter()
    cmd = [*_jupyter_book(), "build", str(where.root), "--all", "-W", "--keep-going"]
    proc = subprocess.run(cmd, cwd=where.root, capture_output=True, text=True)
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-40:])
        raise BuildError(f"jupyter-book build failed (exit {proc.returncode}):\n{tail}")
    log(f"  HTML built in {time.perf_counter() - start:.1f} s")
    return where.index


PREFERENCE = ("paper", "fast", "cpu", "smoke")
"""`invtl book` without --profile shows the first of these whose results cover every experiment."""


def default_profile(results: Path) -> str:
    """The most complete profile in `results`: the first of `PREFERENCE` with a stored result of every
    experiment's grid (smoke when none has)."""
    from invtl.claims import grid_records
    from invtl.experiments import SPECS

    for profile in PREFERENCE:
        if all(
            (results / profile / name).is_dir() and grid_records(name, profile, None, str(results)) for name in SPECS
        ):
            return profile
    return "smoke"


def build(
    profile: str | None = None,
    only: str | None = None,
    device: str = "auto",
    results: str | None = None,
    seeds: list[int] | None = None,
    compute: bool = True,
    html: bool = True,
    root: str | None = None,
    precision: str | None = None,
    log=print,
) -> Path:
    """Execute the notebooks (all, or `only` one; the others reuse their last executed copy when it was
    run with the same parameters) and build the HTML. Returns the path of index.html."""
    from invtl.engine.runner import resolve_device
    from invtl.engine.train import resolve_precision
    from invtl.profiles import check_profile

    resolve_precision(precision or "auto", resolve_device(device))  # bad device or precision: one line, exit 2
    if precision:
        os.environ["INVTL_PRECISION"] = precision  # the notebooks' runs inherit it
    where = layout(root)
    if profile is None:
        profile = default_profile(Path(results).resolve() if results else where.root / "results")
        log(f"invtl book: no --profile given; building the most complete committed profile: {profile}")
        if profile != "smoke" and compute:
            # a bare `invtl book` shows what is committed; hours of training need an explicit --profile
            compute = False
            log(
                f"invtl book: showing the stored {profile} results only (pass --profile {profile} to compute missing ones)"
            )
    check_profile(profile)
    names = notebook_names(where)
    if only is not None and only not in names:
        raise ValueError(f"unknown notebook {only!r}; valid: {', '.join(names)}")
    results_dir = Path(results).resolve() if results else where.root / "results"
    parameters = {"profile": profile, "seeds": seeds, "device": device, "results": str(results_dir), "compute": compute}
    log(f"invtl book: {where.root}, profile {profile}, results {results_dir}, device {device}")
    for name in names:
        if only is not None and name != only and _executed_parameters(where.generated / f"{name}.ipynb") == parameters:
            log(f"  {name}: reusing book/_generated/{name}.ipynb")
            continue
        execute(where, name, parameters, log)
    return build_html(where, log) if html else where.index


def main(args) -> int:
    """`invtl book`: exit 1 when a notebook or the HTML build fails."""
    start = time.perf_counter()
    try:
        index = build(
            args.profile,
            only=args.only,
            device=args.device,
            results=args.results,
            seeds=args.seeds,
            compute=args.compute,
            html=args.html,
            root=args.root,
            precision=args.precision,
        )
    except BuildError as e:
        print(f"invtl: error: {e}", file=sys.stderr)
        return 1
    print(f"book built in {time.perf_counter() - start:.0f} s: {index}")
    return 0
