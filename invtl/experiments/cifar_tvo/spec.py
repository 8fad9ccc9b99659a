"""E-3 `cifar_tvo` settings per profile (torch-free): every value with its reason."""

from invtl.profiles import Spec

SPEC = Spec(
    "cifar_tvo",
    paper={
        "datasets": (["cifar10", "cifar100"], "E-3 runs on both"),
        "seeds": (list(range(10)), "the paper's 10 seed ids (E-1's table)"),
        "width": (1.0, "the paper's networks"),
        "max_per_class": (None, "every image of the stratified 90/10 split"),
        "archs": (["resnet18", "resnet50", "densenet121", "vgg11", "vit"], "the five architectures of the paper"),
        "pt_samples": ({"cifar10": [10, 50, 200, 1_000, 4_500], "cifar100": [10, 50, 100, 250, 500]},
                       "PT samples per class (protocol E-3)"),
        "ft_samples": ([0.01, 0.05, 0.1, 0.5, 1.0], "FT samples as a fraction per class"),
        "ft_sizes": ([0.01, 0.1], "E-3 fine-tunes on 1 % and 10 %"),
        "pt_epochs": (50, "protocol §2.3"), "lp_epochs": (200, "protocol §2.3"), "ft_epochs": (50, "protocol §2.3"),
        "batch_size": (512, "protocol §2.3"),
    },
    overrides={
        "smoke": {
            "seeds": ([0], "one seed proves the pipeline"), "width": (0.25, "quarter-width CNNs"),
            "max_per_class": ({"cifar10": [16, 4, 8], "cifar100": [4, 1, 2]}, "tiny"),
            "archs": (["resnet18"], "one architecture"),
            "pt_samples": ({"cifar10": [4, 16], "cifar100": [2, 4]}, "two points"),
            "ft_samples": ([0.25, 1.0], "two points"), "ft_sizes": ([0.25], "one size"),
            "pt_epochs": (1, "tiny"), "lp_epochs": (3, "tiny"), "ft_epochs": (1, "tiny"),
            "batch_size": (64, "tiny datasets"),
        },
        "cpu": {
            "datasets": (["cifar10"], "CPU budget"), "seeds": ([0, 1, 2], "3 seeds"), "width": (0.25, "quarter-width CNNs"),
            "max_per_class": ({"cifar10": [400, 50, 200], "cifar100": [40, 5, 20]}, "CPU budget"),
            "archs": (["resnet18", "vgg11"], "CPU budget"),
            "pt_samples": ({"cifar10": [10, 50, 400], "cifar100": [5, 10, 40]}, "CPU budget"),
            "ft_samples": ([0.05, 0.25, 1.0], "CPU budget"), "ft_sizes": ([0.05, 0.25], "CPU budget"),
            "pt_epochs": (6, "CPU budget"), "lp_epochs": (30, "CPU budget"), "ft_epochs": (10, "CPU budget"),
            "batch_size": (128, "small datasets"),
        },
        "fast": {
            "seeds": ([0, 1, 2], "3 seeds"), "pt_epochs": (12, "shortened schedule"),
            "lp_epochs": (50, "shortened schedule"), "ft_epochs": (30, "shortened schedule"),
        },
    },
)
