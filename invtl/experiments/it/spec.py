"""E-5 `it` settings per profile (torch-free): every value with its reason."""

from invtl.profiles import Spec

TRANSFORM_NAMES = ["scale", "translate", "v_flip", "h_flip", "rotate", "shear", "hue", "brightness", "grayscale",
                   "posterize", "invert", "sharpen", "blur", "noise", "pixelate", "elastic", "erasing", "contrast"]
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
        "n_train": (50_000, "protocol §2.3"), "n_test": (10_000, "protocol §2.3"),
        "pt_epochs": (50, "protocol §2.3"), "batch_size": (512, "protocol §2.3"),
        "eval_batch_size": (2048, "the invariance batch of E-5 on Transforms-2D data (protocol §2.3)"),
        "cifar_eval_batch_size": (512, "the authors measured the CIFAR columns with batch 512"),
    },
    overrides={
        "smoke": {
            "archs": (["resnet18"], "one architecture"), "seeds": ([0], "one seed proves the pipeline"),
            "source": ("offline", "no network needed"), "width": (0.25, "quarter-width CNNs"),
            "models": (["none", "rotate"], "two models"), "eval_transforms": (["rotate", "hue"], "two transforms"),
            "data_types": (["op-img", "os-img", "rs-rand", "cifar10"], "four data types"),
            "n_train": (256, "tiny"), "n_test": (128, "tiny"), "pt_epochs": (2, "tiny"),
            "batch_size": (64, "tiny datasets"), "eval_batch_size": (64, "tiny test sets"),
            "cifar_eval_batch_size": (64, "tiny test sets"),
        },
        "cpu": {
            "archs": (["resnet18"], "CPU budget"), "seeds": ([0, 1, 2], "3 seeds"),
            "source": ("offline", "no network needed"), "width": (0.25, "quarter-width CNNs"),
            "groups": (["img"], "CPU budget"), "models": (["none", "rotate", "hue", "blur"], "CPU budget"),
            "eval_transforms": (["rotate", "hue", "blur"], "CPU budget"),
            "data_types": (["op-img", "os-img", "rs-rand"], "CPU budget"),
            "n_train": (1_000, "CPU budget"), "n_test": (512, "CPU budget"), "pt_epochs": (5, "CPU budget"),
            "batch_size": (128, "small datasets"), "eval_batch_size": (256, "small test sets"),
            "cifar_eval_batch_size": (256, "small test sets"),
        },
        "fast": {
            "archs": (["resnet18"], "the paper reports ResNet-18"), "seeds": ([0, 1, 2], "3 seeds"),
            "n_test": (5_000, "half the twin test set"), "pt_epochs": (12, "shortened schedule"),
        },
    },
)
