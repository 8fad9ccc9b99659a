"""The invtl book: build it (`invtl book`) and the helpers its notebooks share.

`build()` executes every notebook of `notebooks/` with papermill (parameters: profile, seeds,
device, results directory, compute) into `book/_generated/` (git-ignored), which `_toc.yml`
includes, then runs `jupyter-book build` with notebook execution off and warnings as errors.
Result notebooks load what the results store already holds and compute only what is missing (with
`compute=False`, nothing), so with the committed results the book builds without training.

The rest of this module is imported by the notebooks: tables, provenance lines, banners and
figures in one style, so that every chapter reads the same. It is also a Sphinx extension
(`setup`), listed in `_config.yml`, that fixes duplicated script tags of the Jupyter Book 1 stack.
"""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterable, Sequence

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = REPO / "notebooks"
GENERATED = REPO / "book" / "_generated"
BUILD = REPO / "_build"
INDEX = BUILD / "html" / "index.html"
PARAMETER_TAGS = ("parameters", "injected-parameters")
KERNEL = "python3"


class BuildError(Exception):
    """A notebook or the HTML build failed; the message says where to look."""


def notebook_names() -> list[str]:
    """The book's source notebooks (file stems in `notebooks/`), sorted."""
    return sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb"))


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


def execute(name: str, parameters: dict, log=print) -> Path:
    """Run `notebooks/NAME.ipynb` with papermill into `book/_generated/NAME.ipynb` (in a subprocess whose
    output goes to `book/_generated/NAME.log`)."""
    src, out = NOTEBOOKS / f"{name}.ipynb", GENERATED / f"{name}.ipynb"
    GENERATED.mkdir(parents=True, exist_ok=True)
    logfile = GENERATED / f"{name}.log"
    cmd = [sys.executable, "-m", "papermill", str(src), str(out), "-y", json.dumps(parameters), "-k", KERNEL,
           "--cwd", str(GENERATED), "--no-progress-bar", "--log-level", "WARNING"]
    start = time.perf_counter()
    with open(logfile, "w") as f:
        proc = subprocess.run(cmd, cwd=REPO, stdout=f, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    if proc.returncode != 0:
        raise BuildError(f"notebook {src.relative_to(REPO)} failed: {_error_of(out)} (traceback in "
                         f"{out.relative_to(REPO)}, log in {logfile.relative_to(REPO)})")
    stderr = _finish(out)
    log(f"  {name}: executed in {time.perf_counter() - start:.1f} s")
    for text in stderr:
        log(f"  {name}: stderr (not shown in the book): {text.splitlines()[-1][:200]}")
    return out


def _jupyter_book() -> list[str]:
    exe = Path(sys.executable).with_name("jupyter-book")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "jupyter_book.cli.main"]


def build_html(log=print) -> Path:
    """`jupyter-book build` of the repository, all pages, warnings as errors; returns index.html."""
    start = time.perf_counter()
    cmd = [*_jupyter_book(), "build", str(REPO), "--all", "-W", "--keep-going"]
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-40:])
        raise BuildError(f"jupyter-book build failed (exit {proc.returncode}):\n{tail}")
    log(f"  HTML built in {time.perf_counter() - start:.1f} s")
    return INDEX


def build(profile: str = "smoke", only: str | None = None, device: str = "auto", results: str | None = None,
          seeds: list[int] | None = None, compute: bool = True, html: bool = True, log=print) -> Path:
    """Execute the notebooks (all, or `only` one; the others reuse their last executed copy when it was
    run with the same parameters) and build the HTML. Returns the path of index.html."""
    from invtl.profiles import PROFILES
    from invtl.runner import resolve_device
    from invtl.store import Store

    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; valid: {', '.join(PROFILES)}")
    names = notebook_names()
    if only is not None and only not in names:
        raise ValueError(f"unknown notebook {only!r}; valid: {', '.join(names)}")
    resolve_device(device)  # bad device: one line, exit 2
    root = Path(results).resolve() if results else Store().root
    parameters = {"profile": profile, "seeds": seeds, "device": device, "results": str(root), "compute": compute}
    log(f"invtl book: profile {profile}, results {root}, device {device}")
    for name in names:
        if only is not None and name != only and _executed_parameters(GENERATED / f"{name}.ipynb") == parameters:
            log(f"  {name}: reusing book/_generated/{name}.ipynb")
            continue
        execute(name, parameters, log)
    return build_html(log) if html else INDEX


# --- command line (registered in invtl/cli.py) ----------------------------------------------------

def add_parser(commands) -> None:
    p = commands.add_parser(
        "book", help="execute the notebooks and build the book (HTML)",
        description="Execute every notebook in notebooks/ with papermill into book/_generated/, computing results "
                    "that the store does not hold yet, then build the Jupyter Book into _build/html/ (warnings are "
                    "errors). With the committed results the smoke book builds in minutes on a CPU, without training.")
    p.add_argument("--profile", default="smoke", help="results profile: smoke (default), cpu, fast or paper")
    p.add_argument("--only", default=None, metavar="NAME",
                   help="re-execute this notebook only (e.g. e6_transform_mismatch); the others are reused when "
                        "they were executed with the same parameters")
    p.add_argument("--device", default="auto", help="device for computing missing results: auto, cpu, cuda or cuda:N")
    p.add_argument("--results", default=None, metavar="DIR", help="results directory (default: the repository's results/)")
    p.add_argument("--seeds", nargs="+", type=int, default=None, help="seed ids (default: each experiment's profile seeds)")
    p.add_argument("--no-compute", dest="compute", action="store_false",
                   help="show only what the results store holds; compute nothing")
    p.add_argument("--no-html", dest="html", action="store_false", help="execute the notebooks but skip the HTML build")


def main(args) -> None:
    start = time.perf_counter()
    try:
        index = build(args.profile, only=args.only, device=args.device, results=args.results, seeds=args.seeds,
                      compute=args.compute, html=args.html)
    except BuildError as e:
        print(f"invtl: error: {e}", file=sys.stderr)
        sys.exit(1)
    print(f"book built in {time.perf_counter() - start:.0f} s: {index}")


# --- Sphinx extension ------------------------------------------------------------------------------

_SCRIPT = re.compile(r"<script\b[^>]*>.*?</script>", re.S)


def dedupe_scripts(html_text: str) -> str:
    """Drop every repeat of an identical <script> element (the first one stays)."""
    seen: set[str] = set()

    def keep_first(m: re.Match) -> str:
        if m.group() in seen:
            return ""
        seen.add(m.group())
        return m.group()

    return _SCRIPT.sub(keep_first, html_text)


def _dedupe_pages(app, exception) -> None:
    """Jupyter Book 1 writes some script tags twice per page: sphinx-thebe's inline `const THEBE_JS_URL`
    (a syntax error the second time) and the widget manager, which myst-nb adds both globally and per
    page. Remove the repeats from every written page."""
    if exception is not None or getattr(app.builder, "format", None) != "html":
        return
    for page in Path(app.outdir).rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        fixed = dedupe_scripts(text)
        if fixed != text:
            page.write_text(fixed, encoding="utf-8")


def setup(app):
    app.connect("build-finished", _dedupe_pages)
    return {"parallel_read_safe": True, "parallel_write_safe": True}


# --- notebook helpers -----------------------------------------------------------------------------

def setup_notebook() -> None:
    """Matplotlib style for the book (legible at the book's text width) and quiet warnings."""
    import warnings

    import matplotlib as mpl

    warnings.filterwarnings("ignore", category=UserWarning)
    mpl.rcParams.update({
        "figure.dpi": 110, "savefig.dpi": 110, "figure.figsize": (7.0, 3.6), "font.size": 11,
        "axes.titlesize": 12, "axes.labelsize": 11, "xtick.labelsize": 10, "ytick.labelsize": 10,
        "legend.fontsize": 9.5, "axes.spines.top": False, "axes.spines.right": False, "axes.grid": True,
        "grid.alpha": 0.3, "figure.constrained_layout.use": True,
    })


def md(text: str) -> None:
    """Display Markdown (MyST: admonitions and roles work) as a cell output."""
    from IPython.display import Markdown, display

    display(Markdown(text))


def _cell(value, bold_markers: bool = True) -> str:
    text = html.escape(str(value))
    if bold_markers:
        text = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", text)
    return text


_NUMERIC = re.compile(r"^[\s≈~<>≥≤*]*[-−+]?(\d+(\.\d*)?|\.\d+)")


def html_table(columns: Sequence[str], rows: Iterable[Sequence], caption: str | None = None,
               left: int = 1, classes: str = "", wrap: bool = False) -> str:
    """An HTML table in the book's style: the first `left` columns left-aligned, the others right-aligned
    with tabular figures; `**x**` in a cell is shown bold."""
    head = "".join(f'<th class="{"l" if i < left else "r"}">{_cell(c)}</th>' for i, c in enumerate(columns))
    body = []
    for row in rows:
        cells = "".join(f'<td class="{"l" if i < left else "r"}">{v if isinstance(v, _Raw) else _cell(v)}</td>'
                        for i, v in enumerate(row))
        body.append(f"<tr>{cells}</tr>")
    cap = f'<p class="invtl-caption">{_cell(caption)}</p>' if caption else ""
    classes += " invtl-wrap" if wrap else ""
    return (f'<div class="invtl-tablewrap">{cap}<table class="invtl-table {classes}"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table></div>')


class _Raw(str):
    """A table cell that is already HTML."""


def raw(text: str) -> _Raw:
    return _Raw(text)


def show_html(text: str) -> None:
    from IPython.display import HTML, display

    display(HTML(text))


def verdict_badge(verdict: str) -> _Raw:
    cls = {"holds": "holds", "fails": "fails"}.get(verdict, "notrun")
    return raw(f'<span class="invtl-verdict {cls}">{html.escape(verdict)}</span>')


def paper_table(table_id: str) -> str:
    """One reference table of `paper_values` as HTML, with its provenance tag and notes."""
    from invtl import paper_values as pv

    t = pv.TABLES[table_id]
    left = 2 if t.columns[:2] in (("panel", "x value"),) else 1
    caption = f"{t.id}: {t.title} (paper, {t.provenance})"
    notes = "".join(f'<p class="invtl-note">{_cell(n)}</p>' for n in t.notes)
    return html_table(t.columns, t.rows, caption=caption, left=left) + notes


def paper_section(experiment: str) -> None:
    """The paper's setup line, every reference table and text result of one experiment id."""
    from invtl import paper_values as pv

    e = pv.EXPERIMENTS[experiment]
    md(f"**Setup (paper):** {e.setup} Provenance {e.provenance}: {pv.PROVENANCE_TAGS[e.provenance]}.")
    for t in pv.tables(experiment):
        show_html(paper_table(t.id))
    for n in pv.NOTES.values():
        if n.experiment == experiment:
            md(f"**{n.id}: {n.title}** (paper, {n.provenance})\n\n" + "\n".join(f"- {b}" for b in n.bullets))


def claim_statements(experiment: str) -> None:
    """The paper's headline claims for one experiment id, as written in paper-values.md."""
    from invtl import paper_values as pv

    parts = []
    for c in pv.claims(experiment):
        parts.append(f"**{c.id}: {c.title}.**\n\n" + "\n".join(f"- {b}" for b in c.bullets))
    md("\n\n".join(parts))


def claims_table(ids: Sequence[str], profile: str, results: str | None, seeds=None) -> str:
    """The "paper vs reproduced" verdict table for some claims, from the results store."""
    from invtl import claims, paper_values as pv

    outcomes = claims.evaluate(profile, results, ids=list(ids), seeds=seeds)
    rows = [(raw(f"<b>{o.id}</b> {html.escape(pv.CLAIMS[o.id].title)}"), o.paper, o.ours, verdict_badge(o.verdict))
            for o in outcomes]
    return html_table(("claim", "paper", f"ours (profile {profile})", "verdict"), rows, left=4, classes="invtl-claims")


def profile_banner(profile: str, experiment: str | None = None) -> None:
    """Say plainly what the numbers of this profile can and cannot show."""
    from invtl.profiles import PROFILES

    if profile == "smoke":
        md(":::{warning}\nThe numbers on this page come from the **smoke** profile: tiny datasets, a couple of "
           "epochs, narrow networks and a single seed. They show that the pipeline runs end to end and that the "
           "book is generated from the results store; they are **not evidence for or against the paper's "
           "findings**. Rebuild the book with `--profile fast` or `--profile paper` for those.\n:::")
    elif profile != "paper":
        md(f":::{{note}}\nThe numbers on this page come from the **{profile}** profile ({PROFILES[profile]}). "
           "Its settings differ from the paper's (see the settings table); compare trends, not decimals.\n:::")


def provenance_line(records: list[dict], profile: str) -> str:
    """One line: profile, seeds, device, code commit and dates of the records shown."""
    if not records:
        return f"**Provenance:** profile `{profile}`; no results in the store."
    seeds = sorted({s for r in records for s in _as_list(r["provenance"].get("seeds"))})
    devices = sorted({r["provenance"].get("device", "?") for r in records})
    commits = sorted({r["provenance"].get("git_commit", "?")[:12] + ("-dirty" if r["provenance"].get("git_commit", "").endswith("-dirty") else "")
                      for r in records})
    dates = sorted(r["provenance"].get("date", "?")[:10] for r in records)
    torch_v = sorted({r["provenance"].get("torch_version", "?") for r in records})
    wall = sum(r["provenance"].get("wall_time_s", 0.0) for r in records)
    when = dates[0] if dates[0] == dates[-1] else f"{dates[0]} to {dates[-1]}"
    return (f"**Provenance:** profile `{profile}` · {len(records)} results · seeds {', '.join(map(str, seeds))} · "
            f"device {', '.join(devices)} · commit {', '.join(commits)} · torch {', '.join(torch_v)} · "
            f"computed {when} · {wall / 60:.1f} min of compute")


def _as_list(x) -> list:
    if x is None:
        return []
    return list(x) if isinstance(x, (list, tuple)) else [x]


def settings_table(experiment: str, profile: str) -> str:
    """This profile's settings for an experiment next to the paper's."""
    from invtl.profiles import SETTINGS

    by = SETTINGS[experiment]
    rows = [(k, _fmt_setting(by[profile].get(k)), _fmt_setting(v)) for k, v in by["paper"].items()]
    return html_table(("setting", f"{profile}", "paper"), rows, wrap=True,
                      caption=f"Settings of {experiment}: profile {profile} vs the paper's protocol")


def _fmt_setting(v) -> str:
    if isinstance(v, list):
        return ", ".join(_fmt_setting(x) for x in v)
    if isinstance(v, int) and not isinstance(v, bool) and abs(v) >= 10_000:
        return f"{v:,}".replace(",", " ")
    return str(v)


def load(experiment: str, profile: str, results: str | None, seeds=None) -> list[dict]:
    """The stored records of the experiment's current grid (see `invtl.claims.grid_records`)."""
    from invtl.claims import grid_records

    return grid_records(experiment, profile, seeds, results)


def compute_missing(experiment: str, profile: str, seeds, device: str, results: str | None, compute: bool) -> str:
    """Compute the results the store lacks (when `compute`); returns a one-line Markdown summary."""
    import invtl.experiments  # noqa: F401  (registers the experiments)
    from invtl import runner

    if experiment not in runner.EXPERIMENTS:
        return f"Experiment `{experiment}` is not implemented yet."
    if not compute:
        return "Nothing computed for this page (`compute=False`): it shows what the results store holds."
    start = time.perf_counter()
    counts = runner.run(experiment, profile, seeds=seeds, device=device, results=results, progress=False)
    took = time.perf_counter() - start
    if counts["computed"]:
        return (f"Computed {counts['computed']} missing results in {took:.0f} s; {counts['skipped']} were already "
                "in the store.")
    return f"All {counts['skipped']} results of this page were already in the results store; nothing was recomputed."


def rerun_hint(name: str, profile: str) -> None:
    md(f"To regenerate this page alone: `invtl book --only {name} --profile {profile}` (add `--device cuda` on a "
       f"GPU), or with papermill directly: `papermill notebooks/{name}.ipynb out.ipynb -p profile {profile}`.")


def sample_grid(rows: Sequence[tuple[str, "object", Sequence[str] | None]], zoom: float = 0.62, title: str | None = None,
                caption_lines: int = 1):
    """A matplotlib figure of image rows: each row is (label, uint8 images (K, 3, S, S), per-image captions
    or None). Row labels and captions are set in the book's font, so they stay legible."""
    import matplotlib.pyplot as plt

    k = max(len(images) for _, images, _ in rows)
    has_caps = any(c for _, _, c in rows)
    h = zoom + (0.18 * caption_lines if has_caps else 0.0)
    fig, axes = plt.subplots(len(rows), k, figsize=(1.6 + zoom * k, h * len(rows) + (0.3 if title else 0)),
                             squeeze=False, layout="constrained")
    for r, (label, images, caps) in enumerate(rows):
        for c in range(k):
            ax = axes[r][c]
            ax.set_xticks([]), ax.set_yticks([]), ax.grid(False)
            for s in ax.spines.values():
                s.set_visible(False)
            if c < len(images):
                ax.imshow(images[c].permute(1, 2, 0).cpu().numpy(), interpolation="nearest")
                if caps:
                    ax.set_xlabel(caps[c], fontsize=8, labelpad=2)
        axes[r][0].set_ylabel(label, rotation=0, ha="right", va="center", fontsize=10, labelpad=6)
    if title:
        fig.suptitle(title, fontsize=11)
    return fig


def figure_png(fig) -> bytes:
    """PNG bytes of a matplotlib figure (which is then closed)."""
    import io

    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()


def image_widget(fig):
    """An ipywidgets Image of a matplotlib figure. Widgets hold figures and tables as Image and HTML
    widgets rather than Output widgets: their state is plain data, so executing the notebook does not
    depend on capturing outputs into widgets, and the saved state renders in the static book."""
    import ipywidgets as widgets

    return widgets.Image(value=figure_png(fig), format="png", layout=widgets.Layout(max_width="100%", height="auto"))


def html_widget(text: str):
    import ipywidgets as widgets

    return widgets.HTML(value=text)


def parameter_captions(params: list[dict], names: Sequence[str]) -> list[list[str]]:
    """Per-sample short captions from `Transforms2D.render` parameters (one dict of tensors per transform)."""
    n = None
    for p in params:
        for v in p.values():
            n = len(v)
            break
    out = []
    for i in range(n or 0):
        parts = []
        for name, p in zip(names, params):
            parts.append(_short_param(name, {k: v[i] for k, v in p.items() if k not in ("noise", "displacement")}))
        out.append(" ".join(x for x in parts if x))
    return out


def _short_param(name: str, p: dict) -> str:
    def f(x) -> float:
        return float(x.item() if hasattr(x, "item") else x)

    if "apply" in p and not bool(f(p["apply"])):
        return "off"
    if name == "scale":
        return f"f={f(p['f']):.2f}"
    if name == "translate":
        return f"({int(f(p['px']))},{int(f(p['py']))})"
    if name == "rotate":
        return f"{f(p['angle']):.0f}°"
    if name == "shear":
        return f"{f(p['sx']):.0f}°,{f(p['sy']):.0f}°"
    if name == "hue":
        return f"h={f(p['h']):+.2f}"
    if name == "brightness":
        return f"b={f(p['b']):.2f}"
    if name == "contrast":
        return f"c={f(p['c']):.2f}"
    if name == "blur":
        return f"σ={f(p['sigma']):.2f}"
    if name == "erasing":
        return f"at {int(f(p['x']))},{int(f(p['y']))}"
    return "on"
