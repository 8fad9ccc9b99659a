"""Keyed counter-based random numbers.

Every draw is a pure function of (key, sample index, counter): the same on every call, for any
batch size or order, with or without DataLoader workers, on CPU and CUDA alike (integer hashing is
exact on both). The generator is splitmix64 on int64 tensors; keys are derived from readable parts
with SHA-256, so `derive("transform", 3, "test", 0, "rotate")` names one independent stream.
"""

from __future__ import annotations

import hashlib
import math

import torch

_MASK64 = (1 << 64) - 1


def _signed(v: int) -> int:
    v &= _MASK64
    return v - (1 << 64) if v >= 1 << 63 else v


_GOLDEN = _signed(0x9E3779B97F4A7C15)
_MUL1 = _signed(0xBF58476D1CE4E5B9)
_MUL2 = _signed(0x94D049BB133111EB)


def _shr(z: torch.Tensor, k: int) -> torch.Tensor:
    """Logical right shift of int64 values (a new tensor)."""
    return (z >> k).bitwise_and_((1 << (64 - k)) - 1)


def mix(z: torch.Tensor) -> torch.Tensor:
    """splitmix64 finaliser: a bijective 64-bit hash of int64 values (wrapping arithmetic).
    Returns a new tensor; the in-place steps only touch that one."""
    z = z ^ _shr(z, 30)
    z.mul_(_MUL1).bitwise_xor_(_shr(z, 27))
    z.mul_(_MUL2)
    return z.bitwise_xor_(_shr(z, 31))


def derive(*parts: object) -> int:
    """A 64-bit key (as a signed int) from any sequence of readable parts."""
    digest = hashlib.sha256(repr(parts).encode()).digest()
    return _signed(int.from_bytes(digest[:8], "little"))


class Draws:
    """Per-sample random numbers for a batch of sample indices under one key.

    `uniform(stream, *shape)` returns float32 (N, *shape) in [0, 1) with 24 random bits; each
    named stream is independent, and a sample's values do not depend on the rest of the batch.
    """

    def __init__(self, key: int, index: torch.Tensor):
        self.key = key
        self.index = index.to(torch.int64)

    def bits(self, stream: str, count: int) -> torch.Tensor:
        """Raw int64 hashes, shape (N, count)."""
        base = mix(self.index ^ derive(self.key, stream))
        counter = torch.arange(1, count + 1, device=self.index.device, dtype=torch.int64)
        return mix(base[:, None] + counter[None, :] * _GOLDEN)

    def uniform(self, stream: str, *shape: int) -> torch.Tensor:
        count = math.prod(shape)
        m = (count + 1) // 2
        h = self.bits(stream, m)  # two 24-bit fields per 64-bit hash: value j < m is the high field
        u = torch.empty(len(self.index), 2 * m, device=h.device)  # of hash j, value m + j the low one
        u[:, :m] = _shr(h, 40)
        u[:, m:] = (h >> 8).bitwise_and_(0xFFFFFF)
        return u[:, :count].mul_(2.0**-24).view(len(self.index), *shape)

    def normal(self, stream: str, *shape: int) -> torch.Tensor:
        """Standard normal draws (Box-Muller on two uniform streams)."""
        r = torch.neg(self.uniform(stream + "/r", *shape)).add_(1.0).log_().mul_(-2.0).sqrt_()  # 1 - u in (0, 1]
        return r.mul_(self.uniform(stream + "/theta", *shape).mul_(2.0 * torch.pi).cos_())

    def bytes(self, stream: str, *shape: int) -> torch.Tensor:
        """Uniform uint8 values in {0, ..., 255} (eight per 64-bit hash)."""
        count = math.prod(shape)
        h = self.bits(stream, (count + 7) // 8)
        return h.view(torch.uint8)[:, :count].reshape(len(self.index), *shape)
