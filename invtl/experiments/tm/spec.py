"""E-6 `tm` settings per profile (torch-free): every value with its reason."""

from invtl.profiles import Spec

SPEC = Spec(
    "tm",
    paper={
        "archs": (["resnet18", "vgg11", "densenet121", "vit"], "the four architectures of E-6"),
        "seeds": (list(range(10)), "the paper's 10 seed ids; each draws 8 transforms and 30 objects"),
        "source": ("si-score", "the paper's SI-Score objects and backgrounds"),
        "width": (1.0, "the paper's networks"),
        "num_transforms": (8, "nested sets t_1 ... t_8"),
        "n_train": (50_000, "protocol §2.3"), "n_val": (10_000, "protocol §2.3"), "n_test": (10_000, "protocol §2.3"),
        "pt_epochs": (100, "protocol §2.3"), "lp_epochs": (200, "protocol §2.3"), "batch_size": (256, "protocol §2.3"),
    },
    overrides={
        "smoke": {
            "archs": (["resnet18"], "one architecture"), "seeds": ([0], "one seed proves the pipeline"),
            "source": ("offline", "no network needed"), "width": (0.25, "quarter-width CNNs"),
            "num_transforms": (3, "a 3 x 3 corner of the matrix"),
            "n_train": (256, "tiny"), "n_val": (64, "tiny"), "n_test": (128, "tiny"),
            "pt_epochs": (2, "tiny"), "lp_epochs": (10, "tiny"), "batch_size": (64, "tiny datasets"),
        },
        "cpu": {
            "archs": (["resnet18"], "CPU budget"), "seeds": ([0, 1, 2], "3 seeds give a 95 % interval"),
            "source": ("offline", "no network needed"), "width": (0.25, "quarter-width CNNs"),
            "num_transforms": (4, "CPU budget"),
            "n_train": (1_000, "CPU budget"), "n_val": (200, "CPU budget"), "n_test": (1_000, "CPU budget"),
            "pt_epochs": (6, "CPU budget"), "lp_epochs": (30, "CPU budget"), "batch_size": (128, "small datasets"),
        },
        "fast": {
            "archs": (["resnet18"], "the paper reports ResNet-18"), "seeds": ([0, 1, 2], "3 seeds"),
            "pt_epochs": (20, "shortened schedule"), "lp_epochs": (30, "shortened schedule"),
        },
    },
)
