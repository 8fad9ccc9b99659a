"""Transforms-2D: objects under random transformations, composited onto backgrounds.

`Transforms2D` is a map-style dataset whose sample i is a pure function of its configuration and
i. Class, object and background come from keyed random numbers on (seed, split, i); the
transformation parameters from keyed random numbers on (transform_seed, split, i, transform
position). Two datasets that differ only in `transform_seed` are therefore twins: the same object
on the same background, transformed differently (the invariance measure's pairs).

`ds.batch(indices, device=...)` renders many samples in one batched pass on any device;
`ds[i]` renders one. Quirks of the original code that `invtl` fixes by default, with the option
that restores each, are listed in book/protocol.md (Data) and in `invtl.t2d.transforms`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import torch

from invtl.t2d import sources
from invtl.t2d.rng import Draws, derive
from invtl.t2d.transforms import CATEGORIES, ERASE_SIZE, GATED, LEGACY, TRANSFORMS, Canvas, apply, composite, draw

__all__ = ["TRANSFORMS", "CATEGORIES", "GATED", "Transforms2D", "SPLITS", "BACKGROUNDS", "DATA_LEGACY"]

SPLITS = ("train", "val", "test")
BACKGROUNDS = ("auto", "si-score", "offline", "random", "black")
DATA_LEGACY = LEGACY + ("legacy_float_bytes_noise",)
OBJECT_SCALE = 0.7
CHUNK = {"cpu": 512, "cuda": 16_384}
"""Samples rendered per pass. CPU: 10.9k img/s at 512 against 6.1k at 4 096 on a 2-core machine (the
intermediate tensors fall out of cache); GPU: large batches keep the device busy."""


def _choices(values: Iterable[object]) -> str:
    return ", ".join(str(v) for v in values)


class Transforms2D(torch.utils.data.Dataset):
    """Transforms-2D dataset D(O, T) of `n` samples.

    Args:
        transforms: transform names applied in list order (see `TRANSFORMS`); `[]` or `["none"]`
            gives the untransformed object on its background.
        objects: object indices of the source; the label is the position in this list.
        n: number of samples.
        seed: content seed: fixes class, object and background of every index.
        transform_seed: transformation seed (default: `seed`); only the transformation
            parameters depend on it.
        size: image side S in pixels (32 in every experiment of the paper).
        source: object source: "auto" (SI-Score if available, else offline), "si-score",
            "offline", or "random" / "random:SEED" (random-pixel squares).
        background: "auto" (the photos of the object source, or of "auto" for random objects),
            "si-score", "offline", "random" (fresh noise per sample) or "black".
        split: "train", "val" or "test"; part of every random key, so splits are independent.
        background_seed: seed of random backgrounds (default: `seed`).
        legacy: original behaviours to restore: "legacy_noise_wrap", "legacy_scale_bb",
            "legacy_float_bytes_noise".
    """

    def __init__(
        self,
        transforms: Sequence[str],
        objects: Iterable[int],
        n: int,
        seed: int,
        transform_seed: int | None = None,
        size: int = 32,
        source: str = "auto",
        background: str = "auto",
        split: str = "train",
        background_seed: int | None = None,
        legacy: Iterable[str] = (),
    ):
        transforms = [transforms] if isinstance(transforms, str) else list(transforms)
        for t in transforms:
            if t not in TRANSFORMS and t != "none":
                raise ValueError(f"unknown transform {t!r}; valid: {_choices(TRANSFORMS)}, none")
        legacy = frozenset(legacy)
        for flag in legacy:
            if flag not in DATA_LEGACY:
                raise ValueError(f"unknown legacy option {flag!r}; valid: {_choices(DATA_LEGACY)}")
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"n must be an integer >= 1, got {n!r}")
        if split not in SPLITS:
            raise ValueError(f"unknown split {split!r}; valid: {_choices(SPLITS)}")
        if background not in BACKGROUNDS:
            raise ValueError(f"unknown background {background!r}; valid: {_choices(BACKGROUNDS)}")
        if "erasing" in transforms and size <= ERASE_SIZE:
            raise ValueError(f"size {size} is too small for erasing (needs size > {ERASE_SIZE})")

        self.base = sources.load(source, size, legacy_float_bytes_noise="legacy_float_bytes_noise" in legacy)
        objects = [int(o) for o in objects]
        if not objects:
            raise ValueError(f"objects must list at least one object index in 0..{len(self.base.objects) - 1}")
        for o in objects:
            if not 0 <= o < len(self.base.objects):
                raise ValueError(
                    f"object index {o} out of range for source {self.base.name!r}; valid: 0..{len(self.base.objects) - 1}"
                )
        if background == "auto":
            background = self.base.name if self.base.backgrounds is not None else sources.resolve("auto")
        self.photos = sources.load(background, size).backgrounds if background not in ("random", "black") else None

        self.transforms = [t for t in transforms if t != "none"]
        self.objects = objects
        self.n, self.seed, self.size, self.split = n, seed, size, split
        self.transform_seed = seed if transform_seed is None else transform_seed
        self.background_seed = seed if background_seed is None else background_seed
        self.source, self.background, self.legacy = self.base.name, background, legacy
        self._on_device: dict[str, tuple[torch.Tensor, torch.Tensor | None]] = {}

    def __len__(self) -> int:
        return self.n

    def __repr__(self) -> str:
        return (
            f"Transforms2D(transforms={self.transforms}, objects={len(self.objects)} of {self.source!r}, n={self.n}, "
            f"seed={self.seed}, transform_seed={self.transform_seed}, size={self.size}, background={self.background!r}, "
            f"split={self.split!r})"
        )

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        i = int(i)
        if not -self.n <= i < self.n:
            raise IndexError(f"index {i} out of range for a dataset of {self.n} samples")
        images, labels = self.batch([i % self.n])
        return images[0], labels[0]

    def __getitems__(self, indices: list[int]) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """Batched fetch for `DataLoader`: one rendering pass per batch instead of one per sample."""
        images, labels = self.batch(indices)
        return list(zip(images, labels))

    # --- per-index content -----------------------------------------------------------------

    def labels(self, indices: torch.Tensor) -> torch.Tensor:
        """Class of each index (position in `objects`), int64."""
        u = Draws(derive("class", self.seed, self.split), indices).uniform("class")
        return (u * len(self.objects)).long().clamp_max(len(self.objects) - 1)

    def background_ids(self, indices: torch.Tensor) -> torch.Tensor:
        """Index of each sample's background photo (meaningful for photo backgrounds)."""
        n_photos = 1 if self.photos is None else len(self.photos)
        u = Draws(derive("background", self.seed, self.split), indices).uniform("background")
        return (u * n_photos).long().clamp_max(n_photos - 1)

    def _backgrounds(self, indices: torch.Tensor, photos: torch.Tensor | None) -> torch.Tensor:
        S = self.size
        if self.background == "random":
            return Draws(derive("random-background", self.background_seed, self.split), indices).bytes(
                "pixels", 3, S, S
            )
        if self.background == "black":
            return torch.zeros(len(indices), 3, S, S, dtype=torch.uint8, device=indices.device)
        return photos.index_select(0, self.background_ids(indices))

    def _draws(self, position: int, name: str, indices: torch.Tensor, epoch: int | None) -> Draws:
        key = ("transform", self.transform_seed, self.split, position, name) + (() if epoch is None else (epoch,))
        return Draws(derive(*key), indices)

    # --- rendering ---------------------------------------------------------------------------

    def _base_on(self, device: torch.device) -> tuple[torch.Tensor, torch.Tensor | None]:
        key = str(device)
        if key not in self._on_device:
            objects = self.base.objects[self.objects].to(device).float()
            photos = None if self.photos is None else self.photos.to(device)
            self._on_device[key] = (objects, photos)
        return self._on_device[key]

    def _indices(self, indices, device) -> torch.Tensor:
        idx = torch.as_tensor(indices, dtype=torch.int64).flatten()
        if len(idx) and (idx.min() < 0 or idx.max() >= self.n):
            bad = idx[(idx < 0) | (idx >= self.n)][0].item()
            raise IndexError(f"index {bad} out of range for a dataset of {self.n} samples")
        return idx.to(device)

    def render(
        self, indices, device: str | torch.device | None = None, epoch: int | None = None
    ) -> tuple[torch.Tensor, torch.Tensor, list]:
        """Images, labels and each transform's per-sample parameters for `indices`; with `epoch`, the
        transformations of that training epoch (class, object and background do not depend on it)."""
        device = torch.device(device or "cpu")
        idx = self._indices(indices, device)
        objects, photos = self._base_on(device)
        labels = self.labels(idx)
        s0 = round(OBJECT_SCALE * self.size)
        o = (self.size - s0) // 2
        bb = torch.tensor([o, o, s0, s0], device=device).expand(len(idx), 4)
        canvas = Canvas(objects.index_select(0, labels), bb)
        params = []
        for position, name in enumerate(self.transforms):
            p = draw(name, self._draws(position, name, idx, epoch), canvas)
            canvas = apply(name, canvas, p, self.legacy)
            params.append(p)
        images = composite(canvas, self._backgrounds(idx, photos))
        return images, labels, params

    def batch(
        self, indices, device: str | torch.device | None = None, epoch: int | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Samples `indices` stacked: uint8 images (N, 3, S, S) and int64 labels (N,), on `device`.

        `epoch=None` is the split's fixed view (evaluation); `epoch=e` re-draws the transformations for
        training epoch e, so every (seed, split, index, epoch) is one image. Long index lists are rendered
        in chunks of `CHUNK` (the fastest size here: larger chunks fall out of the CPU's cache)."""
        idx = torch.as_tensor(indices, dtype=torch.int64).flatten()
        chunk = CHUNK.get(torch.device(device or "cpu").type, CHUNK["cpu"])
        if len(idx) <= chunk:
            images, labels, _ = self.render(idx, device, epoch)
            return images, labels
        parts = [self.render(idx[s : s + chunk], device, epoch)[:2] for s in range(0, len(idx), chunk)]
        return torch.cat([p[0] for p in parts]), torch.cat([p[1] for p in parts])

    def parameters(self, i: int) -> list[dict[str, float | bool | list]]:
        """The transformation parameters of sample i, one dict per transform (for explorers)."""
        _, _, params = self.render([i])
        out = []
        for name, p in zip(self.transforms, params):
            entry: dict[str, float | bool | list] = {"transform": name}
            for k, v in p.items():
                if k in ("noise", "displacement"):
                    continue
                entry[k] = v[0].item()
            out.append(entry)
        return out

    def generate(
        self,
        device: str | torch.device | None = None,
        chunk_size: int = 16_384,
        progress: bool = False,
        epoch: int | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """The whole dataset (of one epoch, see `batch`) as uint8 images (n, 3, S, S) and labels (n,) on
        `device`, in chunks."""
        from tqdm.auto import tqdm

        device = torch.device(device or "cpu")
        images = torch.empty(self.n, 3, self.size, self.size, dtype=torch.uint8, device=device)
        labels = torch.empty(self.n, dtype=torch.int64, device=device)
        starts = range(0, self.n, chunk_size)
        for start in tqdm(starts, desc="generating", unit="chunk", disable=not progress):
            stop = min(start + chunk_size, self.n)
            images[start:stop], labels[start:stop] = self.batch(torch.arange(start, stop), device, epoch)
        return images, labels
