"""E-1/E-2 `tvo`: same vs disjoint transformations against other pretraining factors, and the grid path
it shares with E-3 (`cifar_tvo`), parametrised by the data family (`Family`).

Per seed, one transformation per category is drawn for the target ("same") and another for the
"disjoint" set, and the classes are split into target and other classes (protocol E-1). Every point of
the four panels is pretrained twice, with the same and with the disjoint transformations, then
transferred to the target task:

- class relationship: pretraining classes subset (N/3) / disjoint (N) / same (N) / superset (2N);
- architecture: resnet18, resnet50, densenet121, vgg11, vit on the disjoint classes;
- pretraining samples: the profile's list, disjoint classes;
- fine-tuning samples: pretraining on the target classes, transfer with the panel's target amount.

Each job is one (seed, panel, value, transformation set) and records the pretrained model's own
accuracy ("training"), the linear-probe transfer (E-1), and LP->FT transfer on the profile's FT sizes
(E-2; the FT-samples panel fine-tunes on its own amount, starting from its reported probe head).
Identical pretraining runs of different panels share one checkpoint.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import numpy as np

from invtl.engine import costs
from invtl.engine.runner import RESULT_CODE, Experiment, Job
from invtl.engine.train import Normalise
from invtl.experiments.common import (
    LEGACY_OPTIONS,
    VERSION,
    Data,
    check_seeds,
    evaluate,
    pretrained,
    probe,
    probe_then_fine_tune,
    t2d_data,
)
from invtl.experiments.tvo.spec import SPEC
from invtl.t2d.dataset import TRANSFORMS

# seed id -> (config_seed, sampling_seed); init_seed = config_seed + 583 (transforms_vs_other/config.py)
SEEDS = {
    0: (59832, 2032),
    1: (113, 50202),
    2: (5902, 93),
    3: (5483, 421),
    4: (78, 70887),
    5: (494, 237342),
    6: (3405, 21562),
    7: (746, 107634),
    8: (36684, 5295),
    9: (605, 34),
}
PANELS = ("class_relationship", "architecture", "pt_samples", "ft_samples")
CLASS_RELATIONSHIPS = ("subset", "disjoint", "same", "superset")
TRANSFORM_SETS = ("same", "disjoint")
CATEGORY_ORDER = ("geometric", "photometric", "corruption")
PAPER_PT_EPOCHS = 50  # the ViT recipe's warm-up and cosine period are set for this budget


def draw_transform_sets(rng: np.random.Generator) -> dict[str, list[str]]:
    """One transformation per category for the "same" set and another for the "disjoint" set, in
    the order geometric, photometric, corruption (the original's call sequence, also used by E-3)."""
    same, disjoint = [], []
    for category in CATEGORY_ORDER:
        pair = rng.choice([t for t, c in TRANSFORMS.items() if c == category], 2, replace=False)
        same.append(str(pair[0]))
        disjoint.append(str(pair[1]))
    return {"same": same, "disjoint": disjoint}


def classes(target: list[int], other: list[int]) -> dict[str, list[int]]:
    """The pretraining classes of each class relationship (protocol E-1)."""
    n = len(target)
    return {"subset": target[: max(2, round(n / 3))], "disjoint": other, "same": target, "superset": target + other}


def task(config_seed: int, num_target: int = 30) -> dict:
    """The seed's transformation sets and class lists, drawn with the original's call sequence."""
    rng = np.random.default_rng(config_seed)
    transforms = draw_transform_sets(rng)
    cands = [int(o) for o in rng.choice(61, 2 * num_target, replace=False)]
    return {
        "transforms": transforms,
        "target": cands[:num_target],
        "classes": classes(cands[:num_target], cands[num_target:]),
    }


@dataclass(frozen=True)
class Family:
    """How one data family (Transforms-2D, CIFAR-10, CIFAR-100) feeds the shared grid path."""

    task: Callable[[dict], dict]  # config -> the seed's transforms and class lists (see `task`)
    pretraining: Callable[
        ..., tuple[Data, dict]
    ]  # (config, transforms, classes, amount, device) -> data, record extras
    target: Callable[..., Data]  # (config, transforms, classes, device) -> the target task's data
    take: Callable[[Data, object, dict], tuple[Data, int]]  # (target, amount, config) -> its training subset, size
    full_amount: Callable[[dict], object]  # config -> the linear probe's amount outside the FT-samples panel
    normalise: Callable[[dict], Normalise]
    key: Callable[[dict, dict], dict]  # (config, record extras) -> what the pretrained weights depend on


def pretraining_setup(config: dict) -> tuple[str, str, object]:
    """(architecture, pretraining class relationship, pretraining amount; None = the profile's default)."""
    panel, value = config["panel"], config["value"]
    arch = value if panel == "architecture" else "resnet18"
    relation = value if panel == "class_relationship" else ("same" if panel == "ft_samples" else "disjoint")
    return arch, relation, value if panel == "pt_samples" else None


def run_job(family: Family, config: dict, ctx) -> dict:
    """Pretrain (or load) the job's model, then probe and fine-tune it on the target task."""
    t = family.task(config)
    arch, relation, amount = pretraining_setup(config)
    pt_transforms, pt_classes = t["transforms"][config["transform_set"]], t["classes"][relation]
    norm = family.normalise(config).to(ctx.device)
    pt, extras = family.pretraining(config, pt_transforms, pt_classes, amount, ctx.device)
    key = {
        "arch": arch,
        "relation": relation,
        "transforms": pt_transforms,
        "classes": pt_classes,
        **family.key(config, extras),
    }
    model = pretrained(ctx, arch, len(pt_classes), pt, config, key, PAPER_PT_EPOCHS, norm)
    result = {
        "arch": arch,
        "pt_classes": relation,
        "pt_transforms": pt_transforms,
        "target_transforms": t["transforms"]["same"],
        "chance": {"pretraining": 1 / len(pt_classes), "target": 1 / len(t["target"])},
        **extras,
        "training": evaluate(model, pt.splits, ctx, norm),
    }
    del pt

    C, ft_panel = len(t["target"]), config["panel"] == "ft_samples"
    target = family.target(config, t["transforms"]["same"], t["target"], ctx.device)
    lp_amount = config["value"] if ft_panel else family.full_amount(config)
    lp_data, n_lp = family.take(target, lp_amount, config)
    head, result["lp"] = probe(model, lp_data, C, config, config["init_seed"] + 1, ctx, norm)
    result["lp"]["train_samples"] = n_lp
    # the FT-samples panel fine-tunes the very probe it reports (as the authors); elsewhere the probe of LP->FT
    # sees the fine-tuning samples only (strict few-shot, O1), unless legacy_lp_head_source
    start = head if ft_panel or "legacy_lp_head_source" in config["legacy"] else None
    result["ft"] = {}
    for ft_amount in [lp_amount] if ft_panel else config["ft_sizes"]:
        data, n = family.take(target, ft_amount, config)
        result["ft"][str(ft_amount)] = {
            **probe_then_fine_tune(model, data, C, config, config["init_seed"] + 2, ctx, start, norm),
            "train_samples": n,
        }
    return result


def grid(
    name: str,
    family: Family,
    profile: str,
    seeds: list[int],
    points: list[tuple[str, object]],
    shared: dict,
    legacy: tuple[str, ...],
    panel_prefix: str = "",
) -> list[Job]:
    """The jobs of the shared path: every seed x panel point x transformation set."""
    check_seeds(name, seeds, SEEDS)
    out = []
    for seed in seeds:
        config_seed, sampling_seed = SEEDS[seed]
        for panel, value in points:
            for tset in TRANSFORM_SETS:
                config = dict(
                    shared,
                    panel=panel,
                    value=value,
                    transform_set=tset,
                    seed=seed,
                    config_seed=config_seed,
                    sampling_seed=sampling_seed,
                    init_seed=config_seed + 583,
                    legacy=sorted(legacy),
                    version=VERSION,
                )
                out.append(Job(config, partial(run_job, family), panel=panel_prefix + panel))
    return out


def points(s: dict, pt_samples: list) -> list[tuple[str, object]]:
    return (
        [("class_relationship", r) for r in CLASS_RELATIONSHIPS]
        + [("architecture", a) for a in s["archs"]]
        + [("pt_samples", n) for n in pt_samples]
        + [("ft_samples", n) for n in s["ft_samples"]]
    )


# --- Transforms-2D ---------------------------------------------------------------------------------------


def _t2d_pretraining(config: dict, transforms: list[str], pt_classes: list[int], amount, device) -> tuple[Data, dict]:
    n_pt = amount or config["n_pt"]
    return t2d_data(config, transforms, pt_classes, n_pt, device), {"n_pt": n_pt}


def _t2d_target(config: dict, transforms: list[str], target: list[int], device) -> Data:
    n = config["value"] if config["panel"] == "ft_samples" else max([config["n_lp"], *config["ft_sizes"]])
    return t2d_data(config, transforms, target, n, device)


def _t2d_task(config: dict) -> dict:
    return task(config["config_seed"], config["num_target"])


def _first(data: Data, n: int, config: dict) -> tuple[Data, int]:
    return data.first(n), n


def _n_lp(config: dict) -> int:
    return config["n_lp"]


def _t2d_normalise(config: dict) -> Normalise:
    return Normalise()


def _t2d_key(config: dict, extras: dict) -> dict:
    return {
        "experiment": "tvo",
        "n_pt": extras["n_pt"],
        **{k: config[k] for k in ("sampling_seed", "init_seed", "source", "pt_epochs", "batch_size")},
    }


T2D = Family(
    task=_t2d_task,
    pretraining=_t2d_pretraining,
    target=_t2d_target,
    take=_first,
    full_amount=_n_lp,
    normalise=_t2d_normalise,
    key=_t2d_key,
)

SHARED = (
    "source",
    "width",
    "num_target",
    "n_pt",
    "n_lp",
    "n_val",
    "n_test",
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
    s = SPEC.settings(profile)
    shared = {k: s[k] for k in SHARED if k in s} | {"source": source or s["source"]}
    return grid("tvo", T2D, profile, seeds, points(s, s["pt_samples"]), shared, legacy)


def phases(config: dict, kind: str = "cpu") -> dict[str, float]:
    """Estimated seconds of one job per phase (see `invtl.engine.costs`)."""
    arch, _, amount = pretraining_setup(config)
    n_pt = amount or config["n_pt"]
    evals = config["n_val"] + config["n_test"]
    ft_panel = config["panel"] == "ft_samples"
    n_lp = config["value"] if ft_panel else config["n_lp"]
    ft = [n_lp] if ft_panel else config["ft_sizes"]
    return costs.job(
        kind=kind,
        arch=arch,
        width=config["width"],
        pretrain=(n_pt, config["pt_epochs"], config.get("pt_min_steps", 0)),
        batch_size=config["batch_size"],
        generate=n_pt + evals + max([n_lp, *ft]) + 2 * evals,
        features=n_pt + evals + 2 * n_lp + evals + sum(2 * n + 2 * evals for n in ft),
        probes=[(n_lp, config["lp_epochs"], config.get("lp_min_steps", 0))]
        + [(n, config["lp_epochs"], config.get("lp_min_steps", 0)) for n in ft if not ft_panel],
        fine_tunes=[(n, config["ft_epochs"], config.get("ft_min_steps", 0)) for n in ft],
    )


def pretraining(config: dict, kind: str = "cpu") -> tuple[str, float]:
    """The job's pretrained model (jobs of a seed share it when the key matches) and its estimated seconds."""
    arch, relation, amount = pretraining_setup(config)
    n_pt = amount or config["n_pt"]
    key = json.dumps([config["seed"], config["transform_set"], arch, relation, n_pt])
    return key, costs.pretrain(
        arch, config["width"], n_pt, config["pt_epochs"], config.get("pt_min_steps", 0), config["batch_size"], kind
    )


EXPERIMENT = Experiment(
    "tvo",
    "E-1/E-2: same vs disjoint transformations against other factors (Transforms-2D)",
    panels=PANELS,
    jobs=jobs,
    default_seeds=lambda profile: SPEC.settings(profile)["seeds"],
    phases=phases,
    legacy=LEGACY_OPTIONS,
    pretraining=pretraining,
    result_keys=("training", "lp", "ft"),
    code=(*RESULT_CODE, "invtl/experiments/tvo/grid.py", "invtl/experiments/tvo/spec.py"),
)
