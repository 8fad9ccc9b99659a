"""Building blocks shared by the experiments: datasets as training views, models, probes, fine-tuning.

A `Data` is one dataset ready for training and evaluation: `views(indices, epoch)` gives the training
samples of an epoch (their transformations re-drawn every epoch, as the authors' pipeline did), and
`splits` holds fixed evaluation images: "train" (a fresh evaluation pass over the training samples, as the
authors' pooled number used), "val" and "test". With the `fixed_views` option every epoch trains on one
view, as invtl 0.1 did.

Every job's configuration carries `version` (the semantics of the data and protocol: results of an older
version are stale) and a `legacy` list of original behaviours to restore (`LEGACY_OPTIONS`).
"""

from __future__ import annotations

import copy
from collections import OrderedDict
from dataclasses import dataclass, field

import torch
import torch.nn as nn

from invtl.engine import costs
from invtl.engine.models import create
from invtl.engine.train import (
    Normalise,
    TrainConfig,
    Views,
    embed,
    fine_tune,
    linear_probe,
    macro_accuracy,
    predict,
    pretrain,
    tensor_views,
    vit_pretrain_config,
)
from invtl.t2d.cifar import CIFAR_LEGACY
from invtl.t2d.dataset import DATA_LEGACY, Transforms2D
from invtl.t2d.rng import derive

VERSION = 2
"""Semantics of every job's result; part of its configuration, so results of older code are recomputed.
1: invtl 0.1 (RGB-only transforms kept the RGB under the alpha; one fixed view per training sample; pooled
accuracy on the fitted views). 2: the authors' paste through the alpha; training views re-drawn every
epoch; pooled accuracy on a fresh evaluation pass."""

Splits = dict[str, tuple[torch.Tensor, torch.Tensor]]
SPLITS = ("train", "val", "test")

LEGACY_OPTIONS = tuple(
    dict.fromkeys(
        DATA_LEGACY
        + CIFAR_LEGACY
        + ("legacy_ft_lr_schedule", "legacy_lp_head_source", "shared_init", "legacy_cifar_eval_norm", "fixed_views")
    )
)
"""Original behaviours a run can restore (and `fixed_views`, invtl 0.1's one view per training sample).
The original's pooled train+val+test accuracy (bug B1) needs no option: every result records it as
`pooled_accuracy` beside `test_accuracy`."""

MEMO_BYTES = 3 << 30  # generated evaluation sets kept per process (LRU): jobs of one seed share their data


def own_pretraining(config: dict, kind: str = "cpu") -> tuple[None, float]:
    """`Experiment.pretraining` of a grid whose jobs each pretrain their own model on `n_train` samples (tm, it):
    no key shared with other jobs, and its estimated seconds."""
    c = config
    return None, costs.pretrain(
        c["arch"], c["width"], c["n_train"], c["pt_epochs"], c.get("pt_min_steps", 0), c["batch_size"], kind
    )


def check_seeds(experiment: str, seeds: list[int], table: dict) -> None:
    """Every seed id must have a row in the experiment's seed table."""
    for seed in seeds:
        if seed not in table:
            raise ValueError(f"unknown seed id {seed} for {experiment}; valid: {', '.join(map(str, table))}")


@dataclass
class Data:
    """A dataset as training views plus fixed evaluation splits (see the module docstring)."""

    n_train: int
    views: Views
    splits: Splits
    _fit_view: tuple[torch.Tensor, torch.Tensor] | None = field(default=None, repr=False)

    def fit_view(self) -> tuple[torch.Tensor, torch.Tensor]:
        """One view of the training samples (epoch 0): what a linear probe's cached features come from."""
        if self._fit_view is None:
            self._fit_view = self.views(torch.arange(self.n_train, device=self.splits["train"][1].device), 0)
        return self._fit_view

    def take(self, indices: torch.Tensor) -> Data:
        """The same data with only the training samples `indices`."""
        indices = indices.to(self.splits["train"][1].device)
        images, labels = self.splits["train"]
        fit = None if self._fit_view is None else (self._fit_view[0][indices], self._fit_view[1][indices])
        return Data(
            len(indices),
            lambda idx, epoch: self.views(indices[idx], epoch),
            {**self.splits, "train": (images[indices], labels[indices])},
            fit,
        )

    def first(self, n: int) -> Data:
        return self.take(torch.arange(n))


_MEMO: OrderedDict[tuple, tuple[torch.Tensor, torch.Tensor]] = OrderedDict()


def memoised(key: tuple, make) -> tuple[torch.Tensor, torch.Tensor]:
    """`make()` once per process for `key` (evaluation sets, fixed views), least recently used dropped
    beyond `MEMO_BYTES`."""
    if key in _MEMO:
        _MEMO.move_to_end(key)
        return _MEMO[key]
    value = make()
    _MEMO[key] = value
    while len(_MEMO) > 1 and sum(v[0].nbytes + v[1].nbytes for v in _MEMO.values()) > MEMO_BYTES:
        _MEMO.popitem(last=False)
    return value


def t2d_data(
    config: dict, transforms: list[str], objects: list[int], n_train: int, device: torch.device, **kwargs
) -> Data:
    """One Transforms-2D dataset: training views re-drawn every epoch, fixed val / test and a fresh
    evaluation pass over the training samples, generated once per process on `device`."""
    legacy = [f for f in config.get("legacy", ()) if f in DATA_LEGACY]
    sizes = {"train": n_train, "val": config.get("n_val", 0), "test": config["n_test"]}
    kwargs = {"source": config["source"], **kwargs}
    make = {
        split: Transforms2D(transforms, objects, n, config["sampling_seed"], split=split, legacy=legacy, **kwargs)
        for split, n in sizes.items()
        if n
    }
    splits = {}
    for split, ds in make.items():
        key = (
            "t2d",
            tuple(ds.transforms),
            tuple(ds.objects),
            ds.n,
            ds.seed,
            ds.transform_seed,
            ds.size,
            ds.source,
            ds.background,
            ds.background_seed,
            ds.split,
            tuple(sorted(ds.legacy)),
            str(device),
        )
        splits[split] = memoised(key, lambda ds=ds: ds.generate(device))
    train = make["train"]
    views = (
        tensor_views(*splits["train"])
        if "fixed_views" in config.get("legacy", ())
        else (lambda idx, epoch: train.batch(idx, device, epoch))
    )
    return Data(n_train, views, splits)


def new_model(arch: str, num_classes: int, config: dict, key: dict) -> nn.Module:
    """A freshly initialised model. Its init seed is derived from the model's `key` (bug B5 fixed);
    with `shared_init` every model of a seed starts from `init_seed`, as in the original."""
    seed = config["init_seed"] if "shared_init" in config.get("legacy", ()) else derive("init", *sorted(key.items()))
    torch.manual_seed(seed & 0x7FFF_FFFF_FFFF_FFFF)
    return create(arch, num_classes, width=config.get("width", 1.0))


def pretrain_config(arch: str, config: dict, paper_epochs: int) -> TrainConfig:
    """The pretraining recipe of `arch` at the profile's epochs (ViT: its own recipe, bug B3)."""
    if arch == "vit":
        return vit_pretrain_config(
            config["pt_epochs"], config["batch_size"], config.get("pt_min_steps", 0), paper_epochs
        )
    return TrainConfig(
        config["pt_epochs"],
        config["batch_size"],
        min_steps=config.get("pt_min_steps", 0),
        compile=config.get("compile", False),
    )


def model_key(config: dict, key: dict) -> dict:
    """Everything a pretrained model's weights depend on: the experiment's `key` and the shared settings."""
    return {
        **key,
        "version": VERSION,
        "legacy": sorted(config.get("legacy", ())),
        "width": config.get("width", 1.0),
        "pt_min_steps": config.get("pt_min_steps", 0),
    }


def pretrained(
    ctx,
    arch: str,
    num_classes: int,
    data: Data,
    config: dict,
    key: dict,
    paper_epochs: int,
    normalise: Normalise | None = None,
) -> nn.Module:
    """A model pretrained on `data`, shared through the checkpoint cache under `key` (a dict that names
    everything its weights depend on). `normalise` defaults to Transforms-2D's 0.5 / 0.5, here and below."""
    key = model_key(config, key)
    norm = (normalise or Normalise()).to(ctx.device)
    return ctx.pretrained(
        key,
        build=lambda: new_model(arch, num_classes, config, key),
        train=lambda m: pretrain(
            m,
            data.views,
            data.n_train,
            pretrain_config(arch, config, paper_epochs),
            seed=config["init_seed"],
            rt=ctx.rt,
            normalise=norm,
            progress=ctx.progress,
        ),
    )


def accuracies(preds: dict[str, torch.Tensor], labels: dict[str, torch.Tensor]) -> dict:
    """Macro accuracy on the training samples (a fresh evaluation pass) and on the test split, and the
    original's number pooled over every split present (train + val + test, bug B1)."""
    present = [s for s in SPLITS if s in preds]
    pooled = torch.cat([preds[s] for s in present]), torch.cat([labels[s] for s in present])
    return {
        "train_accuracy": macro_accuracy(preds["train"], labels["train"]),
        "test_accuracy": macro_accuracy(preds["test"], labels["test"]),
        "pooled_accuracy": macro_accuracy(*pooled),
    }


def _labels(splits: Splits) -> dict[str, torch.Tensor]:
    return {split: labels for split, (_, labels) in splits.items()}


def probe(
    model: nn.Module, data: Data, num_classes: int, config: dict, seed: int, ctx, normalise: Normalise | None = None
) -> tuple[nn.Linear, dict]:
    """Linear probe on cached features of one view of the training samples; accuracies on the fixed
    evaluation splits (the training samples' fresh evaluation pass included). Returns the head and them."""
    norm = (normalise or Normalise()).to(ctx.device)
    images, labels = data.fit_view()
    fit_feats = embed(model, images, ctx.rt, norm)
    cfg = TrainConfig(config["lp_epochs"], config["batch_size"], min_steps=config.get("lp_min_steps", 0))
    head = linear_probe(fit_feats, labels, num_classes, cfg, seed, progress=ctx.progress)
    feats = {split: embed(model, x, ctx.rt, norm) for split, (x, _) in data.splits.items()}
    with torch.inference_mode():
        preds = {split: head(f).argmax(1) for split, f in feats.items()}
    return head, accuracies(preds, _labels(data.splits))


def evaluate(model: nn.Module, splits: Splits, ctx, normalise: Normalise | None = None) -> dict:
    """Accuracies (see `accuracies`) of a model with its own head on fixed evaluation splits."""
    norm = (normalise or Normalise()).to(ctx.device)
    model.eval()
    preds = {split: predict(model, images, ctx.rt, transform=norm).argmax(1) for split, (images, _) in splits.items()}
    return accuracies(preds, _labels(splits))


def probe_then_fine_tune(
    model: nn.Module,
    data: Data,
    num_classes: int,
    config: dict,
    seed: int,
    ctx,
    head: nn.Linear | None = None,
    normalise: Normalise | None = None,
) -> dict:
    """LP->FT on `data` (protocol §3.2) on a copy of `model`, starting from `head`, or from a head probed
    on the same samples (strict few-shot, O1 fixed) when `head` is None."""
    model = copy.deepcopy(model)
    if head is None:
        head, _ = probe(model, data, num_classes, config, seed, ctx, normalise)
    model.head = copy.deepcopy(head)
    schedule = "legacy_linear5" if "legacy_ft_lr_schedule" in config.get("legacy", ()) else "linear"
    cfg = TrainConfig(
        config["ft_epochs"], config["batch_size"], schedule=schedule, min_steps=config.get("ft_min_steps", 0)
    )
    norm = (normalise or Normalise()).to(ctx.device)
    fine_tune(model, data.views, data.n_train, cfg, seed, ctx.rt, norm, progress=ctx.progress)
    return evaluate(model, data.splits, ctx, norm)
