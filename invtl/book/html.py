"""HTML and Markdown pieces of the book's pages: tables in one style, verdict badges, the paper's tables."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence

from invtl import paper


def md(text: str) -> None:
    """Display Markdown (MyST: admonitions and roles work) as a cell output."""
    from IPython.display import Markdown, display

    display(Markdown(text))


def show_html(text: str) -> None:
    from IPython.display import HTML, display

    display(HTML(text))


def _cell(value, bold_markers: bool = True) -> str:
    text = html.escape(str(value))
    if bold_markers:
        text = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", text)
    return text


def html_table(
    columns: Sequence[str],
    rows: Iterable[Sequence],
    caption: str | None = None,
    left: int = 1,
    classes: str = "",
    wrap: bool = False,
    row_classes: Sequence[str] | None = None,
) -> str:
    """An HTML table in the book's style: the first `left` columns left-aligned, the others right-aligned
    with tabular figures; `**x**` in a cell is shown bold; `row_classes` gives each body row a CSS class."""
    head = "".join(f'<th class="{"l" if i < left else "r"}">{_cell(c)}</th>' for i, c in enumerate(columns))
    body = []
    for k, row in enumerate(rows):
        cells = "".join(
            f'<td class="{"l" if i < left else "r"}">{v if isinstance(v, _Raw) else _cell(v)}</td>'
            for i, v in enumerate(row)
        )
        css = f' class="{row_classes[k]}"' if row_classes else ""
        body.append(f"<tr{css}>{cells}</tr>")
    cap = f'<p class="invtl-caption">{_cell(caption)}</p>' if caption else ""
    classes += " invtl-wrap" if wrap else ""
    return (
        f'<div class="invtl-tablewrap">{cap}<table class="invtl-table {classes}"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )


class _Raw(str):
    """A table cell that is already HTML."""


def raw(text: str) -> _Raw:
    return _Raw(text)


def verdict_badge(verdict: str) -> _Raw:
    cls = {"holds": "holds", "fails": "fails", "partial": "partial", "untestable": "untestable"}.get(verdict, "notrun")
    return raw(f'<span class="invtl-verdict {cls}">{html.escape(verdict)}</span>')


def paper_table(table_id: str) -> str:
    """One reference table of `paper_values` as HTML, with its provenance tag and notes."""
    t = paper.TABLES[table_id]
    left = 2 if t.columns[:2] in (("panel", "x value"),) else 1
    caption = f"{t.id}: {t.title} (paper, {t.provenance})"
    notes = "".join(f'<p class="invtl-note">{_cell(n)}</p>' for n in t.notes)
    return html_table(t.columns, t.rows, caption=caption, left=left) + notes


def show(*items: object) -> None:
    """Display items in order: a figure (then closed), HTML (a string starting with "<"), Markdown (any other
    string), or anything else IPython can display (a widget)."""
    import matplotlib.pyplot as plt
    from IPython.display import display
    from matplotlib.figure import Figure

    for item in items:
        if isinstance(item, str):
            (show_html if item.lstrip().startswith("<") else md)(item)
        else:
            display(item)
            if isinstance(item, Figure):
                plt.close(item)
