"""E-5 `it`: how transferable is invariance? (`protocol.md` E-5)

Per architecture and seed, one model is trained per single transformation (and `none`) on 30
objects over photo backgrounds ("img" models, op-img), and one on 30 random-pixel squares over
noise backgrounds ("rand" models, rp-rand); an untrained network is the reference. Every model's
l2 invariance ratio is measured on twin test sets of every data type and every transformation:
twins share object and background and differ only in the transformation's parameters.

Data types: objects primary / secondary (op, os: the seed's 60 drawn objects split 30/30) or random
squares primary / secondary (rp, rs), over photo ("img") or noise ("rand") backgrounds. The CIFAR
columns of the paper come with the CIFAR loaders; until then they are not measured.
One job = one model: its training (cached) and its invariance on every (data type, transform).
"""

from __future__ import annotations

import numpy as np

from invtl import costs, sources
from invtl.data import DATA_LEGACY, TRANSFORMS, Transforms2D
from invtl.experiments.common import check_seeds, new_model, pretrained
from invtl.invariance import METRICS, invariance, twin_features
from invtl.profiles import SETTINGS, settings
from invtl.rng import derive
from invtl.runner import Experiment, Job, register

# seed id -> (config_seed, sampling_seed, (transform seed of twin a, of twin b)); init_seed = config_seed + 394
SEEDS = {0: (58390, 2940, (593, 94224)), 1: (9614, 2007, (320, 79)), 2: (393654, 350, (2608, 3)),
         3: (6086, 82, (424997, 7955)), 4: (79170, 83927, (677, 212)), 5: (20233, 153, (9, 677)),
         6: (5456, 682, (8688, 201)), 7: (2418, 8429, (7309, 66443)), 8: (8037, 9204, (8933, 2735)),
         9: (8510, 178, (9142, 3293))}
DATA_TYPES = ("op-img", "os-img", "op-rand", "os-rand", "rp-img", "rs-img", "rp-rand", "rs-rand")
GROUPS = {"img": "op-img", "rand": "rp-rand"}  # model group -> the data type it is trained on
NUM_CLASSES = 30

_ALL = ["none", *TRANSFORMS]
_PAPER = dict(archs=["resnet18", "densenet121", "vgg11", "vit"], seeds=list(range(10)), width=1.0, groups=list(GROUPS), models=_ALL,
              eval_transforms=list(TRANSFORMS), data_types=list(DATA_TYPES), n_train=50_000, n_test=10_000,
              pt_epochs=50, batch_size=512, eval_batch_size=2048)
SETTINGS["it"] = {
    "smoke": dict(_PAPER, archs=["resnet18"], seeds=[0], width=0.25, models=["none", "rotate"], eval_transforms=["rotate", "hue"],
                  data_types=["op-img", "os-img", "rs-rand"], n_train=256, n_test=128, pt_epochs=2, batch_size=64,
                  eval_batch_size=64),
    "cpu": dict(_PAPER, archs=["resnet18"], seeds=[0, 1, 2], width=0.25, groups=["img"], models=["none", "rotate", "hue", "blur"],
                eval_transforms=["rotate", "hue", "blur"], data_types=["op-img", "os-img", "rs-rand"],
                n_train=1_000, n_test=512, pt_epochs=5, batch_size=128, eval_batch_size=256),
    "fast": dict(_PAPER, archs=["resnet18"], seeds=[0, 1, 2], n_test=5_000, pt_epochs=12),
    "paper": _PAPER,
}


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
    kwargs = {"source": photos if source == "objects" else source,
              "background": photos if bg == "img" else "random", "background_seed": config["config_seed"] + 324}
    return kwargs, objs


def jobs(profile: str, seeds: list[int], legacy: tuple[str, ...] = ()) -> list[Job]:
    s = settings("it", profile)
    check_seeds("it", seeds, SEEDS)
    source = sources.resolve("auto")
    shared = {k: v for k, v in s.items() if k not in ("archs", "seeds", "models", "groups")}
    out = []
    for arch in s["archs"]:
        for seed in seeds:
            config_seed, sampling_seed, twin_seeds = SEEDS[seed]
            base = dict(shared, arch=arch, seed=seed, config_seed=config_seed, sampling_seed=sampling_seed,
                        twin_seeds=list(twin_seeds), init_seed=config_seed + 394, source=source, legacy=sorted(legacy))
            for group in s["groups"]:
                out += [Job(dict(base, group=group, train_transform=t), run_job, panel=arch) for t in s["models"]]
            out.append(Job(dict(base, group="untrained", train_transform="none"), run_job, panel=arch))
    return out


def run_job(config: dict, ctx) -> dict:
    device, arch = ctx.device, config["arch"]
    group = "img" if config["group"] == "untrained" else config["group"]
    kwargs, objs = dataset_args(config, GROUPS[group])
    key = {"experiment": "it", "arch": arch, "group": group, "transform": config["train_transform"],
           **{k: config[k] for k in ("config_seed", "sampling_seed", "init_seed", "source", "n_train", "pt_epochs", "batch_size")}}
    if config["group"] == "untrained":  # the initial weights of the `none` img model
        model = new_model(arch, NUM_CLASSES, config, {**key, "legacy": sorted(config["legacy"]), "width": config["width"]}).to(device)
    else:
        train = _dataset(config, config["train_transform"], objs, config["n_train"], "train", kwargs).generate(device)
        model = pretrained(ctx, arch, NUM_CLASSES, train, config, key)
    scores: dict[str, dict[str, dict[str, float]]] = {}
    for data_type in config["data_types"]:
        kwargs, objs = dataset_args(config, data_type)
        scores[data_type] = {}
        for t in config["eval_transforms"]:
            a, b = (_dataset(config, t, objs, config["n_test"], "test", kwargs, ts).generate(device)[0] for ts in config["twin_seeds"])
            fa, fb = twin_features(model, a, b, batch_size=config["eval_batch_size"])
            seed = derive("permutation", config["seed"], config["group"], config["train_transform"], data_type, t) & 0x7FFF_FFFF
            scores[data_type][t] = invariance(fa, fb, batch_size=config["eval_batch_size"], seed=seed, metrics=METRICS)
    return {"scores": scores}


def _dataset(config: dict, transform: str, objs: list[int], n: int, split: str, kwargs: dict, transform_seed: int | None = None) -> Transforms2D:
    """The seed's content under one transform; twins differ only in `transform_seed`."""
    legacy = [f for f in config["legacy"] if f in DATA_LEGACY]
    return Transforms2D([transform], objs, n, config["sampling_seed"], transform_seed=transform_seed, split=split,
                        legacy=legacy, **kwargs)


def cost(config: dict) -> float:
    """Estimated GPU seconds of one job (planning only, see `invtl.costs`)."""
    arch, pairs = config["arch"], len(config["data_types"]) * len(config["eval_transforms"])
    seconds = costs.generate(config["n_train"] + 2 * pairs * config["n_test"]) + costs.features(arch, 2 * pairs * config["n_test"])
    if config["group"] != "untrained":
        seconds += costs.train(arch, config["n_train"], config["pt_epochs"], config["width"])
    return seconds


register(Experiment("it", "E-5: transfer of invariance across objects, random data and backgrounds",
                    panels=("resnet18", "densenet121", "vgg11", "vit"), jobs=jobs,
                    default_seeds=lambda profile: settings("it", profile)["seeds"], cost=cost))
