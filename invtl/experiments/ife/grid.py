"""E-4 `ife`: invariance to an irrelevant feature harms transfer to it (CIFAR-10 + pasted objects).

Per seed, 10 Transforms-2D objects are drawn, `default_rng(config_seed).choice(61, 10,
replace=False)`; object i is class i. Four tasks (input & label, `protocol.md` E-4):

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
Deviation: each split's augmented backgrounds and object placements are drawn once (keyed per
sample) and reused in every epoch, as our Transforms-2D splits are; the original re-drew the crop,
flip and translation every epoch.
"""

from __future__ import annotations

import warnings

import numpy as np
import torch

from invtl.engine import costs
from invtl.t2d import sources
from invtl.t2d.cifar import class_subset, crop_flip, load_cifar, stratified_split
from invtl.t2d.dataset import Transforms2D
from invtl.experiments.common import LEGACY_OPTIONS, SPLITS, accuracies, check_seeds, pretrained
from invtl.engine.invariance import invariance, twin_features
from invtl.experiments.ife.spec import SPEC
from invtl.t2d.rng import Draws, derive
from invtl.engine.runner import Experiment, Job
from invtl.engine.train import TrainConfig, embed, linear_probe
from invtl.t2d.transforms import Canvas, apply, composite, draw

# seed id -> (config_seed, sampling_seed); init_seed = config_seed + 493 (irrelevant_feature_extraction)
SEEDS = {0: (111, 694), 1: (222, 8320), 2: (9600, 2817), 3: (7894, 303), 4: (7754, 5486), 5: (3058, 9525),
         6: (5351, 1807), 7: (5159, 6003), 8: (3877, 7693), 9: (7334, 2649)}
VARIANTS = ("fixed", "translate")
TASKS = ("C&C", "C+O&C", "C+O&O", "O&O")
INPUTS = {"C&C": "C", "C+O&C": "C+O", "C+O&O": "C+O", "O&O": "O"}  # task -> its images
LABELS = {"C&C": "cifar", "C+O&C": "cifar", "C+O&O": "object", "O&O": "object"}  # task -> its label
PAIRS = ("cifar", "objects")
METRICS = ("l2", "cos")
NUM_CLASSES = 10

SIZE = 32
SHRUNK = 18  # round(0.55 * 32): the prototype canvas shrunk as a whole
FIXED_AT = (16, -3)  # top-left corner of the shrunk canvas: the object covers about x 19-31, y 0-12
TRANSLATE_BB = (21, 2, 12, 12)  # nominal box of the translate variant: shift (pos - 21, pos - 2), pos in 0..19
CHUNK = 8192



def task(config_seed: int) -> list[int]:
    """The seed's 10 objects (object i is class i)."""
    return [int(o) for o in np.random.default_rng(config_seed).choice(61, NUM_CLASSES, replace=False)]


def jobs(profile: str, seeds: list[int], legacy: tuple[str, ...] = (), source: str | None = None) -> list[Job]:
    s = SPEC.settings(profile)
    check_seeds("ife", seeds, SEEDS)
    source = source or s["source"]
    shared = {k: s[k] for k in ("arch", "width", "cifar_per_class", "n_objects", "pt_epochs", "lp_epochs", "batch_size",
                                "eval_batch_size")}
    out = []
    for variant in s["variants"]:
        for seed in seeds:
            config_seed, sampling_seed = SEEDS[seed]
            for pt_task in TASKS:
                config = dict(shared, variant=variant, pt_task=pt_task, seed=seed, config_seed=config_seed,
                              sampling_seed=sampling_seed, init_seed=config_seed + 493, source=source, legacy=sorted(legacy))
                out.append(Job(config, run_job, panel=variant))
    return out


# ---------------------------------------------------------------------------------------------
# Data


def fixed_objects(prototypes: torch.Tensor) -> torch.Tensor:
    """float32 RGBA (K, 4, 32, 32): each uint8 prototype canvas (object in its central 22 px)
    shrunk as a whole to 18 x 18 (Pillow bicubic) with its top-left corner at (16, -3)."""
    K, device = len(prototypes), prototypes.device
    canvas = Canvas(prototypes.float(), torch.tensor([5, 5, 22, 22], device=device).expand(K, 4))
    shrunk = apply("scale", canvas, {"f": torch.full((K,), SHRUNK / SIZE, device=device)})  # 18 x 18 at offset 7
    o = (SIZE - SHRUNK) // 2
    at_origin = Canvas(shrunk.rgba, torch.zeros(K, 4, dtype=torch.long, device=device))
    shift = {"px": torch.full((K,), FIXED_AT[0] - o, device=device), "py": torch.full((K,), FIXED_AT[1] - o, device=device)}
    return apply("translate", at_origin, shift).rgba


def place(fixed: torch.Tensor, labels: torch.Tensor, translate: Draws | None = None) -> Canvas:
    """The objects of `labels` at the fixed placement, or shifted by the translate variant's
    (pos - 21, pos - 2), pos in {0..19}, with parameters from `translate`."""
    bb = torch.tensor(TRANSLATE_BB, device=fixed.device).expand(len(labels), 4)
    canvas = Canvas(fixed.index_select(0, labels), bb)
    if translate is not None:
        canvas = apply("translate", canvas, draw("translate", translate, canvas))
    return canvas


def object_labels(config: dict, seed: int, split: str, n: int, device: torch.device) -> torch.Tensor:
    """The Transforms-2D class of indices 0..n-1 for sampling seed `seed` (the object sequence)."""
    ds = Transforms2D([], task(config["config_seed"]), n, seed, split=split, source=config["source"], background="black")
    return ds.labels(torch.arange(n, device=device))


def _prototypes(config: dict, device: torch.device) -> torch.Tensor:
    return fixed_objects(sources.load(config["source"], SIZE).objects[task(config["config_seed"])].to(device))


def _composite(fixed: torch.Tensor, labels: torch.Tensor, backgrounds: torch.Tensor, translate: Draws | None) -> torch.Tensor:
    out = torch.empty_like(backgrounds)
    for start in range(0, len(labels), CHUNK):
        stop = start + CHUNK
        draws = None if translate is None else Draws(translate.key, translate.index[start:stop])
        out[start:stop] = composite(place(fixed, labels[start:stop], draws), backgrounds[start:stop])
    return out


def _cifar(config: dict, device: torch.device, splits: tuple[str, ...] = SPLITS) -> dict[str, tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
    """CIFAR-10 split -> (backgrounds, CIFAR labels, indices into the CIFAR array); train and val
    backgrounds cropped and flipped (keyed per image), test plain."""
    seed = config["sampling_seed"]
    train_images, train_labels, _ = load_cifar("cifar10", "train")
    test_images, test_labels, _ = load_cifar("cifar10", "test")
    train_idx, val_idx = stratified_split(train_labels, seed)
    parts = {"train": (train_images, train_labels, train_idx), "val": (train_images, train_labels, val_idx),
             "test": (test_images, test_labels, torch.arange(len(test_labels)))}
    out = {}
    for k, split in enumerate(SPLITS):
        if split not in splits:
            continue
        images, labels, idx = parts[split]
        if config["cifar_per_class"]:
            with warnings.catch_warnings():  # a cap above what a class holds keeps the class (the sizes are recorded)
                warnings.simplefilter("ignore")
                keep, _ = class_subset(labels[idx], list(range(NUM_CLASSES)), config["cifar_per_class"][k],
                                       derive("ife-cap", seed, split), clamp=True)
            idx = idx[keep]
        x = images[idx].to(device)
        if split != "test":
            x = crop_flip(x, derive("ife-crop-flip", seed, "train"), idx.to(device))
        out[split] = (x, labels[idx].to(device), idx)
    return out


def datasets(config: dict, device: torch.device) -> tuple[dict[str, dict[str, torch.Tensor]], dict[str, dict[str, torch.Tensor]]]:
    """Image sets ("C", "C+O", "O") and label sets ("cifar" for C, "cifar" and "object" for C+O,
    "object" for O), each a dict split -> tensor."""
    seed, variant = config["sampling_seed"], config["variant"]
    fixed = _prototypes(config, device)
    cifar = _cifar(config, device)
    images = {"C": {}, "C+O": {}, "O": {}}
    labels = {"C": {}, "C+O": {}, "O": {}}
    for k, split in enumerate(SPLITS):
        backgrounds, cifar_labels, _ = cifar[split]
        n_co, n_o = len(cifar_labels), config["n_objects"][k]
        objects = object_labels(config, seed, split, max(n_co, n_o), device)
        translate = (Draws(derive("ife-translate", seed, split), torch.arange(max(n_co, n_o), device=device))
                     if variant == "translate" else None)
        images["C"][split], labels["C"][split] = backgrounds, {"cifar": cifar_labels}
        images["C+O"][split] = _composite(fixed, objects[:n_co], backgrounds, _head(translate, n_co))
        labels["C+O"][split] = {"cifar": cifar_labels, "object": objects[:n_co]}
        black = torch.zeros(n_o, 3, SIZE, SIZE, dtype=torch.uint8, device=device)
        images["O"][split] = _composite(fixed, objects[:n_o], black, _head(translate, n_o))
        labels["O"][split] = {"object": objects[:n_o]}
    return images, labels


def _head(draws: Draws | None, n: int) -> Draws | None:
    return None if draws is None else Draws(draws.key, draws.index[:n])


def twin_sets(config: dict, device: torch.device) -> dict[str, torch.Tensor]:
    """Invariance test images, fixed placement (O3): "a" = objects of seed s + 10 on the CIFAR test
    images in order s; "cifar" = the same objects, order s + 1; "objects" = objects of seed
    s + 11, order s."""
    s = config["sampling_seed"]
    fixed = _prototypes(config, device)
    backgrounds, _, _ = _cifar(config, device, ("test",))["test"]
    n = len(backgrounds)

    def order(seed: int) -> torch.Tensor:
        g = torch.Generator().manual_seed(derive("ife-cifar-order", seed) & 0x7FFF_FFFF_FFFF_FFFF)
        return torch.randperm(n, generator=g).to(device)

    first, second = (object_labels(config, s + k, "test", n, device) for k in (10, 11))
    bg_a, bg_b = backgrounds[order(s)], backgrounds[order(s + 1)]
    return {"a": _composite(fixed, first, bg_a, None), "cifar": _composite(fixed, first, bg_b, None),
            "objects": _composite(fixed, second, bg_a, None)}


# ---------------------------------------------------------------------------------------------
# Jobs


def pretraining_key(config: dict) -> dict:
    """Everything the pretrained weights depend on; the C&C model is the same in both variants."""
    pt_task = config["pt_task"]
    key = {"experiment": "ife", "task": pt_task, **{k: config[k] for k in ("arch", "sampling_seed", "init_seed", "pt_epochs",
                                                                          "batch_size", "cifar_per_class")}}
    if INPUTS[pt_task] != "C":
        key.update(variant=config["variant"], objects=task(config["config_seed"]), source=config["source"])
    if INPUTS[pt_task] == "O":
        key.update(n_objects=config["n_objects"])
    return key


def run_job(config: dict, ctx) -> dict:
    device, pt_task = ctx.device, config["pt_task"]
    images, labels = datasets(config, device)
    pt_images, pt_labels = images[INPUTS[pt_task]], {s: v[LABELS[pt_task]] for s, v in labels[INPUTS[pt_task]].items()}
    model = pretrained(ctx, config["arch"], NUM_CLASSES, (pt_images["train"], pt_labels["train"]), config, pretraining_key(config))

    feats = {name: {split: embed(model, x) for split, x in sets.items()} for name, sets in images.items()}
    with torch.inference_mode():
        own = {split: model.head(f).argmax(1) for split, f in feats[INPUTS[pt_task]].items()}
    result = {"pt_task": pt_task, "variant": config["variant"], "objects": task(config["config_seed"]),
              "training": accuracies(own, pt_labels), "lp": {}}

    cfg = TrainConfig(config["lp_epochs"], config["batch_size"])
    for target in TASKS:
        f, y = feats[INPUTS[target]], {s: v[LABELS[target]] for s, v in labels[INPUTS[target]].items()}
        head = linear_probe(f["train"], y["train"], NUM_CLASSES, cfg, seed=config["init_seed"] + 1, progress=ctx.progress)
        with torch.inference_mode():
            result["lp"][target] = accuracies({s: head(f[s]).argmax(1) for s in SPLITS}, y)
    del feats, images

    twins = twin_sets(config, device)
    result["invariance"] = {}
    for pair in PAIRS:
        fa, fb = twin_features(model, twins["a"], twins[pair], batch_size=config["eval_batch_size"])
        seed = derive("permutation", config["seed"], config["variant"], pt_task, pair) & 0x7FFF_FFFF
        result["invariance"][pair] = invariance(fa, fb, batch_size=config["eval_batch_size"], seed=seed, metrics=METRICS)
    result["sizes"] = {name: {s: len(x) for s, x in sets.items()} for name, sets in
                       {"C": {s: v["cifar"] for s, v in labels["C"].items()}, "O": {s: v["object"] for s, v in labels["O"].items()}}.items()}
    return result


def _sizes(config: dict) -> tuple[list[int], list[int]]:
    cifar = [45_000, 5_000, 10_000] if not config["cifar_per_class"] else [NUM_CLASSES * c for c in config["cifar_per_class"]]
    return cifar, list(config["n_objects"])


def cost(config: dict) -> float:
    """Estimated GPU seconds of one job (planning only, see `invtl.engine.costs`)."""
    arch = config["arch"]
    cifar, objects = _sizes(config)
    n_train = objects[0] if INPUTS[config["pt_task"]] == "O" else cifar[0]
    images = 2 * sum(cifar) + sum(objects)
    seconds = costs.generate(images + 3 * cifar[2]) + costs.train(arch, n_train, config["pt_epochs"], config["width"])
    seconds += costs.features(arch, images + 4 * cifar[2])
    seconds += sum(costs.probe_steps(n, config["lp_epochs"], config["batch_size"]) for n in (cifar[0], cifar[0], cifar[0], objects[0]))
    return seconds


EXPERIMENT = Experiment("ife", "E-4: invariance to an irrelevant feature (CIFAR-10 + pasted objects) and its transfer",
                    panels=VARIANTS, jobs=jobs, default_seeds=lambda profile: SPEC.settings(profile)["seeds"], cost=cost,
                        legacy=LEGACY_OPTIONS)
