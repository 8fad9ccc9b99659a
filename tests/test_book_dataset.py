"""The dataset chapter's figures and widgets (offline and random sources: no network)."""

from __future__ import annotations

import torch
from IPython.display import Markdown

from invtl.book import dataset
from invtl.t2d import sources
from invtl.t2d.dataset import CATEGORIES, TRANSFORMS, Transforms2D


def _image_axes(fig) -> list:
    return [ax for ax in fig.axes if ax.images]


def test_resolve_source_reports_the_fallback(monkeypatch):
    assert dataset.resolve_source("offline") == ("offline", False)
    assert dataset.resolve_source("random") == ("random:0", False)
    monkeypatch.setattr(sources, "resolve", lambda source: "offline")  # "auto" on a machine without the Hub
    assert dataset.resolve_source("auto") == ("offline", True)


def test_source_note_names_the_source_and_why():
    assert "SI-Score" in dataset.source_note("si-score", False) and ":::" not in dataset.source_note("si-score", False)
    note = dataset.source_note("offline", True)
    assert note.startswith(":::{note}") and "**offline**" in note and "could not be reached" in note
    assert "could not be reached" not in dataset.source_note("offline", False)


def test_transforms_table_lists_all_18_in_order():
    text = dataset.transforms_table()
    assert text.count("<tr>") == 1 + len(TRANSFORMS) and text.count("p = 0.5") == 10
    positions = [text.index(f">{name}<") for name in TRANSFORMS]
    assert positions == sorted(positions) and set(dataset.DESCRIPTION) == set(TRANSFORMS)


def test_transform_rows_render_each_transform_alone_with_captions():
    rows = dataset.transform_rows(["rotate", "v_flip"], [0, 1], "offline", n=3)
    assert [r[0] for r in rows] == ["rotate", "v_flip"]
    for _, images, captions in rows:
        assert images.shape == (3, 3, 32, 32) and images.dtype == torch.uint8 and len(captions) == 3
    assert all(c.endswith("°") for c in rows[0][2]) and set(rows[1][2]) <= {"on", "off"}


def test_category_figures_one_per_category():
    figs = dataset.category_figures("offline", n=2)
    assert len(figs) == len(CATEGORIES)
    for fig, category in zip(figs, CATEGORIES):
        assert len(_image_axes(fig)) == 2 * sum(c == category for c in TRANSFORMS.values())
        assert fig.get_suptitle() == f"{category} transformations"


def test_example_figures_match_the_papers():
    e0, random = dataset.example_figures("offline")
    assert len(_image_axes(e0)) == 4 * 8 and len(_image_axes(random)) == 2 * 6
    assert e0.axes[0].get_ylabel() == "rotate\nobject 28"


def test_twins_share_content_and_redraw_transforms():
    fig = dataset.twins_figure("offline", n=4)
    a, b = (ax.images[0].get_array() for ax in (fig.axes[0], fig.axes[4]))
    assert len(_image_axes(fig)) == 8 and a.shape == (32, 32, 3) and (a != b).any()


def test_browse_widget_tabs_per_category():
    box = dataset.browse_widget("offline", n=2)
    tab = box.children[1]
    assert tab.titles == CATEGORIES
    assert all(c.value[:4] == b"\x89PNG" for c in tab.children)


def test_parameter_table_has_a_row_per_sample():
    ds = Transforms2D(["rotate", "hue"], [3, 7], 4, 0, source="offline")
    _, labels, params = ds.render(range(4))
    text = dataset.parameter_table(["rotate", "hue"], [3, 7], labels, params)
    assert text.count("<tr>") == 5 and "h=" in text and "°" in text


def test_explorer_redraws_when_a_control_changes():
    box = dataset.explorer("offline")
    _, controls, picture, table = box.children
    objects_w, right = controls.children
    n_w = right.children[-1]
    assert picture.value[:4] == b"\x89PNG" and table.value.count("<tr>") == 1 + 8
    n_w.value = 5
    assert table.value.count("<tr>") == 1 + 5
    assert objects_w.value == dataset.PAPER_OBJECTS


def test_on_grey_composites_on_grey():
    rgba = torch.zeros(1, 4, 2, 2, dtype=torch.uint8)
    rgba[0, :3] = 10
    rgba[0, 3, 0, 0] = 255
    out = dataset.on_grey(rgba)
    assert out.shape == (1, 3, 2, 2) and out[0, 0, 0, 0] == 10 and out[0, 0, 1, 1] == 225


def test_object_sheet_covers_every_object():
    rows = dataset.object_sheet("random:0", per_row=10)
    assert sum(len(images) for _, images, _ in rows) == len(sources.load("random:0").objects)
    assert rows[0][0] == "0–9" and rows[0][2][0].startswith("0\n")


def test_sources_gallery_notes_and_figures():
    items = dataset.sources_gallery("offline")
    notes = [i for i in items if isinstance(i, Markdown)]
    assert len(notes) == 3 and "not shown" in notes[0].data and "Licence" in notes[1].data
    assert len(items) - len(notes) == 3  # offline objects, offline backgrounds, random objects
