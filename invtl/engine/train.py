"""Supervised pretraining, linear probing and fine-tuning in plain PyTorch.

Training data are *views*: a function `views(indices, epoch) -> (uint8 images, labels)` on the training
device. Transforms-2D and CIFAR training splits re-draw their transformations every epoch (epoch in the
random key), as the authors' pipeline did; `fit` asks for each epoch's views chunk by chunk as it trains,
so no epoch is ever stored whole and the batches do not depend on the chunk size. There are no
DataLoader workers and no per-sample Python.

Speed: under `Runtime(precision="bf16")` the step runs in bf16 autocast (CUDA, and CPUs with native bf16);
ResNets and VGG run channels_last on every device (`Model.memory_format`). Optimisers and schedules follow the protocol: Adam 1e-3 for
the CNNs; the ViT pretraining recipe (5 warm-up epochs at 1e-6, then cosine with T_max 200, both scaled with
the epoch budget in shortened profiles); linear decay to 0 over all fine-tuning epochs
(`legacy_ft_lr_schedule`: the original's 5-epoch decay, bug B2).
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F
from tqdm.auto import tqdm

from invtl.engine.timing import phase

T2D_MEAN, T2D_STD = (0.5, 0.5, 0.5), (0.5, 0.5, 0.5)
SCHEDULES = ("constant", "linear", "legacy_linear5", "vit")
PRECISIONS = ("auto", "fp32", "bf16")
CHUNK = 4096  # views generated per call: large enough to batch generation, small enough to stay in cache

Views = Callable[[torch.Tensor, int], tuple[torch.Tensor, torch.Tensor]]
"""(sample indices, epoch) -> (inputs, labels) on the training device."""


def native_bf16(device: torch.device) -> bool:
    """CUDA, or a CPU whose instruction set has bf16 arithmetic (avx512_bf16 or amx_bf16)."""
    if device.type == "cuda":
        return True
    try:
        flags = next(line for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("flags"))
    except (OSError, StopIteration):
        return False
    return any(f in flags.split() for f in ("avx512_bf16", "amx_bf16"))


def resolve_precision(precision: str, device: torch.device) -> str:
    """ "auto" -> "bf16" where the device computes bf16 natively, else "fp32"."""
    if precision not in PRECISIONS:
        raise ValueError(f"unknown precision {precision!r}; valid: {', '.join(PRECISIONS)}")
    if precision == "auto":
        return "bf16" if native_bf16(device) else "fp32"
    return precision


@dataclass(frozen=True)
class Runtime:
    """Where and how the arithmetic runs: the device and "fp32" or "bf16" (autocast)."""

    device: torch.device = torch.device("cpu")
    precision: str = "fp32"

    def autocast(self):
        if self.precision == "bf16":
            return torch.autocast(self.device.type, dtype=torch.bfloat16)
        return contextlib.nullcontext()


@dataclass(frozen=True)
class TrainConfig:
    """One training phase. `schedule` is a per-epoch learning-rate factor (see `lr_factor`); `min_steps`
    lengthens short runs to at least that many optimiser steps; `schedule_scale` stretches the ViT
    recipe's warm-up and cosine period (1.0 = the paper's absolute 5 and 200 epochs)."""

    epochs: int
    batch_size: int = 512
    lr: float = 1e-3
    weight_decay: float = 0.0
    schedule: str = "constant"
    min_steps: int = 0
    schedule_scale: float = 1.0
    compile: bool = False

    def epochs_for(self, n: int) -> int:
        """Epochs actually run on n samples: `epochs`, or more to reach `min_steps`."""
        return max(self.epochs, math.ceil(self.min_steps / math.ceil(n / self.batch_size)))


def vit_pretrain_config(
    epochs: int, batch_size: int = 512, min_steps: int = 0, paper_epochs: int | None = None
) -> TrainConfig:
    """The original ViT recipe (Adam 1e-3, weight decay 5e-5, warm-up then cosine); in a profile with fewer
    epochs than the paper's (`paper_epochs`) the warm-up and cosine period shrink in proportion."""
    scale = epochs / paper_epochs if paper_epochs else 1.0
    return TrainConfig(
        epochs,
        batch_size,
        lr=1e-3,
        weight_decay=5e-5,
        schedule="vit",
        min_steps=min_steps,
        schedule_scale=min(scale, 1.0),
    )


def lr_factor(schedule: str, epochs: int, scale: float = 1.0) -> Callable[[int], float]:
    """Learning-rate multiplier for epoch e of a phase of `epochs` epochs."""
    if schedule == "constant":
        return lambda e: 1.0
    if schedule == "linear":  # LP->FT: 1.0 at epoch 0 down to 1/epochs in the last epoch
        return lambda e: max(0.0, 1.0 - e / epochs)
    if schedule == "legacy_linear5":  # bug B2: torch's default total_iters = 5
        return lambda e: max(0.0, 1.0 - e / 5)
    if schedule == "vit":  # ConstantLR(1e-3) for 5 epochs, then CosineAnnealingLR(T_max 200, eta_min 1e-5)
        warmup, t_max = max(1, round(5 * scale)), 200 * scale
        return lambda e: (
            1e-3 if e < warmup else (1e-5 + (1e-3 - 1e-5) * (1 + math.cos(math.pi * (e - warmup) / t_max)) / 2) / 1e-3
        )
    raise ValueError(f"unknown schedule {schedule!r}; valid: {', '.join(SCHEDULES)}")


class Normalise(nn.Module):
    """uint8 images (N, 3, S, S) -> float32 (x / 255 - mean) / std (each model converts to its own layout).
    The one normalisation of the package: Transforms-2D's 0.5 / 0.5 by default, CIFAR's statistics where
    an experiment says so."""

    def __init__(self, mean=T2D_MEAN, std=T2D_STD):
        super().__init__()
        self.register_buffer("scale", 1.0 / (255.0 * torch.tensor(std).view(1, 3, 1, 1)), persistent=False)
        self.register_buffer(
            "shift", torch.tensor(mean).view(1, 3, 1, 1) / torch.tensor(std).view(1, 3, 1, 1), persistent=False
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.float() * self.scale - self.shift


def tensor_views(inputs: torch.Tensor, labels: torch.Tensor) -> Views:
    """Views of stored tensors: the same in every epoch (cached features, fixed views)."""
    return lambda idx, epoch: (inputs[idx], labels[idx])


def fit(
    model: nn.Module,
    views: Views,
    n: int,
    cfg: TrainConfig,
    seed: int,
    rt: Runtime,
    transform: Callable[[torch.Tensor], torch.Tensor] | None = None,
    parameters=None,
    progress: bool = False,
    desc: str = "train",
    views_phase: str = "generate",
) -> int:
    """Train `model` with Adam and cross-entropy on n samples; returns the number of epochs run.

    Every epoch reshuffles the sample order (from `seed`) and asks `views` for that epoch's samples in
    chunks of `CHUNK` indices, then steps through them in batches of `cfg.batch_size`. `transform` maps
    stored inputs to model inputs (e.g. `Normalise()`). Trains `parameters` (default: all of the model's).
    """
    params = list(model.parameters() if parameters is None else parameters)
    opt = torch.optim.Adam(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    epochs = cfg.epochs_for(n)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_factor(cfg.schedule, epochs, cfg.schedule_scale))
    step_model = torch.compile(model) if cfg.compile else model
    g = torch.Generator().manual_seed(seed)
    chunk = max(1, CHUNK // cfg.batch_size) * cfg.batch_size
    bar = tqdm(total=epochs * math.ceil(n / cfg.batch_size), desc=desc, unit="step", disable=not progress, leave=False)
    for epoch in range(epochs):
        perm = torch.randperm(n, generator=g).to(rt.device)
        for c in range(0, n, chunk):
            with phase(views_phase):
                inputs, labels = views(perm[c : c + chunk], epoch)
            for start in range(0, len(labels), cfg.batch_size):
                x = inputs[start : start + cfg.batch_size]
                x = x if transform is None else transform(x)
                with rt.autocast():
                    loss = F.cross_entropy(step_model(x), labels[start : start + cfg.batch_size])
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                bar.update()
        sched.step()
    bar.close()
    return epochs


INFERENCE_BATCH = {"cpu": 256, "cuda": 4096}
"""Images per forward pass in evaluation: on the CPU small batches stay in cache (ResNet-18 at width 1/4 embeds
2 100 img/s at 256 against 1 200 at 2 048); a GPU wants large ones."""


@torch.inference_mode()
def predict(
    fn: Callable[[torch.Tensor], torch.Tensor],
    inputs: torch.Tensor,
    rt: Runtime,
    batch_size: int | None = None,
    transform=None,
) -> torch.Tensor:
    """Concatenated float32 outputs of `fn` over `inputs` in batches (eval mode is the caller's)."""
    batch_size = batch_size or INFERENCE_BATCH.get(rt.device.type, 256)
    outs = []
    for start in range(0, len(inputs), batch_size):
        x = inputs[start : start + batch_size].to(rt.device)
        x = x if transform is None else transform(x)
        with rt.autocast():
            outs.append(fn(x).float())
    return torch.cat(outs)


def macro_accuracy(logits_or_preds: torch.Tensor, labels: torch.Tensor, num_classes: int | None = None) -> float:
    """Mean per-class recall (torchmetrics' MulticlassAccuracy default), over classes present."""
    preds = logits_or_preds.argmax(1) if logits_or_preds.dim() == 2 else logits_or_preds
    c = int(num_classes or int(labels.max()) + 1)
    total = torch.bincount(labels, minlength=c).float()
    hits = torch.bincount(labels[preds == labels], minlength=c).float()
    present = total > 0
    return (hits[present] / total[present]).mean().item()


def pretrain(
    model: nn.Module,
    views: Views,
    n: int,
    cfg: TrainConfig,
    seed: int,
    rt: Runtime,
    normalise: Normalise,
    progress: bool = False,
) -> int:
    """Supervised pretraining from scratch (all layers, BatchNorm in train mode); returns the epochs run."""
    model.train()
    with phase("pretrain"):
        return fit(model, views, n, cfg, seed, rt, transform=normalise, progress=progress, desc="pretrain")


def embed(model: nn.Module, images: torch.Tensor, rt: Runtime, normalise: Normalise) -> torch.Tensor:
    """What the head sees (`model.embed`), in eval mode: the probe's cached features."""
    model.eval()
    with phase("features"):
        return predict(model.embed, images, rt, transform=normalise)


def representations(
    model: nn.Module, images: torch.Tensor, rt: Runtime, normalise: Normalise, batch_size: int | None = None
) -> torch.Tensor:
    """The paper's representation (`model.features`, flattened), in eval mode: what invariance is measured on."""
    was_training = model.training
    model.eval()
    try:
        with phase("features"):
            return predict(lambda x: model.features(x).flatten(1), images, rt, batch_size, transform=normalise)
    finally:
        model.train(was_training)


def linear_probe(
    features: torch.Tensor, labels: torch.Tensor, num_classes: int, cfg: TrainConfig, seed: int, progress: bool = False
) -> nn.Linear:
    """A fresh linear head (default init from `seed`) trained on cached backbone features (fp32).

    The features come from `embed` (backbone in eval mode, BatchNorm statistics frozen), so training the
    head alone is the original's probe with the features computed once, on one view of the data.
    """
    torch.manual_seed(seed)
    head = nn.Linear(features.shape[1], num_classes).to(features.device)
    with phase("probe"):
        fit(
            head,
            tensor_views(features, labels),
            len(labels),
            cfg,
            seed,
            Runtime(features.device),
            progress=progress,
            desc="probe",
            views_phase="probe",
        )
    return head


def fine_tune(
    model: nn.Module,
    views: Views,
    n: int,
    cfg: TrainConfig,
    seed: int,
    rt: Runtime,
    normalise: Normalise,
    progress: bool = False,
) -> int:
    """LP->FT: every parameter trainable from the probed model (its head kept), BatchNorm in train mode."""
    for p in model.parameters():
        p.requires_grad_(True)
    model.train()
    with phase("fine-tune"):
        return fit(model, views, n, cfg, seed, rt, transform=normalise, progress=progress, desc="fine-tune")
