"""E-5 `it`: how transferable is invariance? (book/protocol.md, E-5)

Per architecture and seed, one model is trained per single transformation (and `none`) on 30
objects over photo backgrounds ("img" models, op-img), and one on 30 random-pixel squares over
noise backgrounds ("rand" models, rp-rand); an untrained network is the reference. Every model's
l2 invariance ratio is measured on twin test sets of every data type and every transformation:
twins share object and background and differ only in the transformation's parameters.

Data types: objects primary / secondary (op, os: the seed's 60 drawn objects split 30/30) or random
squares primary / secondary (rp, rs), over photo ("img") or noise ("rand") backgrounds; and the
CIFAR-10 / CIFAR-100 test sets ("cifar10", "cifar100"): the first n_test test images, the transform
applied to the whole image (book/protocol.md, Data), twins = the same images in the same order under
the seed's two transformation seeds (§7). CIFAR twins are normalised like the training data (0.5/0.5)
by default, with CIFAR statistics under `legacy_cifar_eval_norm` (O2). A CIFAR dataset that is not
under the data root (env INVTL_DATA_ROOT, see `invtl.t2d.cifar.load_cifar`) when a job runs is skipped with
a warning: the record then holds no scores for it (its `not_measured` list names it), and the analysis
shows its column as not measured; rerun with `--force` once the data is there.
One job = one model: its training (cached) and its invariance on every (data type, transform).
"""

from __future__ import annotations

import warnings

import numpy as np
import torch

from invtl.engine import costs
from invtl.engine.invariance import METRICS, invariance, twin_features
from invtl.engine.runner import RESULT_CODE, Experiment, Job
from invtl.engine.timing import phase
from invtl.engine.train import Normalise
from invtl.experiments.common import (
    LEGACY_OPTIONS,
    VERSION,
    check_seeds,
    evaluate,
    memoised,
    model_key,
    new_model,
    own_pretraining,
    pretrained,
    t2d_data,
)
from invtl.experiments.it.spec import SPEC
from invtl.t2d import cifar, cifar_views
from invtl.t2d.dataset import DATA_LEGACY, Transforms2D
from invtl.t2d.rng import derive

# seed id -> (config_seed, sampling_seed, (transform seed of twin a, of twin b)); init_seed = config_seed + 394
SEEDS = {
    0: (58390, 2940, (593, 94224)),
    1: (9614, 2007, (320, 79)),
    2: (393654, 350, (2608, 3)),
    3: (6086, 82, (424997, 7955)),
    4: (79170, 83927, (677, 212)),
    5: (20233, 153, (9, 677)),
    6: (5456, 682, (8688, 201)),
    7: (2418, 8429, (7309, 66443)),
    8: (8037, 9204, (8933, 2735)),
    9: (8510, 178, (9142, 3293)),
}
T2D_TYPES = ("op-img", "os-img", "op-rand", "os-rand", "rp-img", "rs-img", "rp-rand", "rs-rand")
CIFAR_TYPES = ("cifar10", "cifar100")
DATA_TYPES = (*T2D_TYPES, *CIFAR_TYPES)
CHUNK = 2048  # CIFAR images augmented per call (keyed per index: chunking does not change the images)
GROUPS = {"img": "op-img", "rand": "rp-rand"}  # model group -> the data type it is trained on
NUM_CLASSES = 30
PAPER_PT_EPOCHS = 50  # the ViT recipe's warm-up and cosine period are set for this budget


def objects(config_seed: int, kind: str) -> tuple[str, list[int]]:
    """(source, object indices) of a foreground type: op/os objects or rp/rs random squares."""
    if kind in ("op", "os"):
        drawn = [int(o) for o in np.random.default_rng(config_seed).choice(61, 60, replace=False)]
        return "objects", drawn[:30] if kind == "op" else drawn[30:]
    return f"random:{config_seed + (593 if kind == 'rp' else 245)}", list(range(NUM_CLASSES))


def dataset_args(config: dict, data_type: str) -> tuple[dict, list[int]]:
    """Transforms2D keyword arguments and objects of a data type such as "os-rand"."""
    fg, bg = data_type.split("-")
    source, objs = objects(config["config_seed"], fg)
    photos = config["source"]
    kwargs = {
        "source": photos if source == "objects" else source,
        "background": photos if bg == "img" else "random",
        "background_seed": config["config_seed"] + 324,
    }
    return kwargs, objs


def jobs(profile: str, seeds: list[int], legacy: tuple[str, ...] = (), source: str | None = None) -> list[Job]:
    s = SPEC.settings(profile)
    check_seeds("it", seeds, SEEDS)
    source = source or s["source"]
    shared = {k: v for k, v in s.items() if k not in ("archs", "seeds", "models", "groups")}
    out = []
    for arch in s["archs"]:
        for seed in seeds:
            config_seed, sampling_seed, twin_seeds = SEEDS[seed]
            base = dict(
                shared,
                arch=arch,
                seed=seed,
                config_seed=config_seed,
                sampling_seed=sampling_seed,
                twin_seeds=list(twin_seeds),
                init_seed=config_seed + 394,
                source=source,
                legacy=sorted(legacy),
                version=VERSION,
            )
            for group in s["groups"]:
                out += [Job(dict(base, group=group, train_transform=t), run_job, panel=arch) for t in s["models"]]
            out.append(Job(dict(base, group="untrained", train_transform="none"), run_job, panel=arch))
    return out


def run_job(config: dict, ctx) -> dict:
    device, arch = ctx.device, config["arch"]
    group = "img" if config["group"] == "untrained" else config["group"]
    kwargs, objs = dataset_args(config, GROUPS[group])
    key = {
        "experiment": "it",
        "arch": arch,
        "group": group,
        "transform": config["train_transform"],
        **{
            k: config[k]
            for k in ("config_seed", "sampling_seed", "init_seed", "source", "n_train", "pt_epochs", "batch_size")
        },
    }
    norm = Normalise().to(device)
    data = t2d_data(config, [config["train_transform"]], objs, config["n_train"], device, **kwargs)
    if config["group"] == "untrained":  # the initial weights of the `none` img model
        model = new_model(arch, NUM_CLASSES, config, model_key(config, key))
        model = model.to(device, memory_format=model.memory_format)
    else:
        model = pretrained(ctx, arch, NUM_CLASSES, data, config, key, PAPER_PT_EPOCHS)
    result = {
        "chance": 1 / NUM_CLASSES,
        "training": evaluate(model, data.splits, ctx),
        "scores": {},
        "not_measured": [],
    }
    for data_type in config["data_types"]:
        if data_type in CIFAR_TYPES:
            images = cifar_test_images(data_type, config["n_test"])
            if images is None:
                result["not_measured"].append(data_type)
                continue
            normalise, batch = cifar_normalise(data_type, config["legacy"]).to(device), config["cifar_eval_batch_size"]
        else:
            normalise, batch = norm, config["eval_batch_size"]
        result["scores"][data_type] = {}
        for t in config["eval_transforms"]:
            a, b = twins(config, data_type, t, device)
            fa, fb = twin_features(model, a, b, ctx.rt, normalise)
            seed = (
                derive("permutation", config["seed"], config["group"], config["train_transform"], data_type, t)
                & 0x7FFF_FFFF
            )
            result["scores"][data_type][t] = invariance(fa, fb, batch_size=batch, seed=seed, metrics=METRICS)
    return result


def twins(config: dict, data_type: str, transform: str, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """The twin test images of a data type under one transform, generated once per process (they do not
    depend on the model, so all models of a seed share them)."""
    legacy = tuple(sorted(config["legacy"]))
    key = (
        "it-twins",
        data_type,
        transform,
        config["config_seed"],
        config["sampling_seed"],
        tuple(config["twin_seeds"]),
        config["n_test"],
        config["source"],
        legacy,
        str(device),
    )

    def make() -> tuple[torch.Tensor, torch.Tensor]:
        with phase("generate"):
            if data_type in CIFAR_TYPES:
                images = cifar.load_cifar(data_type, "test")[0][: config["n_test"]]
                return tuple(cifar_twin(images, transform, ts, config["legacy"], device) for ts in config["twin_seeds"])
            kwargs, objs = dataset_args(config, data_type)
            return tuple(
                _dataset(config, transform, objs, config["n_test"], "test", kwargs, ts).generate(device)[0]
                for ts in config["twin_seeds"]
            )

    return memoised(key, make)


def cifar_test_images(name: str, n: int) -> torch.Tensor | None:
    """The first n images of the CIFAR test set (uint8, CPU), or None with a warning when absent."""
    if cifar.available(name, splits=("test",)):
        try:
            return cifar.load_cifar(name, "test")[0][:n]
        except (OSError, ValueError) as e:
            reason = f"{type(e).__name__}: {e}"
    else:
        reason = "no test split under the data root (set INVTL_DATA_ROOT)"
    warnings.warn(f"it: {name} not measured, nothing recorded for it: {reason}", stacklevel=2)
    return None


def cifar_twin(images: torch.Tensor, transform: str, twin_seed: int, legacy: list[str], device) -> torch.Tensor:
    """One CIFAR twin: `transform` on the whole images, keyed on the twin's transformation seed and the
    image index (book/protocol.md, Data)."""
    flags = frozenset(f for f in legacy if f in cifar.CIFAR_LEGACY)
    out = torch.empty(images.shape, dtype=torch.uint8, device=device)
    for start in range(0, len(images), CHUNK):
        part = images[start : start + CHUNK].to(device)
        idx = torch.arange(start, start + len(part), device=device)
        out[start : start + len(part)] = cifar_views.augment(
            part, [transform], key=twin_seed, indices=idx, legacy=flags
        )
    return out


def cifar_normalise(name: str, legacy: list[str]) -> Normalise:
    """The training normalisation 0.5/0.5, or the dataset's statistics with `legacy_cifar_eval_norm` (O2)."""
    if "legacy_cifar_eval_norm" not in legacy:
        return Normalise()
    return Normalise(*cifar.NORMALISATION[name])


def _dataset(
    config: dict, transform: str, objs: list[int], n: int, split: str, kwargs: dict, transform_seed: int | None = None
) -> Transforms2D:
    """The seed's content under one transform; twins differ only in `transform_seed`."""
    legacy = [f for f in config["legacy"] if f in DATA_LEGACY]
    return Transforms2D(
        [transform],
        objs,
        n,
        config["sampling_seed"],
        transform_seed=transform_seed,
        split=split,
        legacy=legacy,
        **kwargs,
    )


def phases(config: dict, kind: str = "cpu") -> dict[str, float]:
    """Estimated seconds of one job per phase (see `invtl.engine.costs`)."""
    pairs = len(config["data_types"]) * len(config["eval_transforms"])
    n, trained = config["n_train"], config["group"] != "untrained"
    return costs.job(
        kind=kind,
        arch=config["arch"],
        width=config["width"],
        pretrain=(n, config["pt_epochs"], config.get("pt_min_steps", 0)) if trained else None,
        batch_size=config["batch_size"],
        generate=n + config["n_test"] + 2 * pairs * config["n_test"],
        features=n + config["n_test"] + 2 * pairs * config["n_test"],
    )


def pretraining(config: dict, kind: str = "cpu") -> tuple[None, float]:
    """Each job pretrains its own model (no key shared with other jobs; none for the untrained group) and its
    estimated seconds."""
    return (None, 0.0) if config["group"] == "untrained" else own_pretraining(config, kind)


EXPERIMENT = Experiment(
    "it",
    "E-5: transfer of invariance across objects, random data and backgrounds",
    panels=("resnet18", "densenet121", "vgg11", "vit"),
    jobs=jobs,
    default_seeds=lambda profile: SPEC.settings(profile)["seeds"],
    phases=phases,
    pretraining=pretraining,
    legacy=LEGACY_OPTIONS,
    result_keys=("training", "scores"),
    code=(*RESULT_CODE, "invtl/experiments/it/grid.py", "invtl/experiments/it/spec.py"),
)
