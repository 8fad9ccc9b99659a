"""Planning estimates of GPU time, used to split `fast` and `paper` grids into chunks.

The throughputs are one H200's, from `gpu-measurements.md` (2026-11-26) where measured and
scaled by compute otherwise; they plan chunks, they are not results. `invtl bench train` on a
lent GPU replaces them with measurements.
"""

from __future__ import annotations

import math

TRAIN_IMG_S = {  # bf16 + channels_last, eager, batch 512
    "resnet18": 56_000,  # measured
    "vgg11": 103_000,  # measured
    "resnet50": 22_000,  # estimate: ~2.3x ResNet-18's FLOPs
    "densenet121": 30_000,  # estimate: few FLOPs, but memory-bound concatenations
    "vit": 20_000,  # estimate: ~2.8x ResNet-18's FLOPs (12M params x 65 tokens)
}
FEATURE_IMG_S = 256_000  # ResNet-18 inference, bf16, batch 4096 (measured); scaled like training
GENERATION_IMG_S = 1_730_000  # batched Transforms-2D generation on the GPU (measured)
STEP_OVERHEAD_S = 1.5e-4  # one small optimiser step (a linear probe's), launch-bound (estimate)
MODEL_SETUP_S = 3.0  # build, first-step warm-up and checkpoint write per trained model (estimate)


def _scale(arch: str) -> float:
    return TRAIN_IMG_S[arch] / TRAIN_IMG_S["resnet18"]


def generate(n_images: int) -> float:
    return n_images / GENERATION_IMG_S


def train(arch: str, n: int, epochs: int, width: float = 1.0) -> float:
    return MODEL_SETUP_S + n * epochs / (TRAIN_IMG_S[arch] / max(width, 0.05) ** 2)


def features(arch: str, n_images: int) -> float:
    return n_images / (FEATURE_IMG_S * _scale(arch))


def probe_steps(n: int, epochs: int, batch_size: int) -> float:
    return math.ceil(n / batch_size) * epochs * STEP_OVERHEAD_S
