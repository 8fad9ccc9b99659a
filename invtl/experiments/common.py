"""Building blocks shared by the experiments: datasets, models, probes, task-instance seeds."""

from __future__ import annotations

import torch
import torch.nn as nn

from invtl.data import Transforms2D
from invtl.models import create
from invtl.rng import derive
from invtl.train import Normalise, TrainConfig, embed, linear_probe, macro_accuracy, predict, pretrain, vit_pretrain_config

Splits = dict[str, tuple[torch.Tensor, torch.Tensor]]


def t2d_splits(config: dict, transforms: list[str], objects: list[int], n_train: int, device: torch.device, **kwargs) -> Splits:
    """Train, val and test splits of one Transforms-2D dataset, generated once on `device`."""
    sizes = {"train": n_train, "val": config["n_val"], "test": config["n_test"]}
    return {
        split: Transforms2D(transforms, objects, n, config["sampling_seed"], split=split, source=config["source"],
                            legacy=config.get("legacy", ()), **kwargs).generate(device)
        for split, n in sizes.items()
    }


def new_model(arch: str, num_classes: int, width: float, *init_key: object) -> nn.Module:
    """A freshly initialised model; its init seed is derived from `init_key` (bug B5 fixed:
    every model of a run gets its own initialisation)."""
    torch.manual_seed(derive("init", *init_key) & 0x7FFF_FFFF_FFFF_FFFF)
    return create(arch, num_classes, width=width)


def pretrain_config(arch: str, config: dict) -> TrainConfig:
    if arch == "vit":
        return vit_pretrain_config(config["pt_epochs"], config["batch_size"])
    return TrainConfig(config["pt_epochs"], config["batch_size"], compile=config.get("compile", False))


def pretrained(ctx, arch: str, num_classes: int, splits: Splits, config: dict, key: dict) -> nn.Module:
    """A model pretrained on `splits["train"]`, shared through the checkpoint cache under `key`."""
    return ctx.pretrained(
        key,
        build=lambda: new_model(arch, num_classes, config.get("width", 1.0), *sorted(key.items())),
        train=lambda m: pretrain(m, *splits["train"], pretrain_config(arch, config), seed=config["init_seed"], progress=ctx.progress),
    )


def _accuracies(preds: dict[str, torch.Tensor], splits: Splits) -> dict:
    order = ("train", "val", "test")
    return {
        "test_accuracy": macro_accuracy(preds["test"], splits["test"][1]),
        "pooled_accuracy": macro_accuracy(torch.cat([preds[s] for s in order]), torch.cat([splits[s][1] for s in order])),
    }


def probe(model: nn.Module, splits: Splits, num_classes: int, config: dict, seed: int, progress: bool = False) -> tuple[nn.Linear, dict]:
    """Linear probe on the train split's cached features. Returns the head and its macro accuracy
    on the test split, plus the original's pooled train+val+test number (bug B1) by its own name."""
    feats = {split: embed(model, images) for split, (images, _) in splits.items()}
    cfg = TrainConfig(config["lp_epochs"], config["batch_size"])
    head = linear_probe(feats["train"], splits["train"][1], num_classes, cfg, seed, progress=progress)
    with torch.inference_mode():
        preds = {split: head(f).argmax(1) for split, f in feats.items()}
    return head, _accuracies(preds, splits)


def evaluate(model: nn.Module, splits: Splits) -> dict:
    """Test and pooled macro accuracy of a model on its own task (the "training" series)."""
    model.eval()
    with torch.inference_mode():
        preds = {split: predict(model, images, transform=Normalise().to(images.device)).argmax(1) for split, (images, _) in splits.items()}
    return _accuracies(preds, splits)
