"""E-4 `ife` settings per profile (torch-free): every value with its reason."""

from invtl.profiles import Spec

SPEC = Spec(
    "ife",
    paper={
        "variants": (["fixed", "translate"], "the two reported configurations"),
        "seeds": (list(range(10)), "the paper's 10 seed ids"),
        "source": ("si-score", "the paper's SI-Score objects"),
        "arch": ("resnet18", "the reported architecture"),
        "width": (1.0, "the paper's network"),
        "cifar_per_class": (None, "all of CIFAR-10 (45 000 / 5 000 / 10 000)"),
        "n_objects": ([50_000, 10_000, 10_000], "objects-only train / val / test"),
        "pt_epochs": (200, "protocol §2.3"),
        "lp_epochs": (100, "protocol §2.3"),
        "batch_size": (512, "protocol §2.3"),
        "eval_batch_size": (512, "the invariance batch of E-4 (protocol §2.3)"),
        "pt_min_steps": (0, "the paper sets every length in epochs"),
        "lp_min_steps": (0, "the paper sets every length in epochs"),
    },
    overrides={
        "smoke": {
            "seeds": ([0], "one seed proves the pipeline"),
            "source": ("offline", "no network needed"),
            "width": (0.25, "quarter-width CNN"),
            "cifar_per_class": ([20, 4, 10], "tiny"),
            "n_objects": ([200, 40, 100], "tiny"),
            "pt_epochs": (2, "tiny"),
            "lp_epochs": (10, "tiny"),
            "batch_size": (64, "tiny datasets"),
            "eval_batch_size": (64, "tiny test sets"),
        },
        "cpu": {
            "seeds": ([0, 1, 2], "3 seeds give a 95 % interval over task instances"),
            "source": ("offline", "no network needed"),
            "width": (0.25, "quarter-width ResNet-18: about 16x fewer FLOPs"),
            "cifar_per_class": (
                [1_000, 100, 200],
                "1 000 / 100 / 200 CIFAR-10 images per class: a CPU-sized subset of the split",
            ),
            "n_objects": ([5_000, 500, 1_000], "objects-only train / val / test, about half the CIFAR sizes"),
            "pt_epochs": (15, "real images need more passes than Transforms-2D (pilots)"),
            "lp_epochs": (30, "the probe converges on cached features within 30 epochs"),
            "batch_size": (128, "several steps per epoch"),
            "pt_min_steps": (300, "at least 300 steps per pretraining"),
            "lp_min_steps": (300, "at least 300 steps per probe"),
        },
        "fast": {
            "seeds": ([0, 1, 2], "3 seeds"),
            "pt_epochs": (50, "shortened schedule"),
            "lp_epochs": (50, "shortened schedule"),
            "pt_min_steps": (500, "short schedules on small sets would take a few dozen steps; at least 500"),
            "lp_min_steps": (500, "a probe on 50 samples at batch 512 is one step per epoch; at least 500"),
        },
    },
)
