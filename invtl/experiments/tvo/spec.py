"""E-1/E-2 `tvo` settings per profile (torch-free): every value with its reason."""

from invtl.profiles import Spec

SPEC = Spec(
    "tvo",
    paper={
        "seeds": (list(range(10)), "the paper's 10 seed ids; each draws a new task instance (transforms, classes)"),
        "source": ("si-score", "the paper's SI-Score objects and backgrounds"),
        "width": (1.0, "the paper's networks"),
        "num_target": (30, "30 target objects (protocol E-1)"),
        "n_pt": (50_000, "50 000 pretraining samples outside the PT-samples panel"),
        "n_lp": (50_000, "the linear probe trains on 50 000 target samples"),
        "n_val": (10_000, "10 000 validation samples per dataset"),
        "n_test": (10_000, "10 000 test samples per dataset"),
        "archs": (["resnet18", "resnet50", "densenet121", "vgg11", "vit"], "the five architectures of the paper"),
        "pt_samples": ([1_000, 10_000, 50_000, 100_000, 500_000], "the PT-samples panel's five values"),
        "ft_samples": ([50, 200, 500, 2_000, 5_000], "the FT-samples panel's five target sample counts"),
        "ft_sizes": ([200, 2_000], "E-2 fine-tunes on 200 and on 2 000 target samples"),
        "pt_epochs": (50, "protocol §2.3"),
        "lp_epochs": (200, "protocol §2.3"),
        "ft_epochs": (50, "protocol §2.3"),
        "batch_size": (512, "protocol §2.3"),
    },
    overrides={
        "smoke": {
            "seeds": ([0], "one seed proves the pipeline"),
            "source": ("offline", "no network needed"),
            "width": (0.25, "quarter-width CNNs train in seconds on a CPU"),
            "num_target": (6, "few classes keep every dataset tiny"),
            "n_pt": (256, "tiny"), "n_lp": (256, "tiny"), "n_val": (64, "tiny"), "n_test": (128, "tiny"),
            "archs": (["resnet18", "vgg11"], "the two cheapest architectures"),
            "pt_samples": ([64, 256], "two points keep the panel's shape"),
            "ft_samples": ([16, 64], "two points keep the panel's shape"),
            "ft_sizes": ([32], "one fine-tuning size"),
            "pt_epochs": (2, "tiny"), "lp_epochs": (5, "tiny"), "ft_epochs": (2, "tiny"),
            "batch_size": (64, "small datasets need several steps per epoch"),
        },
        "cpu": {
            "seeds": ([0, 1, 2], "3 seeds give a 95 % interval"),
            "source": ("offline", "no network needed"),
            "width": (0.25, "quarter-width CNNs: about 16x fewer FLOPs"),
            "num_target": (10, "fewer classes learn from fewer samples"),
            "n_pt": (1_000, "CPU budget"), "n_lp": (1_000, "CPU budget"), "n_val": (200, "CPU budget"),
            "n_test": (1_000, "CPU budget"),
            "archs": (["resnet18", "vgg11"], "the two cheapest architectures"),
            "pt_samples": ([200, 1_000, 4_000], "a geometric range at CPU scale"),
            "ft_samples": ([20, 100, 500], "a geometric range at CPU scale"),
            "ft_sizes": ([100], "one fine-tuning size"),
            "pt_epochs": (6, "CPU budget"), "lp_epochs": (30, "CPU budget"), "ft_epochs": (10, "CPU budget"),
            "batch_size": (128, "small datasets need several steps per epoch"),
        },
        "fast": {
            "seeds": ([0, 1, 2], "3 seeds give a 95 % interval"),
            "pt_epochs": (12, "shortened schedule"), "lp_epochs": (50, "shortened schedule"),
            "ft_epochs": (30, "shortened schedule"),
        },
    },
)
