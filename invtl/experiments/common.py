"""Building blocks shared by the experiments: datasets, models, probes, fine-tuning.

Every job's configuration carries a `legacy` list of original behaviours to restore (see
`LEGACY_OPTIONS`); the defaults are the corrected behaviours of `protocol.md` §8-§10.
"""

from __future__ import annotations

import copy

import torch
import torch.nn as nn

from invtl.t2d.dataset import DATA_LEGACY, Transforms2D
from invtl.engine.models import create
from invtl.t2d.rng import derive
from invtl.engine.train import (Normalise, TrainConfig, embed, fine_tune, linear_probe, macro_accuracy, predict, pretrain,
                         vit_pretrain_config)

Splits = dict[str, tuple[torch.Tensor, torch.Tensor]]
SPLITS = ("train", "val", "test")

LEGACY_OPTIONS = DATA_LEGACY + ("legacy_ft_lr_schedule", "legacy_lp_head_source", "shared_init", "legacy_cifar_translate",
                                 "legacy_cifar_eval_norm")
"""Original behaviours a run can restore. The original's pooled train+val+test accuracy (bug B1)
needs no option: every result records it as `pooled_accuracy` beside `test_accuracy`."""


def check_seeds(experiment: str, seeds: list[int], table: dict) -> None:
    """Every seed id must have a row in the experiment's seed table."""
    for seed in seeds:
        if seed not in table:
            raise ValueError(f"unknown seed id {seed} for {experiment}; valid: {', '.join(map(str, table))}")


def t2d_splits(config: dict, transforms: list[str], objects: list[int], n_train: int, device: torch.device, **kwargs) -> Splits:
    """Train, val and test splits of one Transforms-2D dataset, generated once on `device`."""
    sizes = {"train": n_train, "val": config["n_val"], "test": config["n_test"]}
    legacy = [f for f in config.get("legacy", ()) if f in DATA_LEGACY]
    return {
        split: Transforms2D(transforms, objects, n, config["sampling_seed"], split=split, source=config["source"],
                            legacy=legacy, **kwargs).generate(device)
        for split, n in sizes.items()
    }


def with_train_subset(splits: Splits, n: int) -> Splits:
    """The same splits with only the first n training samples."""
    images, labels = splits["train"]
    return {**splits, "train": (images[:n], labels[:n])}


def new_model(arch: str, num_classes: int, config: dict, key: dict) -> nn.Module:
    """A freshly initialised model. Its init seed is derived from the model's `key` (bug B5 fixed);
    with `shared_init` every model of a seed starts from `init_seed`, as in the original."""
    seed = config["init_seed"] if "shared_init" in config.get("legacy", ()) else derive("init", *sorted(key.items()))
    torch.manual_seed(seed & 0x7FFF_FFFF_FFFF_FFFF)
    return create(arch, num_classes, width=config.get("width", 1.0))


def pretrain_config(arch: str, config: dict) -> TrainConfig:
    if arch == "vit":
        return vit_pretrain_config(config["pt_epochs"], config["batch_size"])
    return TrainConfig(config["pt_epochs"], config["batch_size"], compile=config.get("compile", False))


def pretrained(ctx, arch: str, num_classes: int, train: tuple[torch.Tensor, torch.Tensor], config: dict, key: dict,
               normalise: Normalise | None = None) -> nn.Module:
    """A model pretrained on `train`, shared through the checkpoint cache under `key` (a dict that
    names everything its weights depend on). `normalise` defaults to Transforms-2D's 0.5 / 0.5, in
    this helper and the ones below."""
    key = {**key, "legacy": sorted(config.get("legacy", ())), "width": config.get("width", 1.0)}
    return ctx.pretrained(
        key,
        build=lambda: new_model(arch, num_classes, config, key),
        train=lambda m: pretrain(m, *train, pretrain_config(arch, config), seed=config["init_seed"], progress=ctx.progress,
                                 transform=normalise),
    )


def accuracies(preds: dict[str, torch.Tensor], labels: dict[str, torch.Tensor]) -> dict:
    """Macro accuracy on the test split, and the original's pooled train+val+test number (bug B1)."""
    pooled = torch.cat([preds[s] for s in SPLITS]), torch.cat([labels[s] for s in SPLITS])
    return {"test_accuracy": macro_accuracy(preds["test"], labels["test"]), "pooled_accuracy": macro_accuracy(*pooled)}


def _labels(splits: Splits) -> dict[str, torch.Tensor]:
    return {split: labels for split, (_, labels) in splits.items()}


def probe(model: nn.Module, splits: Splits, num_classes: int, config: dict, seed: int, progress: bool = False,
          normalise: Normalise | None = None) -> tuple[nn.Linear, dict]:
    """Linear probe on the train split's cached features. Returns the head and its `accuracies`."""
    feats = {split: embed(model, images, transform=normalise) for split, (images, _) in splits.items()}
    cfg = TrainConfig(config["lp_epochs"], config["batch_size"])
    head = linear_probe(feats["train"], splits["train"][1], num_classes, cfg, seed, progress=progress)
    with torch.inference_mode():
        preds = {split: head(f).argmax(1) for split, f in feats.items()}
    return head, accuracies(preds, _labels(splits))


def evaluate(model: nn.Module, splits: Splits, normalise: Normalise | None = None) -> dict:
    """Test and pooled macro accuracy of a model with its own head."""
    model.eval()
    preds = {split: predict(model, images, transform=normalise or Normalise().to(images.device)).argmax(1)
             for split, (images, _) in splits.items()}
    return accuracies(preds, _labels(splits))


def probe_then_fine_tune(model: nn.Module, splits: Splits, num_classes: int, config: dict, seed: int,
                         head: nn.Linear | None = None, progress: bool = False, normalise: Normalise | None = None) -> dict:
    """LP->FT on `splits["train"]` (protocol §3.2) on a copy of `model`. The probe uses the same
    samples as the fine-tuning (strict few-shot, O1 fixed) unless `head` (the head probed on the
    full target set, `legacy_lp_head_source`) is given."""
    model = copy.deepcopy(model)
    if head is None:
        head, _ = probe(model, splits, num_classes, config, seed, progress, normalise)
    model.head = copy.deepcopy(head)
    schedule = "legacy_linear5" if "legacy_ft_lr_schedule" in config.get("legacy", ()) else "linear"
    fine_tune(model, splits["train"], TrainConfig(config["ft_epochs"], config["batch_size"], schedule=schedule), seed, progress,
              transform=normalise)
    return evaluate(model, splits, normalise)
