"""Transforms-2D: the paper's dataset (objects under 18 transformations on backgrounds), generated in batches.

- `dataset`: `Transforms2D`, a map-style dataset whose sample i is a pure function of its settings and i;
- `transforms`: the 18 transformations as batched tensor operations, with per-sample parameters;
- `sources`: base images (SI-Score, an offline stand-in, random squares); `si_score`: SI-Score pinned by a manifest;
- `reference`: the same transformations in PIL, sample by sample (the test oracle and the baseline);
- `cifar`: CIFAR-10/100 loading, splits and the transformations applied to whole images;
- `rng`: keyed counter-based random numbers; `preview`: image grids.
"""

from invtl.t2d.dataset import CATEGORIES, GATED, TRANSFORMS, Transforms2D

__all__ = ["CATEGORIES", "GATED", "TRANSFORMS", "Transforms2D"]
