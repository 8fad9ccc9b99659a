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
        "pt_epochs": (200, "protocol §2.3"), "lp_epochs": (100, "protocol §2.3"), "batch_size": (512, "protocol §2.3"),
        "eval_batch_size": (512, "the invariance batch of E-4 (protocol §2.3)"),
    },
    overrides={
        "smoke": {
            "seeds": ([0], "one seed proves the pipeline"), "source": ("offline", "no network needed"),
            "width": (0.25, "quarter-width CNN"), "cifar_per_class": ([20, 4, 10], "tiny"),
            "n_objects": ([200, 40, 100], "tiny"), "pt_epochs": (2, "tiny"), "lp_epochs": (10, "tiny"),
            "batch_size": (64, "tiny datasets"), "eval_batch_size": (64, "tiny test sets"),
        },
        "cpu": {
            "variants": (["fixed"], "CPU budget"), "seeds": ([0], "CPU budget"),
            "source": ("offline", "no network needed"), "width": (0.25, "quarter-width CNN"),
            "cifar_per_class": ([200, 20, 100], "CPU budget"), "n_objects": ([2_000, 200, 1_000], "CPU budget"),
            "pt_epochs": (10, "CPU budget"), "lp_epochs": (50, "CPU budget"), "batch_size": (128, "small datasets"),
        },
        "fast": {
            "seeds": ([0, 1, 2], "3 seeds"), "pt_epochs": (50, "shortened schedule"),
            "lp_epochs": (50, "shortened schedule"),
        },
    },
)
