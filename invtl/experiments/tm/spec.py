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
        "n_train": (50_000, "protocol §2.3"),
        "n_val": (10_000, "protocol §2.3"),
        "n_test": (10_000, "protocol §2.3"),
        "pt_epochs": (100, "protocol §2.3"),
        "lp_epochs": (200, "protocol §2.3"),
        "batch_size": (256, "protocol §2.3"),
        "pt_min_steps": (0, "the paper sets every length in epochs"),
        "lp_min_steps": (0, "the paper sets every length in epochs"),
    },
    overrides={
        "smoke": {
            "archs": (["resnet18"], "one architecture"),
            "seeds": ([0], "one seed proves the pipeline"),
            "source": ("offline", "no network needed"),
            "width": (0.25, "quarter-width CNNs"),
            "num_transforms": (3, "a 3 x 3 corner of the matrix"),
            "n_train": (256, "tiny"),
            "n_val": (64, "tiny"),
            "n_test": (128, "tiny"),
            "pt_epochs": (2, "tiny"),
            "lp_epochs": (10, "tiny"),
            "batch_size": (64, "tiny datasets"),
        },
        "cpu": {
            "archs": (
                ["resnet18", "vgg11"],
                "ResNet-18 (the paper's plot) and VGG-11, the cheapest second architecture",
            ),
            "seeds": ([0, 1, 2], "3 seeds give a 95 % interval over task instances"),
            "source": ("offline", "no network needed"),
            "width": (0.25, "quarter-width networks: about 16x fewer FLOPs"),
            "n_train": (10_000, "the pilots' lever is samples, not epochs: 10 000 per nested set"),
            "n_val": (1_000, "validation is only logged"),
            "n_test": (2_000, "about 67 test images per class"),
            "pt_epochs": (10, "with views re-drawn every epoch, 10 passes over 10 000 samples (pilots)"),
            "lp_epochs": (30, "the probe converges on cached features within 30 epochs"),
            "batch_size": (128, "the bf16 step is as fast per image at 128 as at 256 here, with more steps"),
            "pt_min_steps": (300, "at least 300 steps per pretraining"),
            "lp_min_steps": (300, "at least 300 steps per probe"),
        },
        "fast": {
            "archs": (["resnet18"], "the paper reports ResNet-18"),
            "seeds": ([0, 1, 2], "3 seeds"),
            "pt_epochs": (20, "shortened schedule"),
            "lp_epochs": (30, "shortened schedule"),
            "pt_min_steps": (500, "short schedules on small sets would take a few dozen steps; at least 500"),
            "lp_min_steps": (500, "a probe on 50 samples at batch 512 is one step per epoch; at least 500"),
        },
    },
)
