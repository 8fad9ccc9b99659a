"""Supervised pretraining, linear probing and fine-tuning in plain PyTorch.

Data live on the training device as uint8 tensors (generated once, see `Transforms2D.generate`)
and are normalised batch by batch; there are no DataLoader workers and no per-sample Python. On
CUDA the step runs under bf16 autocast with channels_last tensors (optionally `torch.compile`d).
Optimisers and schedules follow `protocol.md` §2.2: Adam 1e-3 for the CNNs; the ViT pretraining
recipe (5 warm-up epochs at 1e-6, then cosine with T_max 200); linear decay to 0 over all
fine-tuning epochs (`legacy_ft_lr_schedule`: the original's 5-epoch decay, bug B2).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import torch
import torch.nn as nn
import torch.nn.functional as F
from tqdm.auto import tqdm

T2D_MEAN, T2D_STD = (0.5, 0.5, 0.5), (0.5, 0.5, 0.5)
SCHEDULES = ("constant", "linear", "legacy_linear5", "vit")


@dataclass(frozen=True)
class TrainConfig:
    """One training phase. `schedule` is a per-epoch learning-rate factor (see `lr_factor`)."""

    epochs: int
    batch_size: int = 512
    lr: float = 1e-3
    weight_decay: float = 0.0
    schedule: str = "constant"
    compile: bool = False


def vit_pretrain_config(epochs: int, batch_size: int = 512) -> TrainConfig:
    """The original ViT recipe (Adam 1e-3, weight decay 5e-5, warm-up then cosine)."""
    return TrainConfig(epochs, batch_size, lr=1e-3, weight_decay=5e-5, schedule="vit")


def lr_factor(schedule: str, epochs: int) -> Callable[[int], float]:
    """Learning-rate multiplier for epoch e of a phase."""
    if schedule == "constant":
        return lambda e: 1.0
    if schedule == "linear":  # LP->FT: 1.0 at epoch 0 down to 1/epochs in the last epoch, 0 after
        return lambda e: max(0.0, 1.0 - e / epochs)
    if schedule == "legacy_linear5":  # bug B2: torch's default total_iters = 5
        return lambda e: max(0.0, 1.0 - e / 5)
    if schedule == "vit":  # ConstantLR(1e-3) for 5 epochs, then CosineAnnealingLR(T_max 200, eta_min 1e-5)
        return lambda e: 1e-3 if e < 5 else (1e-5 + (1e-3 - 1e-5) * (1 + math.cos(math.pi * (e - 5) / 200)) / 2) / 1e-3
    raise ValueError(f"unknown schedule {schedule!r}; valid: {', '.join(SCHEDULES)}")


class Normalise(nn.Module):
    """uint8 images (N, 3, S, S) -> normalised float32, channels_last on CUDA."""

    def __init__(self, mean=T2D_MEAN, std=T2D_STD):
        super().__init__()
        self.register_buffer("scale", 1.0 / (255.0 * torch.tensor(std).view(1, 3, 1, 1)), persistent=False)
        self.register_buffer("shift", torch.tensor(mean).view(1, 3, 1, 1) / torch.tensor(std).view(1, 3, 1, 1), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.float() * self.scale - self.shift
        return x.contiguous(memory_format=torch.channels_last) if x.is_cuda else x


def _autocast(device: torch.device):
    return torch.autocast("cuda", dtype=torch.bfloat16, enabled=device.type == "cuda")


def fit(
    model: nn.Module,
    inputs: torch.Tensor,
    labels: torch.Tensor,
    cfg: TrainConfig,
    seed: int,
    transform: Callable[[torch.Tensor], torch.Tensor] | None = None,
    parameters=None,
    progress: bool = False,
    desc: str = "train",
) -> nn.Module:
    """Train `model` with Adam and cross-entropy on device-resident (inputs, labels).

    `transform` maps a batch of stored inputs to model inputs (e.g. `Normalise()`); the batch order
    is reshuffled every epoch from `seed`. Trains `parameters` (default: all of the model's).
    """
    device = inputs.device
    params = list(model.parameters() if parameters is None else parameters)
    opt = torch.optim.Adam(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_factor(cfg.schedule, cfg.epochs))
    step_model = torch.compile(model) if cfg.compile else model
    g = torch.Generator().manual_seed(seed)
    n = len(inputs)
    bar = tqdm(total=cfg.epochs * math.ceil(n / cfg.batch_size), desc=desc, unit="step", disable=not progress, leave=False)
    for _ in range(cfg.epochs):
        perm = torch.randperm(n, generator=g).to(device)
        for start in range(0, n, cfg.batch_size):
            idx = perm[start : start + cfg.batch_size]
            x = inputs[idx] if transform is None else transform(inputs[idx])
            with _autocast(device):
                loss = F.cross_entropy(step_model(x), labels[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            bar.update()
        sched.step()
    bar.close()
    return model


@torch.inference_mode()
def predict(fn: Callable[[torch.Tensor], torch.Tensor], inputs: torch.Tensor, batch_size: int = 2048, transform=None) -> torch.Tensor:
    """Concatenated float32 outputs of `fn` over `inputs` in batches (eval mode is the caller's)."""
    outs = []
    for start in range(0, len(inputs), batch_size):
        x = inputs[start : start + batch_size]
        x = x if transform is None else transform(x)
        with _autocast(inputs.device):
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


def pretrain(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, cfg: TrainConfig, seed: int,
             progress: bool = False, transform: Normalise | None = None) -> nn.Module:
    """Supervised pretraining from scratch on uint8 images (all layers, BatchNorm in train mode);
    `transform` normalises the images (default: Transforms-2D's 0.5 / 0.5)."""
    model.train()
    return fit(model, images, labels, cfg, seed, transform=transform or Normalise().to(images.device), progress=progress,
               desc="pretrain")


def embed(model: nn.Module, images: torch.Tensor, transform=None) -> torch.Tensor:
    """What the head sees (`model.embed`), computed once in eval mode: the probe's cached features."""
    model.eval()
    return predict(model.embed, images, transform=transform or Normalise().to(images.device))


def linear_probe(features: torch.Tensor, labels: torch.Tensor, num_classes: int, cfg: TrainConfig, seed: int, progress: bool = False) -> nn.Linear:
    """A fresh linear head (default init from `seed`) trained on cached backbone features.

    The features come from `embed` (backbone in eval mode, BatchNorm statistics frozen), so
    training the head alone is the original's probe with the features computed once.
    """
    torch.manual_seed(seed)
    head = nn.Linear(features.shape[1], num_classes).to(features.device)
    return fit(head, features, labels, cfg, seed, progress=progress, desc="probe")


def fine_tune(
    model: nn.Module, train: tuple[torch.Tensor, torch.Tensor], cfg: TrainConfig, seed: int, progress: bool = False,
    transform: Normalise | None = None,
) -> nn.Module:
    """LP->FT: every parameter trainable from the probed model (its head kept), BatchNorm in train mode."""
    for p in model.parameters():
        p.requires_grad_(True)
    model.train()
    images, labels = train
    return fit(model, images, labels, cfg, seed, transform=transform or Normalise().to(images.device), progress=progress,
               desc="fine-tune")
