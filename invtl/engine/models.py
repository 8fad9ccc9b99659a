"""The five CIFAR-style 32-px architectures of the paper (book/protocol.md, Models).

``create(name, num_classes)`` builds one of ``MODELS``. Every model is a :class:`Model`:

- ``forward(x)``  -> logits ``(N, C)`` for a normalised float batch ``(N, 3, 32, 32)``;
- ``features(x)`` -> the flattened representation the paper measures invariance on,
  ``(N, representation_dim)``;
- ``embed(x)``    -> what the head sees, ``(N, head_dim)``, so ``forward(x) == head(embed(x))``;
- ``head``        -> the final ``nn.Linear(head_dim, C)``, the layer a linear probe replaces:
  ``model.head = nn.Linear(model.head.in_features, C)``.

| name          | representation                                 | dim  | head_dim |
|---------------|------------------------------------------------|------|----------|
| `resnet18`    | avgpool                                        | 512  | 512      |
| `resnet50`    | avgpool                                        | 2048 | 2048     |
| `densenet121` | last BN, before ReLU and pooling (384×4×4)     | 6144 | 384      |
| `vgg11`       | ``layers[29]`` (trailing 1×1 avg-pool; original ``features[29]``) | 512 | 512 |
| `vit`         | LayerNorm on the CLS token                     | 384  | 384      |

The definitions follow kuangliu/pytorch-cifar and omihub777/ViT-CIFAR as used by the authors'
release, with PyTorch default initialisation. Submodules are created in the same order as in the
original, so after the same ``torch.manual_seed`` the parameters are drawn in the same order.
Module names follow the original too, except that the classifier is always called ``head``
(original: ``linear`` / ``classifier`` / ``model.fc[1]``).
"""

from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

MODELS = ("resnet18", "resnet50", "densenet121", "vgg11", "vit")


class Model(nn.Module):
    """Common interface: ``forward(x) == head(embed(x))``; ``features(x)`` is the representation."""

    representation_dim: int
    head_dim: int
    head: nn.Linear
    memory_format = torch.channels_last
    """The faster layout on CPU and GPU (ResNets, VGG); DenseNet's concatenations and the ViT's matmuls run
    faster contiguous (measured on a 2-core CPU: DenseNet 584 vs 350 img/s in bf16)."""

    def features(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """What the head sees: the representation itself, except where a model overrides it (DenseNet)."""
        return self.features(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.embed(x))


# --------------------------------------------------------------------------------------------
# ResNet-18 / ResNet-50


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, in_planes: int, planes: int, stride: int = 1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.shortcut = _shortcut(in_planes, planes * self.expansion, stride)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, in_planes: int, planes: int, stride: int = 1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, planes * self.expansion, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * self.expansion)
        self.shortcut = _shortcut(in_planes, planes * self.expansion, stride)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = F.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return F.relu(out + self.shortcut(x))


def _shortcut(in_planes: int, out_planes: int, stride: int) -> nn.Sequential:
    """Identity (empty Sequential) or 1×1 conv (no bias) → BN when the shape changes."""
    if stride == 1 and in_planes == out_planes:
        return nn.Sequential()
    return nn.Sequential(
        nn.Conv2d(in_planes, out_planes, 1, stride=stride, bias=False),
        nn.BatchNorm2d(out_planes),
    )


class ResNet(Model):
    def __init__(self, block: type[BasicBlock] | type[Bottleneck], num_blocks, num_classes: int, width: int = 64):
        super().__init__()
        self.in_planes = width
        self.conv1 = nn.Conv2d(3, width, 3, stride=1, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.layer1 = self._make_layer(block, width, num_blocks[0], stride=1)
        self.layer2 = self._make_layer(block, 2 * width, num_blocks[1], stride=2)
        self.layer3 = self._make_layer(block, 4 * width, num_blocks[2], stride=2)
        self.layer4 = self._make_layer(block, 8 * width, num_blocks[3], stride=2)
        self.avgpool = nn.AvgPool2d(4)
        self.representation_dim = self.head_dim = 8 * width * block.expansion
        self.head = nn.Linear(self.head_dim, num_classes)

    def _make_layer(self, block, planes: int, n: int, stride: int) -> nn.Sequential:
        layers = []
        for s in [stride] + [1] * (n - 1):
            layers.append(block(self.in_planes, planes, s))
            self.in_planes = planes * block.expansion
        return nn.Sequential(*layers)

    def features(self, x):
        out = F.relu(self.bn1(self.conv1(x.contiguous(memory_format=self.memory_format))))
        out = self.layer4(self.layer3(self.layer2(self.layer1(out))))
        return self.avgpool(out).flatten(1)


# --------------------------------------------------------------------------------------------
# "DenseNet-121" as used by the paper = kuangliu's densenet_cifar (growth 12)


class DenseLayer(nn.Module):
    """BN → ReLU → conv1×1 (4g) → BN → ReLU → conv3×3 (g); output [new g channels, input]."""

    def __init__(self, in_planes: int, growth: int):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(in_planes)
        self.conv1 = nn.Conv2d(in_planes, 4 * growth, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(4 * growth)
        self.conv2 = nn.Conv2d(4 * growth, growth, 3, padding=1, bias=False)

    def forward(self, x):
        out = self.conv1(F.relu(self.bn1(x)))
        out = self.conv2(F.relu(self.bn2(out)))
        return torch.cat([out, x], 1)


class Transition(nn.Module):
    """BN → ReLU → conv1×1 → AvgPool 2×2."""

    def __init__(self, in_planes: int, out_planes: int):
        super().__init__()
        self.bn = nn.BatchNorm2d(in_planes)
        self.conv = nn.Conv2d(in_planes, out_planes, 1, bias=False)

    def forward(self, x):
        return F.avg_pool2d(self.conv(F.relu(self.bn(x))), 2)


class DenseNet(Model):
    memory_format = torch.contiguous_format

    def __init__(self, num_blocks, growth: int, num_classes: int, reduction: float = 0.5):
        super().__init__()
        self.growth = growth
        planes = 2 * growth
        self.conv1 = nn.Conv2d(3, planes, 3, padding=1, bias=False)
        for i, n in enumerate(num_blocks, start=1):
            setattr(self, f"dense{i}", self._make_dense(planes, n))
            planes += n * growth
            if i < len(num_blocks):
                out_planes = int(math.floor(planes * reduction))
                setattr(self, f"trans{i}", Transition(planes, out_planes))
                planes = out_planes
        self.bn = nn.BatchNorm2d(planes)
        self.representation_dim = planes * 4 * 4
        self.head_dim = planes
        self.head = nn.Linear(planes, num_classes)

    def _make_dense(self, in_planes: int, n: int) -> nn.Sequential:
        return nn.Sequential(*[DenseLayer(in_planes + i * self.growth, self.growth) for i in range(n)])

    def _bn_map(self, x):
        """Output of the last BN, (N, 384, 4, 4): the layer the paper measures."""
        out = self.conv1(x.contiguous(memory_format=self.memory_format))
        out = self.trans1(self.dense1(out))
        out = self.trans2(self.dense2(out))
        out = self.trans3(self.dense3(out))
        return self.bn(self.dense4(out))

    def features(self, x):
        return self._bn_map(x).flatten(1)  # logical (C, H, W) order, also for channels_last

    def embed(self, x):
        return F.avg_pool2d(F.relu(self._bn_map(x)), 4).flatten(1)


# --------------------------------------------------------------------------------------------
# VGG-11 with BN

VGG11_CFG = (64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M")


class VGG(Model):
    def __init__(self, cfg, num_classes: int):
        super().__init__()
        layers: list[nn.Module] = []
        c = 3
        for v in cfg:
            if v == "M":
                layers.append(nn.MaxPool2d(2, stride=2))
            else:
                layers += [nn.Conv2d(c, v, 3, padding=1), nn.BatchNorm2d(v), nn.ReLU(inplace=True)]
                c = v
        layers.append(nn.AvgPool2d(1, stride=1))  # identity; layers[29] for VGG-11
        self.layers = nn.Sequential(*layers)  # original: `features` (a method name here)
        self.representation_dim = self.head_dim = c
        self.head = nn.Linear(c, num_classes)

    def features(self, x):
        return self.layers(x.contiguous(memory_format=self.memory_format)).flatten(1)


# --------------------------------------------------------------------------------------------
# ViT (omihub777/ViT-CIFAR as configured by the authors)


class SelfAttention(nn.Module):
    """Multi-head self-attention; logits scaled by 1/sqrt(dim) (full width, not head dim)."""

    def __init__(self, dim: int, n_heads: int):
        super().__init__()
        self.n_heads = n_heads
        self.scale = 1.0 / math.sqrt(dim)
        self.q = nn.Linear(dim, dim)
        self.k = nn.Linear(dim, dim)
        self.v = nn.Linear(dim, dim)
        self.o = nn.Linear(dim, dim)

    def forward(self, x):
        b, n, d = x.shape
        q, k, v = (
            lin(x).view(b, n, self.n_heads, d // self.n_heads).transpose(1, 2) for lin in (self.q, self.k, self.v)
        )
        # explicit attention, as the original: with 65 tokens and small heads it is 3.7x faster in bf16 on a CPU than
        # torch's fused kernel (783 against 212 img/s training at width 1/4)
        att = (q @ k.transpose(-2, -1)).mul_(self.scale).softmax(-1)  # (b, h, n, n)
        return self.o((att @ v).transpose(1, 2).reshape(b, n, d))


class Block(nn.Module):
    """Pre-LN encoder block; the MLP has a GELU after both linears (as in the original)."""

    def __init__(self, dim: int, n_heads: int, mlp_dim: int):
        super().__init__()
        self.la1 = nn.LayerNorm(dim)
        self.msa = SelfAttention(dim, n_heads)
        self.la2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, mlp_dim), nn.GELU(), nn.Linear(mlp_dim, dim), nn.GELU())

    def forward(self, x):
        x = x + self.msa(self.la1(x))
        return x + self.mlp(self.la2(x))


class ViT(Model):
    memory_format = torch.contiguous_format

    def __init__(
        self,
        num_classes: int,
        img_size: int = 32,
        patch_size: int = 4,
        dim: int = 384,
        depth: int = 7,
        n_heads: int = 8,
        mlp_dim: int = 384 * 4,
    ):
        super().__init__()
        self.patch_size = patch_size
        self.grid = img_size // patch_size
        self.emb = nn.Linear(patch_size * patch_size * 3, dim)
        self.cls_token = nn.Parameter(torch.randn(1, 1, dim))
        self.pos_emb = nn.Parameter(torch.randn(1, self.grid * self.grid + 1, dim))
        self.enc = nn.Sequential(*[Block(dim, n_heads, mlp_dim) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim)  # original: model.fc[0]
        self.representation_dim = self.head_dim = dim
        self.head = nn.Linear(dim, num_classes)  # original: model.fc[1]

    def patchify(self, x):
        """(N, C, H, W) -> (N, grid², p·p·C); tokens row-major, vector (row-in-patch, col-in-patch, channel)."""
        n, c, _, _ = x.shape
        g, p = self.grid, self.patch_size
        x = x.reshape(n, c, g, p, g, p).permute(0, 2, 4, 3, 5, 1)  # (n, gy, gx, py, px, c)
        return x.reshape(n, g * g, p * p * c)

    def features(self, x):
        out = self.emb(self.patchify(x.contiguous()))
        out = torch.cat([self.cls_token.expand(out.shape[0], -1, -1), out], dim=1)
        out = self.enc(out + self.pos_emb)
        return self.norm(out[:, 0])


# --------------------------------------------------------------------------------------------


def create(name: str, num_classes: int, width: float = 1.0) -> Model:
    """Build architecture ``name`` (one of ``MODELS``) with a ``num_classes``-way head.

    ``width`` < 1 narrows a network for CPU-sized runs (about ``width``² of the FLOPs): the channels of
    the ResNets and VGG-11, the growth rate of the DenseNet (12 -> round(12 width), at least 2), and the
    token width of the ViT (384 -> a multiple of its 8 heads, MLP 4x that). 1.0 is the paper's network.
    It is a documented deviation, used only by CPU profiles.
    """
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; choose one of {', '.join(MODELS)}")
    if not 0 < width <= 1.0:
        raise ValueError(f"width must be in (0, 1], got {width}")
    if name == "resnet18":
        return ResNet(BasicBlock, (2, 2, 2, 2), num_classes, width=max(1, round(64 * width)))
    if name == "resnet50":
        return ResNet(Bottleneck, (3, 4, 6, 3), num_classes, width=max(1, round(64 * width)))
    if name == "densenet121":
        return DenseNet((6, 12, 24, 16), growth=max(2, round(12 * width)), num_classes=num_classes)
    if name == "vgg11":
        cfg = tuple(v if v == "M" else max(1, round(v * width)) for v in VGG11_CFG)
        return VGG(cfg, num_classes)
    dim = max(8, 8 * round(48 * width))
    return ViT(num_classes, dim=dim, mlp_dim=4 * dim)
