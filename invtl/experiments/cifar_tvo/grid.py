"""E-3 `cifar_tvo`: E-1/E-2 on CIFAR-10 and CIFAR-100, the transformations as augmentation.

Per seed the transformation sets are drawn exactly as in E-1 (`tvo`), then the classes are split
at random into a target half and a disjoint half: `cands = rng.choice(arange(2N), 2N,
replace=False)`, target = cands[:N], disjoint = cands[N:] (N = 5 for CIFAR-10, 50 for CIFAR-100;
book/protocol.md, E-3). The three transforms are applied to the whole image (`invtl.t2d.cifar_views.augment`)
for training *and* test data. Every point of the four panels is pretrained with the same and with
the disjoint transformations, then transferred to the target classes under the same transforms:

- class relationship: pretraining classes subset (round(N/3)) / disjoint / same / superset (2N);
- architecture: resnet18, resnet50, densenet121, vgg11, vit on the disjoint classes;
- pretraining samples: a count *per class* on the disjoint classes, clamped to what the 90 %
  split holds (bug B7: CIFAR-100's 500 becomes 450); the effective counts are recorded;
- fine-tuning samples: pretraining on the target classes, LP and LP->FT on a *fraction* per class.

Outside the FT-samples panel the linear probe uses 100 % of the target classes' training data and
LP->FT runs on 1 % and 10 % per class (strict few-shot: the probe of LP->FT sees the same samples,
unless `legacy_lp_head_source`, O1). All data are normalised with the dataset's CIFAR statistics.

Data handling (book/protocol.md):
- the 50 000 training images are split 90/10 with the seeded stratified split (O4), keyed on the
  sampling seed; test = the official 10 000, all images of the listed classes;
- per-class subsets are chosen by a hash of (sampling seed, index) and are nested;
- the augmentation of an image is a pure function of (sampling seed, CIFAR split, image index, epoch)
  and the transform list: training images are re-augmented every epoch (as the original did), the
  evaluation splits (val, test, and a fresh evaluation pass over the training images) are fixed. A
  pretraining set with the target's classes and transforms is therefore the target data. Linear probes
  train on cached features of one augmented view (epoch 0).

Pretrained models are cached under the effective per-class counts, so a count at or above what the
split holds (CIFAR-10's 4 500, CIFAR-100's 500) shares the checkpoint of the full-data model.
Each job is one (dataset, seed, panel, value, transformation set); its panel is named
"<dataset>/<panel>", e.g. "cifar10/class_relationship". Datasets whose files are not found under
the data root (env INVTL_DATA_ROOT, see `invtl.t2d.cifar.load_cifar`) are left out of the grid with a
warning: nothing is recorded for them.
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import torch

from invtl.engine.runner import RESULT_CODE, Experiment, Job
from invtl.engine.train import Normalise
from invtl.experiments.cifar_tvo.spec import SPEC
from invtl.experiments.common import LEGACY_OPTIONS, SPLITS, Data, memoised
from invtl.experiments.tvo.grid import Family, classes, draw_transform_sets, grid, points, pretraining_setup
from invtl.t2d import cifar
from invtl.t2d.cifar import CIFAR_LEGACY, NORMALISATION, load_cifar
from invtl.t2d.cifar_views import augment, class_subset, stratified_split
from invtl.t2d.rng import derive

DATASETS = ("cifar10", "cifar100")
NUM_TARGET = {"cifar10": 5, "cifar100": 50}
PANELS = ("class_relationship", "architecture", "pt_samples", "ft_samples")
CHUNK = 8192  # images augmented per batch


def task(config_seed: int, num_target: int) -> dict:
    """The seed's transformation sets (as E-1) and class lists (a random split of all 2N classes)."""
    rng = np.random.default_rng(config_seed)
    transforms = draw_transform_sets(rng)
    cands = [int(c) for c in rng.choice(np.arange(2 * num_target), 2 * num_target, replace=False)]
    return {
        "transforms": transforms,
        "target": cands[:num_target],
        "classes": classes(cands[:num_target], cands[num_target:]),
    }


def split_indices(config: dict, class_list: list[int], per_class: int | float | None) -> tuple[dict, list[int]]:
    """split -> (CIFAR split it reads, indices into it, labels 0..k-1 in list order) of `class_list`, and the
    effective number of training images per class.

    `per_class` limits the training split only (an int is a count per class, clamped to what the split
    holds, bug B7; a float a fraction); val and test keep every image of the classes. With the profile's
    `max_per_class` = [train, val, test], each split is first cut to that many images per class (small
    profiles only)."""
    name, seed = config["dataset"], config["sampling_seed"]
    train_labels, test_labels = load_cifar(name, "train")[1], load_cifar(name, "test")[1]
    train_idx, val_idx = stratified_split(train_labels, seed)
    parts = {"train": ("train", train_idx), "val": ("train", val_idx), "test": ("test", torch.arange(len(test_labels)))}
    cap = config.get("max_per_class") or {}
    out, counts = {}, []
    for k, split in enumerate(SPLITS):
        source, idx = parts[split]
        labels = train_labels if source == "train" else test_labels
        with warnings.catch_warnings():  # clamping (B7) is expected here; the effective counts are returned
            warnings.simplefilter("ignore")
            if cap:
                every = sorted(set(labels[idx].tolist()))
                keep, _ = class_subset(labels[idx], every, cap[k], derive("cifar-cap", seed, split), clamp=True)
                idx = idx[keep]
            keep, remapped = class_subset(
                labels[idx], class_list, per_class if split == "train" else None, seed, clamp=True
            )
        out[split] = (source, idx[keep], remapped)
        if split == "train":
            counts = remapped.bincount(minlength=len(class_list)).tolist()
    return out, counts


def cifar_data(
    config: dict, transforms: list[str], class_list: list[int], per_class, device: torch.device
) -> tuple[Data, list[int]]:
    """Augmented CIFAR data of `class_list` on `device` and the effective training images per class: the
    training images re-augmented every epoch, val / test and a fresh evaluation pass over the training
    images augmented once (generated once per process)."""
    cifar.require(config["dataset"])
    name, seed = config["dataset"], config["sampling_seed"]
    legacy = frozenset(f for f in config["legacy"] if f in CIFAR_LEGACY)
    images = {s: load_cifar(name, s)[0] for s in ("train", "test")}
    parts, counts = split_indices(config, class_list, per_class)

    def view(source: str, idx: torch.Tensor, epoch: int | None) -> torch.Tensor:
        key = derive(
            "cifar-tvo", seed, source, *(() if epoch is None else (epoch,))
        )  # transforms_sampling_seed = sampling_seed
        out = torch.empty(len(idx), 3, cifar.SIZE, cifar.SIZE, dtype=torch.uint8, device=device)
        for start in range(0, len(idx), CHUNK):
            part = idx[start : start + CHUNK]
            out[start : start + len(part)] = augment(
                images[source][part].to(device), transforms, key, part.to(device), legacy
            )
        return out

    splits = {}
    for split, (source, idx, labels) in parts.items():
        key = ("cifar", name, split, tuple(idx.tolist()), tuple(transforms), seed, tuple(sorted(legacy)), str(device))
        splits[split] = memoised(key, lambda s=source, i=idx, y=labels: (view(s, i, None), y.to(device)))
    source, train_idx, train_labels = parts["train"]
    train_labels = train_labels.to(device)

    def views(idx: torch.Tensor, epoch: int) -> tuple[torch.Tensor, torch.Tensor]:
        return view(source, train_idx[idx.cpu()], epoch), train_labels[idx]

    if "fixed_views" in config["legacy"]:
        views = lambda idx, epoch: (splits["train"][0][idx], train_labels[idx])  # noqa: E731
    return Data(len(train_idx), views, splits), counts


def with_fraction(data: Data, fraction: float, config: dict) -> tuple[Data, int]:
    """The data with `fraction` of every class of the training images (nested in larger fractions; the
    authors' per-class count round(fraction x n), at least 1), and the number of training images kept."""
    labels = data.splits["train"][1]
    keep, _ = class_subset(
        labels.cpu(),
        list(range(int(labels.max()) + 1)),
        float(fraction),
        derive("cifar-fraction", config["sampling_seed"]),
    )
    return data.take(keep), len(keep)


def _task(config: dict) -> dict:
    return task(config["config_seed"], config["num_target"])


def _pretraining(config: dict, transforms: list[str], pt_classes: list[int], per_class, device) -> tuple[Data, dict]:
    data, counts = cifar_data(config, transforms, pt_classes, per_class, device)
    return data, {
        "dataset": config["dataset"],
        "pt_per_class": per_class,
        "pt_per_class_effective": counts,
        "n_pt": sum(counts),
        "target_classes": task(config["config_seed"], config["num_target"])["target"],
    }


def _target(config: dict, transforms: list[str], target: list[int], device) -> Data:
    return cifar_data(config, transforms, target, None, device)[0]


def _full(config: dict) -> float:
    return 1.0


def _normalise(config: dict) -> Normalise:
    """The dataset's CIFAR statistics (protocol §5)."""
    return Normalise(*NORMALISATION[config["dataset"]])


def _key(config: dict, extras: dict) -> dict:
    # keyed on the effective counts: a count at or above what the split holds is the full data (B7), one checkpoint
    return {
        "experiment": "cifar_tvo",
        "per_class": extras["pt_per_class_effective"],
        **{k: config[k] for k in ("dataset", "max_per_class", "sampling_seed", "init_seed", "pt_epochs", "batch_size")},
    }


CIFAR = Family(
    task=_task,
    pretraining=_pretraining,
    target=_target,
    take=with_fraction,
    full_amount=_full,
    normalise=_normalise,
    key=_key,
)

SHARED = (
    "width",
    "ft_sizes",
    "pt_epochs",
    "lp_epochs",
    "ft_epochs",
    "batch_size",
    "pt_min_steps",
    "lp_min_steps",
    "ft_min_steps",
)


def jobs(profile: str, seeds: list[int], legacy: tuple[str, ...] = (), source: str | None = None) -> list[Job]:
    """Every dataset of the profile, whether or not its files are here (a job without them is not run)."""
    s = SPEC.settings(profile)
    out = []
    for dataset in s["datasets"]:
        cap = s["max_per_class"][dataset] if s["max_per_class"] else None
        shared = {k: s[k] for k in SHARED if k in s} | {
            "dataset": dataset,
            "num_target": NUM_TARGET[dataset],
            "max_per_class": cap,
        }
        out += grid(
            "cifar_tvo",
            CIFAR,
            profile,
            seeds,
            points(s, s["pt_samples"][dataset]),
            shared,
            legacy,
            panel_prefix=f"{dataset}/",
        )
    return out


def split_sizes(config: dict) -> tuple[int, int, int]:
    """Images per class in train / val / test (the stratified 90/10 split; capped in small profiles)."""
    per_class = {"cifar10": (4_500, 500, 1_000), "cifar100": (450, 50, 100)}[config["dataset"]]
    cap = config.get("max_per_class") or per_class
    return tuple(min(a, b) for a, b in zip(per_class, cap))


def phases(config: dict, kind: str = "cpu") -> dict[str, float]:
    """Estimated seconds of one job per phase (see `invtl.engine.costs`)."""
    from invtl.engine import costs

    arch, relation, per_class = pretraining_setup(config)
    train, val, test = split_sizes(config)
    n_classes = {"subset": max(2, round(config["num_target"] / 3)), "superset": 2 * config["num_target"]}.get(
        relation, config["num_target"]
    )
    n_pt = n_classes * min(train, per_class or train)
    evals_pt, evals = n_classes * (val + test), config["num_target"] * (val + test)
    n_target = config["num_target"] * train
    ft_panel = config["panel"] == "ft_samples"
    lp = config["value"] if ft_panel else 1.0
    ft = [lp] if ft_panel else config["ft_sizes"]
    n_lp = int(lp * n_target)
    return costs.job(
        kind=kind,
        arch=arch,
        width=config["width"],
        pretrain=(n_pt, config["pt_epochs"], config.get("pt_min_steps", 0)),
        batch_size=config["batch_size"],
        generate=n_pt + evals_pt + n_target + evals + n_lp,
        features=n_pt + evals_pt + 2 * n_lp + evals + sum(2 * int(f * n_target) + 2 * evals for f in ft),
        probes=[(n_lp, config["lp_epochs"], config.get("lp_min_steps", 0))]
        + [(int(f * n_target), config["lp_epochs"], config.get("lp_min_steps", 0)) for f in ft if not ft_panel],
        fine_tunes=[(int(f * n_target), config["ft_epochs"], config.get("ft_min_steps", 0)) for f in ft],
    )


def pretraining(config: dict, kind: str = "cpu") -> tuple[str, float]:
    """The job's pretrained model (keyed on the effective per-class count, as its checkpoint) and its seconds."""
    from invtl.engine import costs

    arch, relation, per_class = pretraining_setup(config)
    train = split_sizes(config)[0]
    effective = min(train, per_class or train)
    n_classes = {"subset": max(2, round(config["num_target"] / 3)), "superset": 2 * config["num_target"]}.get(
        relation, config["num_target"]
    )
    key = json.dumps([config["dataset"], config["seed"], config["transform_set"], arch, relation, effective])
    return key, costs.pretrain(
        arch,
        config["width"],
        n_classes * effective,
        config["pt_epochs"],
        config.get("pt_min_steps", 0),
        config["batch_size"],
        kind,
    )


EXPERIMENT = Experiment(
    "cifar_tvo",
    "E-3: same vs disjoint transformations against other factors on CIFAR-10/100 (transformations as augmentation)",
    panels=tuple(f"{d}/{p}" for d in DATASETS for p in PANELS),
    jobs=jobs,
    default_seeds=lambda profile: SPEC.settings(profile)["seeds"],
    phases=phases,
    legacy=LEGACY_OPTIONS,
    pretraining=pretraining,
    result_keys=("training", "lp", "ft"),
    code=(
        *RESULT_CODE,
        "invtl/experiments/tvo/grid.py",
        "invtl/experiments/cifar_tvo/grid.py",
        "invtl/experiments/cifar_tvo/spec.py",
    ),
)
