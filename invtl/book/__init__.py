"""The book: `build` (papermill + Jupyter Book), `sphinx` (its extension), `html`, `style` and `pages`
(what every chapter shows around its figures). Chapters' own figures live in their experiment's
`figures.py`."""
