"""The package's layering: `t2d` and `engine` are the base, `experiments` build on them, and
`orchestration`, `claims`, `book` and `cli` on the experiments; the base never imports them. Also the size rule."""

from __future__ import annotations

import ast
from pathlib import Path

import invtl

ROOT = Path(invtl.__file__).parent
UPPER = ("invtl.experiments", "invtl.orchestration", "invtl.claims", "invtl.book", "invtl.cli", "invtl.paper")


def _imports(path: Path) -> set[str]:
    """Every module an `import` or `from ... import` in the file names, at any depth (lazy imports too)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names |= {f"{node.module}.{a.name}" for a in node.names}
    return names


def test_base_layers_never_import_the_layers_above():
    offenders = {
        f"{path.relative_to(ROOT.parent)} imports {name}"
        for layer in ("t2d", "engine")
        for path in (ROOT / layer).rglob("*.py")
        for name in _imports(path)
        if name.startswith(UPPER)
    }
    assert not offenders, sorted(offenders)


def test_import_scan_sees_lazy_imports(tmp_path):
    """The scan must see an import inside a function, the form a reverse dependency usually takes."""
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from invtl.experiments import experiment\n    return experiment\n")
    assert "invtl.experiments" in _imports(module)


def test_no_module_over_400_lines():
    long = {
        str(p.relative_to(ROOT.parent)): n for p in ROOT.rglob("*.py") if (n := len(p.read_text().splitlines())) > 400
    }
    assert not long, long
