"""The setup of each experiment E-1 … E-6 as the paper states it, and results it gives as text."""

from __future__ import annotations

from invtl.paper.schema import Experiment, Note

EXPERIMENTS = {
    e.id: e
    for e in (
        Experiment(
            "E-1",
            "Same vs. disjoint transformations against other factors (Transforms-2D, linear probe)",
            "ResNet-18 unless varied · 30 target objects · same = target's 3 transforms, disjoint = 3 others · "
            "PT 50 ep on 50 000 samples of 30 other objects (unless varied) · LP 200 ep on 50 000 target samples "
            "(FT-samples panel: n) · 10 seeds.",
            "[FIG]",
        ),
        Experiment(
            "E-2",
            "Same analysis with full fine-tuning, 200 target samples (Transforms-2D)",
            "as E-1, then LP→FT (all layers, Adam 1e-3, 50 ep; original schedule B2 and head source O1) on 200 "
            "target samples (FT-samples panel: n) · 10 seeds.",
            "[FIG]",
        ),
        Experiment(
            "E-3",
            "Same analysis on CIFAR, linear probe (transformations as augmentation)",
            "ResNet-18 unless varied · CIFAR classes split at random into target/disjoint halves · T2D transforms "
            "as train+test augmentation · PT 50 ep · LP 200 ep on 100 % of target data (FT-samples panel: "
            "fraction) · 10 seeds.",
            "[FIG]",
        ),
        Experiment(
            "E-4",
            "Invariance to irrelevant features harms transfer (CIFAR-10 + objects)",
            "ResNet-18 · CIFAR-10 + 10 T2D objects (≈12 px, upper-right corner, or randomly translated) · 4 PT "
            "tasks (200 ep) × 4 LP targets (100 ep) · ℓ2 ratio on twin test sets · mean ± std over 10 seeds.",
            "[NB]",
        ),
        Experiment(
            "E-5",
            "Transfer of invariance across domains (ResNet-18)",
            "ResNet-18 · 19 img (op-img) + 19 rand (rp-rand) single-transform models, 50 ep · ℓ2 ratio on "
            "10 000-image twin test sets · mean ± std over 10 seeds × 18 transforms · bold = smallest of the "
            "three rows per column.",
            "[NB]",
        ),
        Experiment(
            "E-6",
            "Transformation-set mismatch (ResNet-18)",
            "ResNet-18 · 8 random transforms per seed, nested sets t_1…t_8, 30 objects · PT on t_k (100 ep) → LP "
            "on t_j (200 ep) · mean over 10 seeds.",
            "[FIG]",
        ),
    )
}

NOTES = {
    n.id: n
    for n in (
        Note(
            "E-1b",
            "E-1",
            "Training (PT-task) accuracy",
            "[FIG]",
            (
                "Disjoint-transform models: ≈0.99–1.00 almost everywhere. Exceptions: **0.857** at 1 000 PT samples and "
                "**0.924** at 100 000 PT samples.",
                'Same-transform models: **0.936** for the "disjoint" class set and **0.934** at 1 000 PT samples; '
                "otherwise ≈0.98–1.00.",
            ),
        ),
    )
}
