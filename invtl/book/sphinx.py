"""Sphinx extension of the book (listed in `_config.yml`): removes duplicated script tags that the
Jupyter Book 1 stack writes into every page."""

from __future__ import annotations

import re
from pathlib import Path

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
