"""E-3 `cifar_tvo`: E-1/E-2 on CIFAR-10 and CIFAR-100, the transformations as augmentation.

Per seed the transformation sets are drawn exactly as in E-1 (`tvo`), then the classes are split
at random into a target half and a disjoint half: `cands = rng.choice(arange(2N), 2N,
replace=False)`, target = cands[:N], disjoint = cands[N:] (N = 5 for CIFAR-10, 50 for CIFAR-100;
`protocol.md` E-3). The three transforms are applied to the whole image (`invtl.t2d.cifar.augment`)
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

Data handling (`protocol.md` §5):
- the 50 000 training images are split 90/10 with the seeded stratified split (O4), keyed on the
  sampling seed; test = the official 10 000, all images of the listed classes;
- per-class subsets are chosen by a hash of (sampling seed, index) and are nested;
- the augmentation of an image is a pure function of (sampling seed, CIFAR split, image index) and
  the transform list: each split is augmented **once** and the fixed view is reused in every
  epoch (as our Transforms-2D splits are), so a pretraining set with the target's classes and
  transforms is identical to the target data. The original re-drew the augmentation every epoch;
  this is a deviation (book: differences chapter). The LP features are cached once in any case.

Pretrained models are cached under the effective per-class counts, so a count at or above what the
split holds (CIFAR-10's 4 500, CIFAR-100's 500) shares the checkpoint of the full-data model.
Each job is one (dataset, seed, panel, value, transformation set); its panel is named
"<dataset>/<panel>", e.g. "cifar10/class_relationship". Datasets whose files are not found under
the data root (env INVTL_DATA_ROOT, see `invtl.t2d.cifar.load_cifar`) are left out of the grid with a
warning: nothing is recorded for them.
"""

from __future__ import annotations

import warnings

import numpy as np
import torch

from invtl.t2d import cifar
from invtl.engine import costs
from invtl.t2d.cifar import CIFAR_LEGACY, NORMALISATION, augment, class_subset, load_cifar, stratified_split
from invtl.experiments.common import LEGACY_OPTIONS, SPLITS, Splits, check_seeds, evaluate, pretrained, probe, probe_then_fine_tune
from invtl.experiments.tvo.grid import CLASS_RELATIONSHIPS, SEEDS, TRANSFORM_SETS, draw_transform_sets
from invtl.experiments.cifar_tvo.spec import SPEC
from invtl.t2d.rng import derive
from invtl.engine.runner import Experiment, Job
from invtl.engine.train import Normalise

DATASETS = ("cifar10", "cifar100")
NUM_TARGET = {"cifar10": 5, "cifar100": 50}
PANELS = ("class_relationship", "architecture", "pt_samples", "ft_samples")
CHUNK = 8192  # images augmented per batch



def task(config_seed: int, num_target: int) -> dict:
    """The seed's transformation sets (as E-1) and class lists (a random split of all 2N classes)."""
    rng = np.random.default_rng(config_seed)
    transforms = draw_transform_sets(rng)
    cands = [int(c) for c in rng.choice(np.arange(2 * num_target), 2 * num_target, replace=False)]
    target, other = cands[:num_target], cands[num_target:]
    return {
        "transforms": transforms,
        "target": target,
        "classes": {"subset": target[: max(2, round(num_target / 3))], "disjoint": other, "same": target, "superset": cands},
    }



def _points(s: dict, dataset: str) -> list[tuple[str, object]]:
    return ([("class_relationship", r) for r in CLASS_RELATIONSHIPS] + [("architecture", a) for a in s["archs"]]
            + [("pt_samples", n) for n in s["pt_samples"][dataset]] + [("ft_samples", f) for f in s["ft_samples"]])


def jobs(profile: str, seeds: list[int], legacy: tuple[str, ...] = (), source: str | None = None) -> list[Job]:
    s = SPEC.settings(profile)
    check_seeds("cifar_tvo", seeds, SEEDS)
    shared = {k: s[k] for k in ("width", "ft_sizes", "pt_epochs", "lp_epochs", "ft_epochs", "batch_size")}
    out = []
    for dataset in s["datasets"]:
        cap = s["max_per_class"][dataset] if s["max_per_class"] else None
        for seed in seeds:
            config_seed, sampling_seed = SEEDS[seed]
            for panel, value in _points(s, dataset):
                for tset in TRANSFORM_SETS:
                    config = dict(shared, dataset=dataset, num_target=NUM_TARGET[dataset], max_per_class=cap, panel=panel,
                                  value=value, transform_set=tset, seed=seed, config_seed=config_seed,
                                  sampling_seed=sampling_seed, init_seed=config_seed + 583, legacy=sorted(legacy))
                    out.append(Job(config, run_job, panel=f"{dataset}/{panel}"))
    return out


def pretraining_setup(config: dict) -> tuple[str, str, int | None]:
    """(architecture, pretraining class relationship, pretraining samples per class; None = all)."""
    panel, value = config["panel"], config["value"]
    arch = value if panel == "architecture" else "resnet18"
    relation = value if panel == "class_relationship" else ("same" if panel == "ft_samples" else "disjoint")
    per_class = value if panel == "pt_samples" else None
    return arch, relation, per_class


# ---------------------------------------------------------------------------------------------
# Data


def cifar_splits(config: dict, transforms: list[str], classes: list[int], per_class: int | float | None,
                 device: torch.device) -> tuple[Splits, list[int]]:
    """Augmented train/val/test of `classes` (labels 0..k-1 in list order) on `device`, and the
    effective number of training images per class.

    `per_class` limits the training split only (an int is a count per class, clamped to what the
    split holds, bug B7; a float a fraction); val and test keep every image of the classes. With
    the profile's `max_per_class` = [train, val, test], each split is first cut to that many
    images per class (small profiles only).
    """
    name, seed = config["dataset"], config["sampling_seed"]
    train_images, train_labels, _ = load_cifar(name, "train")
    test_images, test_labels, _ = load_cifar(name, "test")
    train_idx, val_idx = stratified_split(train_labels, seed)
    sources = {"train": ("train", train_idx), "val": ("train", val_idx), "test": ("test", torch.arange(len(test_labels)))}
    legacy = frozenset(f for f in config["legacy"] if f in CIFAR_LEGACY)
    out, counts = {}, []
    for k, split in enumerate(SPLITS):
        source, idx = sources[split]
        images, labels = (train_images, train_labels) if source == "train" else (test_images, test_labels)
        with warnings.catch_warnings():  # clamping (B7) is expected here; the effective counts are returned
            warnings.simplefilter("ignore")
            if config.get("max_per_class"):
                every = sorted(set(labels[idx].tolist()))
                keep, _ = class_subset(labels[idx], every, config["max_per_class"][k], derive("cifar-cap", seed, split), clamp=True)
                idx = idx[keep]
            keep, remapped = class_subset(labels[idx], classes, per_class if split == "train" else None, seed, clamp=True)
        idx = idx[keep]
        key = derive("cifar-tvo", seed, source)  # transforms_sampling_seed = sampling_seed
        augmented = torch.empty(len(idx), 3, cifar.SIZE, cifar.SIZE, dtype=torch.uint8, device=device)
        for start in range(0, len(idx), CHUNK):
            part = idx[start : start + CHUNK]
            augmented[start : start + len(part)] = augment(images[part].to(device), transforms, key, part.to(device), legacy)
        out[split] = (augmented, remapped.to(device))
        if split == "train":
            counts = remapped.bincount(minlength=len(classes)).tolist()
    return out, counts


def with_fraction(splits: Splits, fraction: float, seed: int) -> tuple[Splits, int]:
    """The splits with `fraction` of every class of the training split (nested in larger
    fractions), and the number of training images kept."""
    images, labels = splits["train"]
    num_classes = int(labels.max()) + 1
    keep, _ = class_subset(labels.cpu(), list(range(num_classes)), float(fraction), derive("cifar-fraction", seed))
    keep = keep.to(images.device)
    return {**splits, "train": (images[keep], labels[keep])}, len(keep)


def normaliser(config: dict, device: torch.device) -> Normalise:
    """The dataset's normalisation, passed to the `common` training helpers (whose default is 0.5 / 0.5)."""
    mean, std = NORMALISATION[config["dataset"]]
    return Normalise(mean, std).to(device)


# ---------------------------------------------------------------------------------------------
# Jobs


def run_job(config: dict, ctx) -> dict:
    cifar.require(config["dataset"])
    t = task(config["config_seed"], config["num_target"])
    arch, relation, per_class = pretraining_setup(config)
    pt_transforms, pt_classes = t["transforms"][config["transform_set"]], t["classes"][relation]
    device, C = ctx.device, len(t["target"])

    pt, pt_counts = cifar_splits(config, pt_transforms, pt_classes, per_class, device)
    # keyed on the effective counts: a count at or above what the split holds is the full data (B7), one checkpoint
    key = {"experiment": "cifar_tvo", "arch": arch, "relation": relation, "per_class": pt_counts, "transforms": pt_transforms,
           "classes": pt_classes, **{k: config[k] for k in ("dataset", "max_per_class", "sampling_seed", "init_seed",
                                                             "pt_epochs", "batch_size")}}
    norm = normaliser(config, device)
    model = pretrained(ctx, arch, len(pt_classes), pt["train"], config, key, normalise=norm)
    result = {"dataset": config["dataset"], "arch": arch, "pt_classes": relation, "pt_per_class": per_class,
              "pt_per_class_effective": pt_counts, "n_pt": sum(pt_counts), "pt_transforms": pt_transforms,
              "target_transforms": t["transforms"]["same"], "target_classes": t["target"],
              "training": evaluate(model, pt, norm)}
    del pt

    ft_panel = config["panel"] == "ft_samples"
    target, _ = cifar_splits(config, t["transforms"]["same"], t["target"], None, device)
    lp_fraction = config["value"] if ft_panel else 1.0
    lp_splits, n_lp = with_fraction(target, lp_fraction, config["sampling_seed"])
    head, result["lp"] = probe(model, lp_splits, C, config, seed=config["init_seed"] + 1, progress=ctx.progress, normalise=norm)
    result["lp"]["train_samples"] = n_lp
    full_head = head if "legacy_lp_head_source" in config["legacy"] else None
    result["ft"] = {}
    for fraction in [lp_fraction] if ft_panel else config["ft_sizes"]:
        splits, n = with_fraction(target, fraction, config["sampling_seed"])
        result["ft"][str(fraction)] = {**probe_then_fine_tune(model, splits, C, config, seed=config["init_seed"] + 2,
                                                              head=full_head, progress=ctx.progress, normalise=norm),
                              "train_samples": n}
    return result


def split_sizes(config: dict) -> tuple[int, int, int]:
    """Images per class in train / val / test (the stratified 90/10 split; capped in small profiles)."""
    per_class = {"cifar10": (4_500, 500, 1_000), "cifar100": (450, 50, 100)}[config["dataset"]]
    cap = config.get("max_per_class") or per_class
    return tuple(min(a, b) for a, b in zip(per_class, cap))


def cost(config: dict) -> float:
    """Estimated GPU seconds of one job (planning only, see `invtl.engine.costs`)."""
    arch, relation, per_class = pretraining_setup(config)
    train, val, test = split_sizes(config)
    n_classes = {"subset": max(2, round(config["num_target"] / 3)), "superset": 2 * config["num_target"]}.get(
        relation, config["num_target"])
    n_pt = n_classes * min(train, per_class or train)
    evals_pt, evals = n_classes * (val + test), config["num_target"] * (val + test)
    n_target = config["num_target"] * train
    lp = config["value"] if config["panel"] == "ft_samples" else 1.0
    ft = [lp] if config["panel"] == "ft_samples" else config["ft_sizes"]
    seconds = costs.generate(n_pt + evals_pt + n_target + evals)
    seconds += costs.train(arch, n_pt, config["pt_epochs"], config["width"]) + costs.features(arch, n_pt + evals_pt)
    seconds += costs.features(arch, lp * n_target + evals) + costs.probe_steps(int(lp * n_target), config["lp_epochs"],
                                                                                 config["batch_size"])
    for f in ft:
        n = int(f * n_target)
        seconds += 2 * costs.features(arch, n + evals) + costs.probe_steps(n, config["lp_epochs"], config["batch_size"])
        seconds += costs.train(arch, n, config["ft_epochs"], config["width"])
    return seconds


EXPERIMENT = Experiment("cifar_tvo", "E-3: same vs disjoint transformations against other factors on CIFAR-10/100 "
                    "(transformations as augmentation)",
                    panels=tuple(f"{d}/{p}" for d in DATASETS for p in PANELS), jobs=jobs,
                    default_seeds=lambda profile: SPEC.settings(profile)["seeds"], cost=cost,
                        legacy=LEGACY_OPTIONS)
