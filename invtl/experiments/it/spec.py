"""E-5 `it` settings per profile (torch-free): every value with its reason."""

from invtl.profiles import Spec

TRANSFORM_NAMES = [
    "scale",
    "translate",
    "v_flip",
    "h_flip",
    "rotate",
    "shear",
    "hue",
    "brightness",
    "grayscale",
    "posterize",
    "invert",
    "sharpen",
    "blur",
    "noise",
    "pixelate",
    "elastic",
    "erasing",
    "contrast",
]
DATA_TYPES = ["op-img", "os-img", "op-rand", "os-rand", "rp-img", "rs-img", "rp-rand", "rs-rand", "cifar10", "cifar100"]

SPEC = Spec(
    "it",
    paper={
        "archs": (["resnet18", "densenet121", "vgg11", "vit"], "the four architectures of E-5"),
        "seeds": (list(range(10)), "the paper's 10 seed ids"),
        "source": ("si-score", "the paper's SI-Score objects and backgrounds"),
        "width": (1.0, "the paper's networks"),
        "groups": (["img", "rand"], "models trained on op-img and on rp-rand"),
        "models": (["none", *TRANSFORM_NAMES], "one model per transform, plus none"),
        "eval_transforms": (TRANSFORM_NAMES, "invariance to each of the 18 transforms"),
        "data_types": (DATA_TYPES, "8 Transforms-2D data types and the CIFAR-10 / CIFAR-100 test sets"),
        "n_train": (50_000, "protocol §2.3"),
        "n_test": (10_000, "protocol §2.3"),
        "pt_epochs": (50, "protocol §2.3"),
        "batch_size": (512, "protocol §2.3"),
        "eval_batch_size": (2048, "the invariance batch of E-5 on Transforms-2D data (protocol §2.3)"),
        "cifar_eval_batch_size": (512, "the authors measured the CIFAR columns with batch 512"),
        "pt_min_steps": (0, "the paper sets every length in epochs"),
    },
    overrides={
        "smoke": {
            "archs": (["resnet18"], "one architecture"),
            "seeds": ([0], "one seed proves the pipeline"),
            "source": ("offline", "no network needed"),
            "width": (0.25, "quarter-width CNNs"),
            "models": (["none", "rotate"], "two models"),
            "eval_transforms": (["rotate", "hue"], "two transforms"),
            "data_types": (["op-img", "os-img", "rs-rand", "cifar10"], "four data types"),
            "n_train": (256, "tiny"),
            "n_test": (128, "tiny"),
            "pt_epochs": (2, "tiny"),
            "batch_size": (64, "tiny datasets"),
            "eval_batch_size": (64, "tiny test sets"),
            "cifar_eval_batch_size": (64, "tiny test sets"),
        },
        "cpu": {
            "archs": (
                ["resnet18"],
                "E-5's tables and claim C7 are ResNet-18's; the other architectures are appendix plots",
            ),
            "seeds": (
                [0, 1, 2, 3, 4],
                "the cpu profile's rule is 3 seeds, 5 where a claim's 95 % interval is wider than its effect: over 3 "
                "seeds C7's part (b), |Other - None| <= 0.04, had an interval of ±0.110 on rand os-img, wider than "
                "the 0.04 it tests",
            ),
            "source": ("offline", "no network needed"),
            "width": (0.25, "quarter-width ResNet-18: about 16x fewer FLOPs"),
            "models": (
                ["none", "rotate", "translate", "hue", "invert", "blur", "noise"],
                "two transforms per category, one always applied and one other (translate, a CNN's own invariance; "
                "invert and noise, gated), and none: 15 models per seed instead of 39",
            ),
            "eval_transforms": (
                ["rotate", "translate", "hue", "invert", "blur", "noise"],
                "Same / Other / None need a trained model for each target transform",
            ),
            "n_train": (5_000, "single-transform tasks of 30 objects learn from 5 000 samples (pilots)"),
            "n_test": (1_000, "1 000 twin pairs per data type and transform"),
            "pt_epochs": (8, "with views re-drawn every epoch, 8 passes (pilots)"),
            "batch_size": (128, "several steps per epoch"),
            "pt_min_steps": (300, "at least 300 steps per pretraining"),
        },
        "fast": {
            "archs": (["resnet18"], "the paper reports ResNet-18"),
            "seeds": ([0, 1, 2], "3 seeds"),
            "n_test": (5_000, "half the twin test set"),
            "pt_epochs": (12, "shortened schedule"),
            "pt_min_steps": (500, "short schedules on small sets would take a few dozen steps; at least 500"),
        },
    },
)
