"""Figures and widgets in the book's style: legible at text width, and widgets that render offline."""

from __future__ import annotations

from collections.abc import Sequence


def setup_notebook() -> None:
    """Matplotlib style for the book (legible at the book's text width) and quiet warnings."""
    import warnings

    import matplotlib as mpl

    warnings.filterwarnings("ignore", category=UserWarning)
    mpl.rcParams.update(
        {
            "figure.dpi": 110,
            "savefig.dpi": 110,
            "figure.figsize": (7.0, 3.6),
            "font.size": 11,
            "axes.titlesize": 12,
            "axes.labelsize": 11,
            "xtick.labelsize": 10,
            "ytick.labelsize": 10,
            "legend.fontsize": 9.5,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "figure.constrained_layout.use": True,
        }
    )


def sample_grid(
    rows: Sequence[tuple[str, object, Sequence[str] | None]],
    zoom: float = 0.62,
    title: str | None = None,
    caption_lines: int = 1,
):
    """A matplotlib figure of image rows: each row is (label, uint8 images (K, 3, S, S), per-image captions
    or None). Row labels and captions are set in the book's font, so they stay legible."""
    import matplotlib.pyplot as plt

    k = max(len(images) for _, images, _ in rows)
    has_caps = any(c for _, _, c in rows)
    h = zoom + (0.18 * caption_lines if has_caps else 0.0)
    fig, axes = plt.subplots(
        len(rows),
        k,
        figsize=(1.6 + zoom * k, h * len(rows) + (0.3 if title else 0)),
        squeeze=False,
        layout="constrained",
    )
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
