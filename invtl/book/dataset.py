"""The dataset chapter: Transforms-2D samples per transformation with their drawn parameters, the paper's
example figures, twins, the sources' objects and backgrounds, and an explorer widget.

Figures are returned closed (detached from pyplot): show them with `display(fig)`.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import torch

from invtl.book.html import html_table
from invtl.book.style import figure_png, image_widget, sample_grid
from invtl.t2d import sources
from invtl.t2d.dataset import CATEGORIES, GATED, TRANSFORMS, Transforms2D
from invtl.t2d.preview import parameter_captions

SEED = 0
PAPER_OBJECTS = (28, 5, 34, 16)
"""The objects of the paper's example figure (E-0)."""
PAPER_EXAMPLES = (("rotate", 28), ("hue", 5), ("blur", 34), ("translate", 16))
"""E-0: one transformation per row, each on one object."""
TWIN_TRANSFORMS = ("rotate", "hue", "blur")
DESCRIPTION = {
    "scale": "resize by f ~ U[0.4, 1.0), re-centred",
    "translate": "shift so the object's box lands at a uniform position (≈ ±5 px at full size)",
    "v_flip": "top–bottom mirror",
    "h_flip": "left–right mirror",
    "rotate": "angle ~ U[0°, 360°] about the centre",
    "shear": "shear_x, shear_y ~ U[−50°, 50°]",
    "hue": "hue shift h ~ U[−0.5, 0.5] (full colour wheel)",
    "brightness": "RGB × b, b ~ U[0, 2]",
    "grayscale": "replace colour by luma",
    "posterize": "1 bit per channel",
    "invert": "v → 255 − v",
    "sharpen": "PIL sharpness, factor 7",
    "blur": "Gaussian 7×7, σ ~ U[0.1, 1.5]",
    "noise": "add clipped N(0, 1) noise",
    "pixelate": "down to 9 px, back up (blocks)",
    "elastic": "elastic warp (α = 150, σ = 5)",
    "erasing": "14 × 14 transparent hole at a uniform position",
    "contrast": "contrast factor c ~ U[0, 2]",
}
"""What each transformation does and how its parameter is drawn (book/protocol.md, Data)."""


def _closed(fig):
    import matplotlib.pyplot as plt

    plt.close(fig)
    return fig


def resolve_source(source: str) -> tuple[str, bool]:
    """(the source the page uses, whether "auto" fell back to "offline"); the fallback's warning is kept
    out of the page (`source_note` says it instead)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        resolved = sources.resolve(source)
    return resolved, source == "auto" and resolved == "offline"


def source_note(source: str, fell_back: bool) -> str:
    """Markdown: which source the page's images use, and why when it is not SI-Score."""
    if source == "si-score":
        return "The images on this page use the paper's **SI-Score** objects and backgrounds."
    why = (
        " because the Hugging Face Hub copy of SI-Score could not be reached when this page was built"
        if fell_back
        else ""
    )
    return (
        f":::{{note}}\nThe images on this page use the **{source}** source{why}: Twemoji objects on crops of "
        "freely licensed photographs, a stand-in with the same structure as SI-Score (61 objects, 867 "
        "backgrounds). Object numbers therefore name different objects than in the paper. See *Sources and "
        "licences* below.\n:::"
    )


def transforms_table() -> str:
    """The 18 transformations in canonical order: category, whether gated, and the parameter drawn."""
    rows = [
        (i + 1, name, cat, "p = 0.5" if name in GATED else "always", DESCRIPTION[name])
        for i, (name, cat) in enumerate(TRANSFORMS.items())
    ]
    return html_table(
        ("#", "name", "category", "fires", "parameter"),
        rows,
        left=5,
        caption="The transformations in the canonical order (the order seeded draws use)",
    )


def transform_rows(
    names: Sequence[str], objects: Sequence[int], source: str, n: int = 6, seed: int = SEED, **kwargs
) -> list[tuple[str, torch.Tensor, list[str]]]:
    """`sample_grid` rows: each transformation alone on `objects`, n samples with their parameter captions."""
    rows = []
    for name in names:
        images, _, params = Transforms2D([name], objects, n, seed, source=source, **kwargs).render(range(n))
        rows.append((name, images, parameter_captions(params, [name])))
    return rows


def category_figures(source: str, objects: Sequence[int] = PAPER_OBJECTS, n: int = 6, seed: int = SEED) -> list:
    """One figure per category: each of its transformations alone on `objects` (the paper's appendix figure)."""
    return [
        _closed(
            sample_grid(
                transform_rows([t for t, c in TRANSFORMS.items() if c == category], objects, source, n, seed),
                zoom=0.95,
                title=f"{category} transformations",
            )
        )
        for category in CATEGORIES
    ]


def example_figures(source: str) -> list:
    """The paper's example figures: E-0 (rotate, hue, blur, translate on one object each, 8 samples) and
    random-pixel objects on random backgrounds under elastic and pixelate."""
    rows = []
    for name, obj in PAPER_EXAMPLES:
        images, _, params = Transforms2D([name], [obj], 8, SEED, source=source).render(range(8))
        rows.append((f"{name}\nobject {obj}", images, parameter_captions(params, [name])))
    random = transform_rows(("elastic", "pixelate"), range(6), "random:0", n=6, background="random")
    return [
        _closed(sample_grid(rows, zoom=0.8)),
        _closed(sample_grid(random, zoom=0.8, title="random-pixel objects on random backgrounds")),
    ]


def twins_figure(source: str, transforms: Sequence[str] = TWIN_TRANSFORMS, n: int = 8):
    """Two datasets that differ only in the transform seed: same objects and backgrounds, other draws."""
    rows = [
        (
            f"transform seed {ts}",
            Transforms2D(list(transforms), PAPER_OBJECTS, n, SEED, transform_seed=ts, source=source).batch(range(n))[0],
            None,
        )
        for ts in (0, 1)
    ]
    return _closed(sample_grid(rows, zoom=0.8, title=f"{', '.join(transforms)}: twin datasets"))


def browse_widget(source: str, n: int = 8, seed: int = 1):
    """Tabs per category of each transformation alone on the example objects (static: works offline)."""
    import ipywidgets as widgets

    pictures = [
        image_widget(
            sample_grid(
                transform_rows([t for t, c in TRANSFORMS.items() if c == category], PAPER_OBJECTS, source, n, seed),
                zoom=0.8,
            )
        )
        for category in CATEGORIES
    ]
    return widgets.VBox([widgets.HTML("<b>Browse</b>"), widgets.Tab(children=pictures, titles=list(CATEGORIES))])


def parameter_table(names: Sequence[str], objects: Sequence[int], labels: torch.Tensor, params: list[dict]) -> str:
    """Per sample: its object and the parameter each transformation drew (in composition order)."""
    captions = [parameter_captions([p], [t]) for t, p in zip(names, params)]
    rows = [(i, objects[int(label)], *[c[i] for c in captions]) for i, label in enumerate(labels)]
    return html_table(("index", "object", *names), rows, left=2, caption="parameters of each sample")


def explorer(source: str, objects: Sequence[int] = PAPER_OBJECTS, transforms: Sequence[str] = TWIN_TRANSFORMS):
    """Pick objects, transformations (composed in the order entered), seed, source and sample count; shows
    the samples and their parameters. Live in Jupyter; the static page keeps the values it was built with."""
    import ipywidgets as widgets

    choices = ["offline", "random:0"] + (["si-score"] if source == "si-score" else [])

    def options(src: str) -> list[tuple[str, int]]:
        return [(f"{i}: {name}", i) for i, name in enumerate(sources.load(src).object_names)]

    objects_w = widgets.SelectMultiple(
        options=options(source),
        value=tuple(objects),
        rows=7,
        description="objects",
        layout=widgets.Layout(width="290px"),
    )
    transforms_w = widgets.TagsInput(value=list(transforms), allowed_tags=list(TRANSFORMS), allow_duplicates=False)
    seed_w = widgets.BoundedIntText(
        value=SEED, min=0, max=2**31 - 1, description="seed", layout=widgets.Layout(width="200px")
    )
    source_w = widgets.Dropdown(
        options=choices, value=source, description="source", layout=widgets.Layout(width="200px")
    )
    n_w = widgets.IntSlider(value=8, min=4, max=12, description="samples")
    picture, table = widgets.Image(format="png"), widgets.HTML()

    def show(*_) -> None:
        objs, names = list(objects_w.value) or [0], list(transforms_w.value)
        background = "random" if source_w.value.startswith("random") else "auto"
        ds = Transforms2D(names, objs, n_w.value, seed_w.value, source=source_w.value, background=background)
        images, labels, params = ds.render(range(n_w.value))
        picture.value = figure_png(sample_grid([(", ".join(names) or "none", images, None)], zoom=0.8))
        table.value = parameter_table(names, objs, labels, params)

    def on_source(change) -> None:
        objects_w.options = options(change["new"])
        objects_w.value = tuple(i for i in objects if i < len(objects_w.options))

    source_w.observe(on_source, "value")
    for w in (objects_w, transforms_w, seed_w, source_w, n_w):
        w.observe(show, "value")
    show()
    controls = widgets.VBox([widgets.HTML("transformations, in order:"), transforms_w, seed_w, source_w, n_w])
    return widgets.VBox(
        [widgets.HTML("<b>Explore</b> (live in Jupyter)"), widgets.HBox([objects_w, controls]), picture, table]
    )


def on_grey(rgba: torch.Tensor) -> torch.Tensor:
    """RGBA uint8 objects (K, 4, S, S) composited on light grey, as RGB uint8."""
    rgb, a = rgba[:, :3].float(), rgba[:, 3:].float() / 255
    return (rgb * a + 225 * (1 - a)).round().to(torch.uint8)


def object_sheet(source: str, per_row: int = 10) -> list[tuple[str, torch.Tensor, list[str]]]:
    """`sample_grid` rows of every object of a source, captioned with its index and name."""
    base = sources.load(source)
    objs = on_grey(base.objects)
    rows = []
    for start in range(0, len(objs), per_row):
        idx = list(range(start, min(start + per_row, len(objs))))
        caps = [f"{i}\n{base.object_names[i][:11]}" for i in idx]
        rows.append((f"{idx[0]}–{idx[-1]}" if len(idx) > 1 else str(idx[0]), objs[idx], caps))
    return rows


def sources_gallery(source: str) -> list:
    """Markdown notes and figures for the three sources: SI-Score (when it is the page's source), the
    offline stand-in (all objects, 24 backgrounds) and random-pixel objects, each with its licence."""
    from IPython.display import Markdown

    out = []
    for src in ("si-score", "offline"):
        if src == "si-score" and source != "si-score":
            out.append(
                Markdown(
                    "**SI-Score** (the paper's source; not shown: it could not be loaded when this page "
                    f"was built). Licence: {sources.SI_SCORE_LICENCE}"
                )
            )
            continue
        base = sources.load(src)
        out.append(
            Markdown(
                f"**{src}**: {len(base.objects)} objects, {len(base.backgrounds)} backgrounds. Licence: {base.licence}"
            )
        )
        out.append(
            _closed(
                sample_grid(
                    object_sheet(src), zoom=0.7, title=f"{src}: all {len(base.objects)} objects", caption_lines=2
                )
            )
        )
        pick = torch.linspace(0, len(base.backgrounds) - 1, 24).long()
        out.append(
            _closed(
                sample_grid(
                    [("", base.backgrounds[pick[:12]], None), ("", base.backgrounds[pick[12:]], None)],
                    zoom=0.62,
                    title=f"{src}: 24 of the {len(base.backgrounds)} backgrounds",
                )
            )
        )
    base = sources.load("random:0")
    out.append(
        Markdown(
            f"**random**: {len(base.objects)} random-pixel objects (uniform noise squares, generated from "
            "a seed; no stored backgrounds: they are drawn fresh per sample). No licence needed."
        )
    )
    out.append(_closed(sample_grid([("random:0", on_grey(base.objects[:11]), [str(i) for i in range(11)])], zoom=0.62)))
    return out
