"""E-4 `ife`: invariance to an irrelevant feature harms transfer to it (CIFAR-10 + pasted objects).

Per seed, 10 Transforms-2D objects are drawn, `default_rng(config_seed).choice(61, 10,
replace=False)`; object i is class i. Four tasks (input & label, book/protocol.md, E-4):

- "C&C":   plain CIFAR-10, CIFAR label;
- "C+O&C": CIFAR-10 with an object pasted on every image, CIFAR label;
- "C+O&O": the same images, object label;
- "O&O":   the object on a black background, object label (50 000 / 10 000 / 10 000).

The object label of a composite is drawn independently of its CIFAR label: it is the
Transforms-2D class of index i (keyed on the sampling seed, split and i), the same class sequence
as the objects-only data. CIFAR-10 is split 90/10 with the seeded stratified split (45 000 / 5 000,
O4) plus the official 10 000 test images; train and val backgrounds carry the default CIFAR
augmentation (crop + flip, before the object is pasted; the original's val used the training
transforms), test backgrounds none. Images are normalised with 0.5 / 0.5 (Transforms-2D).

**Object rendering** in absolute pixels: the 0.7-scaled 32 px prototype canvas is shrunk as a whole
to 18 x 18 (Pillow bicubic, round(0.55 * 32)) and pasted with its top-left corner at (16, -3), so
the object covers about x 19-31, y 0-12 (upper right): it spans [18.8, 31.2) x [-0.2, 12.2), so
x 18 carries a faint partial-coverage fringe (alpha < 64) and its row at y -1 is cut. The "translate" variant then shifts it by
(pos_x - 21, pos_y - 2) with pos in {0..19} per axis (translate with the nominal box
(21, 2, 12, 12)), drawn keyed per sample; the "fixed" variant does not.

**Invariance** (l2 and cos ratios, eval batch 512, test split, always the fixed placement, O3):
- "cifar" pair: the same objects (Transforms-2D sampling seed s + 10) on the CIFAR test images in
  two orders (keyed permutations for s and s + 1): sensitivity to the CIFAR content;
- "objects" pair: the same CIFAR order (s) with objects drawn with sampling seeds s + 10 and
  s + 11: sensitivity to the object.

One job = one (variant, seed, pretraining task): the pretrained model (200 epochs in the paper),
its accuracy on its own task, its two invariance scores, and its linear probes (100 epochs) on all
four tasks. The C&C model does not depend on the variant and is shared by both (one checkpoint).

Sizes: the `cpu` and `smoke` profiles cap CIFAR at `cifar_per_class` = [train, val, test] images per
class after the split and use `n_objects` objects-only images; each result records its sizes.
Training images are re-drawn every epoch, as the original did: the CIFAR crop and flip and, in the
translate variant, the object's position (keyed per sample and epoch); evaluation images are drawn once.
Linear probes train on cached features of one view of the training images (epoch 0).
"""

from __future__ import annotations

import json

import torch

from invtl.engine import costs
from invtl.engine.invariance import invariance, twin_features
from invtl.engine.runner import RESULT_CODE, Experiment, Job
from invtl.engine.train import Normalise, TrainConfig, embed, linear_probe
from invtl.experiments.common import (
    LEGACY_OPTIONS,
    SPLITS,
    VERSION,
    accuracies,
    check_seeds,
    evaluate,
    pretrained,
)
from invtl.experiments.ife.data import NUM_CLASSES, datasets, task, twin_sets
from invtl.experiments.ife.spec import SPEC
from invtl.t2d.rng import derive

# seed id -> (config_seed, sampling_seed); init_seed = config_seed + 493 (irrelevant_feature_extraction)
SEEDS = {
    0: (111, 694),
    1: (222, 8320),
    2: (9600, 2817),
    3: (7894, 303),
    4: (7754, 5486),
    5: (3058, 9525),
    6: (5351, 1807),
    7: (5159, 6003),
    8: (3877, 7693),
    9: (7334, 2649),
}
VARIANTS = ("fixed", "translate")
TASKS = ("C&C", "C+O&C", "C+O&O", "O&O")
INPUTS = {"C&C": "C", "C+O&C": "C+O", "C+O&O": "C+O", "O&O": "O"}  # task -> its images
LABELS = {"C&C": "cifar", "C+O&C": "cifar", "C+O&O": "object", "O&O": "object"}  # task -> its label
PAIRS = ("cifar", "objects")
METRICS = ("l2", "cos")

PAPER_PT_EPOCHS = 200  # the ViT recipe's warm-up and cosine period are set for this budget


def jobs(profile: str, seeds: list[int], legacy: tuple[str, ...] = (), source: str | None = None) -> list[Job]:
    s = SPEC.settings(profile)
    check_seeds("ife", seeds, SEEDS)
    source = source or s["source"]
    shared = {
        k: s[k]
        for k in (
            "arch",
            "width",
            "cifar_per_class",
            "n_objects",
            "pt_epochs",
            "lp_epochs",
            "batch_size",
            "eval_batch_size",
            "pt_min_steps",
            "lp_min_steps",
        )
        if k in s
    }
    out = []
    for variant in s["variants"]:
        for seed in seeds:
            config_seed, sampling_seed = SEEDS[seed]
            for pt_task in TASKS:
                config = dict(
                    shared,
                    variant=variant,
                    pt_task=pt_task,
                    seed=seed,
                    config_seed=config_seed,
                    sampling_seed=sampling_seed,
                    init_seed=config_seed + 493,
                    source=source,
                    legacy=sorted(legacy),
                    version=VERSION,
                )
                out.append(Job(config, run_job, panel=variant))
    return out


# ---------------------------------------------------------------------------------------------
# Jobs


def pretraining_key(config: dict) -> dict:
    """Everything the pretrained weights depend on; the C&C model is the same in both variants."""
    pt_task = config["pt_task"]
    key = {
        "experiment": "ife",
        "task": pt_task,
        **{k: config[k] for k in ("arch", "sampling_seed", "init_seed", "pt_epochs", "batch_size", "cifar_per_class")},
    }
    if INPUTS[pt_task] != "C":
        key.update(variant=config["variant"], objects=task(config["config_seed"]), source=config["source"])
    if INPUTS[pt_task] == "O":
        key.update(n_objects=config["n_objects"])
    return key


def run_job(config: dict, ctx) -> dict:
    device, pt_task = ctx.device, config["pt_task"]
    sets = datasets(config, device)
    pt = sets[INPUTS[pt_task]].data(LABELS[pt_task])
    model = pretrained(ctx, config["arch"], NUM_CLASSES, pt, config, pretraining_key(config), PAPER_PT_EPOCHS)
    result = {
        "pt_task": pt_task,
        "variant": config["variant"],
        "objects": task(config["config_seed"]),
        "chance": 1 / NUM_CLASSES,
        "training": evaluate(model, pt.splits, ctx),
        "lp": {},
    }

    # features once per image set: one training view (epoch 0) for the probes, and the evaluation splits
    norm = Normalise().to(device)
    fit = {
        name: embed(model, s.views(torch.arange(len(s.images["train"]), device=device), 0), ctx.rt, norm)
        for name, s in sets.items()
    }
    feats = {name: {split: embed(model, x, ctx.rt, norm) for split, x in s.images.items()} for name, s in sets.items()}
    cfg = TrainConfig(config["lp_epochs"], config["batch_size"], min_steps=config.get("lp_min_steps", 0))
    for target in TASKS:
        name = INPUTS[target]
        y = {s: v[LABELS[target]] for s, v in sets[name].labels.items()}
        head = linear_probe(
            fit[name], y["train"], NUM_CLASSES, cfg, seed=config["init_seed"] + 1, progress=ctx.progress
        )
        with torch.inference_mode():
            result["lp"][target] = accuracies({s: head(feats[name][s]).argmax(1) for s in SPLITS}, y)
    result["sizes"] = {
        "C": {s: len(x) for s, x in sets["C"].images.items()},
        "O": {s: len(x) for s, x in sets["O"].images.items()},
    }
    del feats, fit, sets

    twins = twin_sets(config, device)
    result["invariance"] = {}
    for pair in PAIRS:
        fa, fb = twin_features(model, twins["a"], twins[pair], ctx.rt, norm)
        seed = derive("permutation", config["seed"], config["variant"], pt_task, pair) & 0x7FFF_FFFF
        result["invariance"][pair] = invariance(
            fa, fb, batch_size=config["eval_batch_size"], seed=seed, metrics=METRICS
        )
    return result


def _sizes(config: dict) -> tuple[list[int], list[int]]:
    cifar = (
        [45_000, 5_000, 10_000]
        if not config["cifar_per_class"]
        else [NUM_CLASSES * c for c in config["cifar_per_class"]]
    )
    return cifar, list(config["n_objects"])


def phases(config: dict, kind: str = "cpu") -> dict[str, float]:
    """Estimated seconds of one job per phase (see `invtl.engine.costs`)."""
    cifar_sizes, objects = _sizes(config)
    n_train = objects[0] if INPUTS[config["pt_task"]] == "O" else cifar_sizes[0]
    images = 2 * sum(cifar_sizes) + sum(objects)
    return costs.job(
        kind=kind,
        arch=config["arch"],
        width=config["width"],
        pretrain=(n_train, config["pt_epochs"], config.get("pt_min_steps", 0)),
        batch_size=config["batch_size"],
        generate=images + 3 * cifar_sizes[2],
        features=images + 2 * cifar_sizes[0] + objects[0] + 4 * cifar_sizes[2],
        probes=[(n, config["lp_epochs"], config.get("lp_min_steps", 0)) for n in (*[cifar_sizes[0]] * 3, objects[0])],
    )


def pretraining(config: dict, kind: str = "cpu") -> tuple[str, float]:
    """The job's pretrained model (the C&C model is shared by both variants) and its estimated seconds."""
    cifar_sizes, objects = _sizes(config)
    n_train = objects[0] if INPUTS[config["pt_task"]] == "O" else cifar_sizes[0]
    key = json.dumps(pretraining_key(config), sort_keys=True)
    return key, costs.pretrain(
        config["arch"],
        config["width"],
        n_train,
        config["pt_epochs"],
        config.get("pt_min_steps", 0),
        config["batch_size"],
        kind,
    )


EXPERIMENT = Experiment(
    "ife",
    "E-4: invariance to an irrelevant feature (CIFAR-10 + pasted objects) and its transfer",
    panels=VARIANTS,
    jobs=jobs,
    default_seeds=lambda profile: SPEC.settings(profile)["seeds"],
    phases=phases,
    legacy=LEGACY_OPTIONS,
    pretraining=pretraining,
    result_keys=("training", "lp", "invariance"),
    code=(*RESULT_CODE, "invtl/experiments/ife/grid.py", "invtl/experiments/ife/spec.py"),
)
