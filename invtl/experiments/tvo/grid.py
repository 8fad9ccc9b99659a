"""E-1/E-2 `tvo`: same vs disjoint transformations against other pretraining factors (Transforms-2D).

Per seed, one transformation per category is drawn for the target ("same") and another for the
"disjoint" set, and 60 objects are split into 30 target and 30 other classes (`protocol.md` E-1).
Every point of the four panels is pretrained twice, with the same and with the disjoint
transformations, then transferred to the target task:

- class relationship: pretraining classes subset (10) / disjoint (30) / same (30) / superset (60);
- architecture: resnet18, resnet50, densenet121, vgg11, vit on the disjoint classes;
- pretraining samples: n_PT in the profile's list, disjoint classes;
- fine-tuning samples: pretraining on the target classes, transfer with n_FT target samples.

Each job is one (seed, panel, value, transformation set) and records the pretrained model's own
accuracy ("training"), the linear-probe transfer (E-1), and LP->FT transfer with 200 and 2,000
target samples (E-2; the FT-samples panel fine-tunes on its own n_FT). Identical pretraining runs
of different panels (e.g. ResNet-18 on the disjoint classes with the default sample count) share
one checkpoint.
"""

from __future__ import annotations

import numpy as np

from invtl.engine import costs
from invtl.t2d.dataset import TRANSFORMS
from invtl.experiments.common import LEGACY_OPTIONS, check_seeds, evaluate, pretrained, probe, probe_then_fine_tune, t2d_splits, with_train_subset
from invtl.experiments.tvo.spec import SPEC
from invtl.engine.runner import Experiment, Job

# seed id -> (config_seed, sampling_seed); init_seed = config_seed + 583 (transforms_vs_other/config.py)
SEEDS = {0: (59832, 2032), 1: (113, 50202), 2: (5902, 93), 3: (5483, 421), 4: (78, 70887),
         5: (494, 237342), 6: (3405, 21562), 7: (746, 107634), 8: (36684, 5295), 9: (605, 34)}
PANELS = ("class_relationship", "architecture", "pt_samples", "ft_samples")
CLASS_RELATIONSHIPS = ("subset", "disjoint", "same", "superset")
TRANSFORM_SETS = ("same", "disjoint")
CATEGORY_ORDER = ("geometric", "photometric", "corruption")



def draw_transform_sets(rng: np.random.Generator) -> dict[str, list[str]]:
    """One transformation per category for the "same" set and another for the "disjoint" set, in
    the order geometric, photometric, corruption (the original's call sequence, also used by E-3)."""
    same, disjoint = [], []
    for category in CATEGORY_ORDER:
        pair = rng.choice([t for t, c in TRANSFORMS.items() if c == category], 2, replace=False)
        same.append(str(pair[0]))
        disjoint.append(str(pair[1]))
    return {"same": same, "disjoint": disjoint}


def task(config_seed: int, num_target: int = 30) -> dict:
    """The seed's transformation sets and class lists, drawn with the original's call sequence."""
    rng = np.random.default_rng(config_seed)
    transforms = draw_transform_sets(rng)
    cands = [int(o) for o in rng.choice(61, 2 * num_target, replace=False)]
    target, other = cands[:num_target], cands[num_target:]
    return {
        "transforms": transforms,
        "target": target,
        "classes": {"subset": target[: max(2, round(num_target / 3))], "disjoint": other, "same": target, "superset": cands},
    }


def _points(s: dict) -> list[tuple[str, object]]:
    return ([("class_relationship", r) for r in CLASS_RELATIONSHIPS] + [("architecture", a) for a in s["archs"]]
            + [("pt_samples", n) for n in s["pt_samples"]] + [("ft_samples", n) for n in s["ft_samples"]])


def jobs(profile: str, seeds: list[int], legacy: tuple[str, ...] = (), source: str | None = None) -> list[Job]:
    s = SPEC.settings(profile)
    check_seeds("tvo", seeds, SEEDS)
    source = source or s["source"]
    shared = {k: s[k] for k in ("width", "num_target", "n_pt", "n_lp", "n_val", "n_test", "ft_sizes", "pt_epochs",
                                "lp_epochs", "ft_epochs", "batch_size")}
    out = []
    for seed in seeds:
        config_seed, sampling_seed = SEEDS[seed]
        for panel, value in _points(s):
            for tset in TRANSFORM_SETS:
                config = dict(shared, panel=panel, value=value, transform_set=tset, seed=seed, config_seed=config_seed,
                              sampling_seed=sampling_seed, init_seed=config_seed + 583, source=source, legacy=sorted(legacy))
                out.append(Job(config, run_job, panel=panel))
    return out


def pretraining_setup(config: dict) -> tuple[str, str, int]:
    """(architecture, pretraining class relationship, pretraining sample count) of a job."""
    panel, value = config["panel"], config["value"]
    arch = value if panel == "architecture" else "resnet18"
    relation = value if panel == "class_relationship" else ("same" if panel == "ft_samples" else "disjoint")
    n_pt = value if panel == "pt_samples" else config["n_pt"]
    return arch, relation, n_pt


def run_job(config: dict, ctx) -> dict:
    t = task(config["config_seed"], config["num_target"])
    arch, relation, n_pt = pretraining_setup(config)
    pt_transforms, pt_classes = t["transforms"][config["transform_set"]], t["classes"][relation]
    device, C = ctx.device, len(t["target"])

    pt = t2d_splits(config, pt_transforms, pt_classes, n_pt, device)
    key = {"experiment": "tvo", "arch": arch, "relation": relation, "n_pt": n_pt, "transforms": pt_transforms,
           "classes": pt_classes, **{k: config[k] for k in ("sampling_seed", "init_seed", "source", "pt_epochs", "batch_size")}}
    model = pretrained(ctx, arch, len(pt_classes), pt["train"], config, key)
    result = {"arch": arch, "pt_classes": relation, "n_pt": n_pt, "pt_transforms": pt_transforms,
              "target_transforms": t["transforms"]["same"], "training": evaluate(model, pt)}
    del pt

    ft_panel = config["panel"] == "ft_samples"
    n_lp = config["value"] if ft_panel else config["n_lp"]
    target = t2d_splits(config, t["transforms"]["same"], t["target"], max([n_lp] + config["ft_sizes"]), device)
    head, result["lp"] = probe(model, with_train_subset(target, n_lp), C, config, seed=config["init_seed"] + 1, progress=ctx.progress)
    full_head = head if "legacy_lp_head_source" in config["legacy"] else None
    result["ft"] = {}
    for n in [n_lp] if ft_panel else config["ft_sizes"]:
        result["ft"][str(n)] = probe_then_fine_tune(model, with_train_subset(target, n), C, config, seed=config["init_seed"] + 2,
                                                    head=full_head, progress=ctx.progress)
    return result


def cost(config: dict) -> float:
    """Estimated GPU seconds of one job (planning only, see `invtl.engine.costs`)."""
    arch, _, n_pt = pretraining_setup(config)
    evals = config["n_val"] + config["n_test"]
    n_lp = config["value"] if config["panel"] == "ft_samples" else config["n_lp"]
    ft = [n_lp] if config["panel"] == "ft_samples" else config["ft_sizes"]
    seconds = costs.generate(n_pt + max([n_lp] + ft) + 2 * evals)
    seconds += costs.train(arch, n_pt, config["pt_epochs"], config["width"]) + costs.features(arch, n_pt + evals)
    seconds += costs.features(arch, n_lp + evals) + costs.probe_steps(n_lp, config["lp_epochs"], config["batch_size"])
    for n in ft:
        seconds += 2 * costs.features(arch, n + evals) + costs.probe_steps(n, config["lp_epochs"], config["batch_size"])
        seconds += costs.train(arch, n, config["ft_epochs"], config["width"])
    return seconds


EXPERIMENT = Experiment("tvo", "E-1/E-2: same vs disjoint transformations against other factors (Transforms-2D)",
                    panels=PANELS, jobs=jobs, default_seeds=lambda profile: SPEC.settings(profile)["seeds"], cost=cost,
                        legacy=LEGACY_OPTIONS)
