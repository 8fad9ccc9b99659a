"""E-6 `tm`: transformation-set mismatch (nested sets), book/protocol.md, E-6.

Per seed, 8 transformations are drawn at random; t_k is the 30 objects under the first k of them.
A model pretrained on t_k is linear-probed on every t_j, giving one row of the 8x8 matrix: targets
j <= k ask only for invariances the model has learned, targets j > k add unseen ones.
One job = one (architecture, seed, k): its pretraining, its own test accuracy and its 8 probes.
"""

from __future__ import annotations

import numpy as np

from invtl.engine import costs
from invtl.engine.runner import RESULT_CODE, Experiment, Job
from invtl.experiments.common import (
    LEGACY_OPTIONS,
    VERSION,
    check_seeds,
    evaluate,
    own_pretraining,
    pretrained,
    probe,
    t2d_data,
)
from invtl.experiments.tm.spec import SPEC
from invtl.t2d.dataset import TRANSFORMS

# seed id -> (config_seed, sampling_seed); init_seed = config_seed + 53
SEEDS = {
    0: (9825, 507031),
    1: (174, 348779),
    2: (148, 7367),
    3: (1219, 901),
    4: (696, 3787),
    5: (673, 6150),
    6: (469, 4611),
    7: (6995, 1756),
    8: (4360, 264),
    9: (1750, 4345),
}
NUM_OBJECTS = 30
PAPER_PT_EPOCHS = 100  # the ViT recipe's warm-up and cosine period are set for this budget


def task(config_seed: int) -> tuple[list[str], list[int]]:
    """The seed's 8 transformations (drawn order) and 30 objects, drawn as the original did."""
    rng = np.random.default_rng(config_seed)
    drawn = rng.choice(list(TRANSFORMS), 8, replace=False)
    objects = rng.choice(61, NUM_OBJECTS, replace=False)
    return [str(t) for t in drawn], [int(o) for o in objects]


def jobs(profile: str, seeds: list[int], legacy: tuple[str, ...] = (), source: str | None = None) -> list[Job]:
    s = SPEC.settings(profile)
    check_seeds("tm", seeds, SEEDS)
    source = source or s["source"]
    out = []
    for arch in s["archs"]:
        for seed in seeds:
            config_seed, sampling_seed = SEEDS[seed]
            for k in range(1, s["num_transforms"] + 1):
                config = {k_: v for k_, v in s.items() if k_ not in ("archs", "seeds")}
                config.update(
                    arch=arch,
                    seed=seed,
                    k=k,
                    config_seed=config_seed,
                    sampling_seed=sampling_seed,
                    init_seed=config_seed + 53,
                    source=source,
                    legacy=sorted(legacy),
                    version=VERSION,
                )
                out.append(Job(config, run_job, panel=arch))
    return out


def run_job(config: dict, ctx) -> dict:
    transforms, objects = task(config["config_seed"])
    transforms = transforms[: config["num_transforms"]]
    k, device = config["k"], ctx.device
    data = {
        j: t2d_data(config, transforms[:j], objects, config["n_train"], device) for j in range(1, len(transforms) + 1)
    }
    pt_key = {
        key: config[key]
        for key in (
            "arch",
            "k",
            "config_seed",
            "sampling_seed",
            "init_seed",
            "source",
            "n_train",
            "pt_epochs",
            "batch_size",
            "num_transforms",
        )
    }
    model = pretrained(
        ctx, config["arch"], NUM_OBJECTS, data[k], config, {"experiment": "tm", **pt_key}, PAPER_PT_EPOCHS
    )
    result = {
        "transforms": transforms,
        "objects": objects,
        "chance": 1 / NUM_OBJECTS,
        "pretraining": evaluate(model, data[k].splits, ctx),
        "transfer": [],
    }
    for j, target in data.items():
        _, acc = probe(model, target, NUM_OBJECTS, config, config["init_seed"] + j, ctx)
        result["transfer"].append({"j": j, **acc})
    return result


def phases(config: dict, kind: str = "cpu") -> dict[str, float]:
    """Estimated seconds of one job per phase (see `invtl.engine.costs`): one evaluation set's worth of generated
    images and its own training views, features for its K probes."""
    n, K = config["n_train"], config["num_transforms"]
    evals = n + config["n_val"] + config["n_test"]
    lp = (n, config["lp_epochs"], config.get("lp_min_steps", 0))
    return costs.job(
        kind=kind,
        arch=config["arch"],
        width=config["width"],
        pretrain=(n, config["pt_epochs"], config.get("pt_min_steps", 0)),
        batch_size=config["batch_size"],
        generate=evals + n,
        features=K * (evals + n),
        probes=[lp] * K,
    )


EXPERIMENT = Experiment(
    "tm",
    "E-6: transformation-set mismatch (nested sets)",
    panels=("resnet18", "vgg11", "densenet121", "vit"),
    jobs=jobs,
    default_seeds=lambda profile: SPEC.settings(profile)["seeds"],
    phases=phases,
    pretraining=own_pretraining,
    legacy=LEGACY_OPTIONS,
    result_keys=("pretraining", "transfer"),
    code=(*RESULT_CODE, "invtl/experiments/tm/grid.py", "invtl/experiments/tm/spec.py"),
)
