"""E-4 `ife` data: the seed's objects, their fixed and translated placement, the C / C+O / O image sets with
their labels and per-epoch training views, and the invariance twins."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from invtl.experiments.common import SPLITS, Data
from invtl.t2d import cifar, sources
from invtl.t2d.cifar import load_cifar
from invtl.t2d.cifar_views import class_subset, crop_flip, stratified_split
from invtl.t2d.dataset import Transforms2D
from invtl.t2d.rng import Draws, derive
from invtl.t2d.transforms import Canvas, apply, composite, draw

NUM_CLASSES = 10
SIZE = 32
SHRUNK = 18  # round(0.55 * 32): the prototype canvas shrunk as a whole
FIXED_AT = (16, -3)  # top-left corner of the shrunk canvas: the object covers about x 19-31, y 0-12
TRANSLATE_BB = (21, 2, 12, 12)  # nominal box of the translate variant: shift (pos - 21, pos - 2), pos in 0..19
CHUNK = 8192


def task(config_seed: int) -> list[int]:
    """The seed's 10 objects (object i is class i)."""
    return [int(o) for o in np.random.default_rng(config_seed).choice(61, NUM_CLASSES, replace=False)]


def fixed_objects(prototypes: torch.Tensor) -> torch.Tensor:
    """float32 RGBA (K, 4, 32, 32): each uint8 prototype canvas (object in its central 22 px)
    shrunk as a whole to 18 x 18 (Pillow bicubic) with its top-left corner at (16, -3)."""
    K, device = len(prototypes), prototypes.device
    canvas = Canvas(prototypes.float(), torch.tensor([5, 5, 22, 22], device=device).expand(K, 4))
    shrunk = apply("scale", canvas, {"f": torch.full((K,), SHRUNK / SIZE, device=device)})  # 18 x 18 at offset 7
    o = (SIZE - SHRUNK) // 2
    at_origin = Canvas(shrunk.rgba, torch.zeros(K, 4, dtype=torch.long, device=device))
    shift = {
        "px": torch.full((K,), FIXED_AT[0] - o, device=device),
        "py": torch.full((K,), FIXED_AT[1] - o, device=device),
    }
    return apply("translate", at_origin, shift).rgba


def place(fixed: torch.Tensor, labels: torch.Tensor, translate: Draws | None = None) -> Canvas:
    """The objects of `labels` at the fixed placement, or shifted by the translate variant's
    (pos - 21, pos - 2), pos in {0..19}, with parameters from `translate`."""
    bb = torch.tensor(TRANSLATE_BB, device=fixed.device).expand(len(labels), 4)
    canvas = Canvas(fixed.index_select(0, labels), bb)
    if translate is not None:
        canvas = apply("translate", canvas, draw("translate", translate, canvas))
    return canvas


def object_labels(config: dict, seed: int, split: str, n: int, device: torch.device) -> torch.Tensor:
    """The Transforms-2D class of indices 0..n-1 for sampling seed `seed` (the object sequence)."""
    ds = Transforms2D(
        [], task(config["config_seed"]), n, seed, split=split, source=config["source"], background="black"
    )
    return ds.labels(torch.arange(n, device=device))


def prototypes(config: dict, device: torch.device) -> torch.Tensor:
    return fixed_objects(sources.load(config["source"], SIZE).objects[task(config["config_seed"])].to(device))


def cifar_splits(
    config: dict, device: torch.device, splits: tuple[str, ...] = SPLITS
) -> dict[str, tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
    """CIFAR-10 split -> (plain images, CIFAR labels, indices into the CIFAR array) on `device`, capped
    per class in small profiles."""
    cifar.require("cifar10")
    seed = config["sampling_seed"]
    train_images, train_labels, _ = load_cifar("cifar10", "train")
    test_images, test_labels, _ = load_cifar("cifar10", "test")
    train_idx, val_idx = stratified_split(train_labels, seed)
    parts = {
        "train": (train_images, train_labels, train_idx),
        "val": (train_images, train_labels, val_idx),
        "test": (test_images, test_labels, torch.arange(len(test_labels))),
    }
    out = {}
    for k, split in enumerate(SPLITS):
        if split not in splits:
            continue
        images, labels, idx = parts[split]
        if config["cifar_per_class"]:
            with warnings.catch_warnings():  # a cap above what a class holds keeps the class (the sizes are recorded)
                warnings.simplefilter("ignore")
                keep, _ = class_subset(
                    labels[idx],
                    list(range(NUM_CLASSES)),
                    config["cifar_per_class"][k],
                    derive("ife-cap", seed, split),
                    clamp=True,
                )
            idx = idx[keep]
        out[split] = (images[idx].to(device), labels[idx].to(device), idx.to(device))
    return out


@dataclass
class ImageSet:
    """One kind of input ("C", "C+O" or "O"): fixed evaluation images per split (the training split's
    a fresh evaluation pass), label sets per split, and the training images of any epoch."""

    images: dict[str, torch.Tensor]
    labels: dict[str, dict[str, torch.Tensor]]
    views: Callable[[torch.Tensor, int], torch.Tensor]  # (training indices, epoch) -> uint8 images

    def data(self, label: str) -> Data:
        """The training data of one task on these inputs."""
        y = {s: v[label] for s, v in self.labels.items()}
        return Data(
            len(y["train"]),
            lambda idx, epoch: (self.views(idx, epoch), y["train"][idx]),
            {s: (self.images[s], y[s]) for s in SPLITS},
        )


def datasets(config: dict, device: torch.device) -> dict[str, ImageSet]:
    """The image sets "C", "C+O" and "O" with their labels ("cifar" for C, "cifar" and "object" for C+O,
    "object" for O). Training images are re-drawn every epoch (CIFAR crop and flip, and the object's
    translation in the translate variant); evaluation images are drawn once."""
    seed, variant = config["sampling_seed"], config["variant"]
    fixed = prototypes(config, device)
    cifar_parts = cifar_splits(config, device)
    n_co, n_o = [len(cifar_parts[s][1]) for s in SPLITS], list(config["n_objects"])
    objects = {s: object_labels(config, seed, s, max(n_co[k], n_o[k]), device) for k, s in enumerate(SPLITS)}

    def translate(split: str, idx: torch.Tensor, epoch: int | None) -> Draws | None:
        key = ("ife-translate", seed, split, *(() if epoch is None else (epoch,)))
        return Draws(derive(*key), idx) if variant == "translate" else None

    def backgrounds(split: str, idx: torch.Tensor, epoch: int | None) -> torch.Tensor:
        plain, _, cifar_idx = cifar_parts[split]
        if split == "test":
            return plain[idx]
        key = ("ife-crop-flip", seed, "train", *(() if epoch is None else (epoch,)))
        return crop_flip(plain[idx], derive(*key), cifar_idx[idx])

    def c(split, idx, epoch):
        return backgrounds(split, idx, epoch)

    def co(split, idx, epoch):
        return composite_objects(
            fixed, objects[split][idx], backgrounds(split, idx, epoch), translate(split, idx, epoch)
        )

    def o(split, idx, epoch):
        black = torch.zeros(len(idx), 3, SIZE, SIZE, dtype=torch.uint8, device=device)
        return composite_objects(fixed, objects[split][idx], black, translate(split, idx, epoch))

    out = {}
    for name, make, sizes in (("C", c, n_co), ("C+O", co, n_co), ("O", o, n_o)):
        images = {s: make(s, torch.arange(sizes[k], device=device), None) for k, s in enumerate(SPLITS)}
        labels = {
            s: (
                {"object": objects[s][: sizes[k]]}
                if name == "O"
                else {"cifar": cifar_parts[s][1], **({"object": objects[s][: sizes[k]]} if name == "C+O" else {})}
            )
            for k, s in enumerate(SPLITS)
        }
        if "fixed_views" in config["legacy"]:
            views = lambda idx, epoch, images=images: images["train"][idx]  # noqa: E731
        else:
            views = lambda idx, epoch, make=make: make("train", idx, epoch)  # noqa: E731
        out[name] = ImageSet(images, labels, views)
    return out


def composite_objects(
    fixed: torch.Tensor, labels: torch.Tensor, backgrounds: torch.Tensor, translate: Draws | None
) -> torch.Tensor:
    out = torch.empty_like(backgrounds)
    for start in range(0, len(labels), CHUNK):
        stop = start + CHUNK
        draws = None if translate is None else Draws(translate.key, translate.index[start:stop])
        out[start:stop] = composite(place(fixed, labels[start:stop], draws), backgrounds[start:stop])
    return out


def twin_sets(config: dict, device: torch.device) -> dict[str, torch.Tensor]:
    """Invariance test images, fixed placement (O3): "a" = objects of seed s + 10 on the CIFAR test
    images in order s; "cifar" = the same objects, order s + 1; "objects" = objects of seed
    s + 11, order s."""
    s = config["sampling_seed"]
    fixed = prototypes(config, device)
    backgrounds, _, _ = cifar_splits(config, device, ("test",))["test"]
    n = len(backgrounds)

    def order(seed: int) -> torch.Tensor:
        g = torch.Generator().manual_seed(derive("ife-cifar-order", seed) & 0x7FFF_FFFF_FFFF_FFFF)
        return torch.randperm(n, generator=g).to(device)

    first, second = (object_labels(config, s + k, "test", n, device) for k in (10, 11))
    bg_a, bg_b = backgrounds[order(s)], backgrounds[order(s + 1)]
    return {
        "a": composite_objects(fixed, first, bg_a, None),
        "cifar": composite_objects(fixed, first, bg_b, None),
        "objects": composite_objects(fixed, second, bg_a, None),
    }
