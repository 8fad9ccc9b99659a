"""The paper's headline claims C1–C8: statement bullets and a one-line summary of its numbers."""

from __future__ import annotations

from invtl.paper.schema import ClaimText

CLAIMS = {
    c.id: c
    for c in (
        ClaimText(
            "C1",
            "The right invariance matters more than PT sample count or architecture",
            ("E-1",),
            (
                "Same-transform PT beats disjoint-transform PT by **0.12** (class relationship), **0.12** (architecture) and "
                "**0.14** (PT samples) in mean transfer (0.983 vs 0.868, 0.977 vs 0.856, 0.974 vs 0.829).",
                "This gap exceeds the within-factor range of the disjoint models for architecture (0.07) and PT samples "
                "(0.03, for 500× more data: 0.809 → 0.838). It also exceeds every within-factor range of the same models "
                "(0.05, 0.02, 0.04).",
                "*Check:* same-transform PT with 1 000 samples (0.945) beats disjoint-transform PT with 500 000 samples "
                "(0.838) by ≈ 0.11.",
            ),
            "same − disjoint 0.12 / 0.12 / 0.14 (class rel. / arch. / PT samples); disjoint ranges 0.07 (arch.), "
            "0.03 (PT samples); same @ 1 000 PT 0.945 > disjoint @ 500 000 0.838",
        ),
        ClaimText(
            "C2",
            "Class identity is the only factor of comparable size",
            ("E-1",),
            (
                "Moving the PT classes from subset to superset raises disjoint-transform transfer from 0.773 to 0.922 "
                "(range 0.15), about the size of the same/disjoint gap (0.12).",
                "With the right transformations, even a 10-class subset reaches 0.953.",
            ),
            "disjoint: subset 0.773 → superset 0.922 (range 0.15) vs gap 0.12; same-transform subset 0.953",
        ),
        ClaimText(
            "C3",
            "Invariance saves labelled target data",
            ("E-1",),
            (
                "Same-transform PT with 50 LP samples (0.820) matches disjoint-transform PT with 5 000 samples (0.823): "
                "≈ 100× fewer target samples.",
            ),
            "same @ 50 LP samples 0.820 ≈ disjoint @ 5 000 samples 0.823",
        ),
        ClaimText(
            "C4",
            "Full fine-tuning on few samples keeps the gap",
            ("E-2",),
            (
                "The same/disjoint difference of means is **0.13** (class relationship), **0.15** (architecture) and "
                "**0.13** (PT samples).",
                "Same > disjoint at every readable point listed in E-2a (e.g. ResNet-18: 0.946 vs 0.804).",
            ),
            "same − disjoint 0.13 / 0.15 / 0.13; same > disjoint at every readable point",
        ),
        ClaimText(
            "C5",
            "The effect holds on real images but does not dominate there",
            ("E-3",),
            (
                "Same > disjoint at every readable point on CIFAR-10 and CIFAR-100.",
                "Gaps: CIFAR-10 **0.18 / 0.11 / 0.06**, CIFAR-100 **0.33 / 0.18 / 0.13** (class rel. / arch. / PT "
                "samples).",
                "The within-factor ranges are as large or larger: CIFAR-10 same-transform ranges 0.31 / 0.18 / 0.23; "
                "CIFAR-100 0.37 / 0.20 / 0.27.",
            ),
            "gaps CIFAR-10 0.18 / 0.11 / 0.06, CIFAR-100 0.33 / 0.18 / 0.13; same ranges 0.31 / 0.18 / 0.23 and "
            "0.37 / 0.20 / 0.27",
        ),
        ClaimText(
            "C6",
            "Invariance to an irrelevant feature harms transfer to it",
            ("E-4",),
            (
                "The model trained on CIFAR + objects with CIFAR labels (C+O & C) is the most object-invariant (ℓ2 ratio "
                "**0.08**, vs 0.21 for plain-CIFAR training).",
                "Its linear probe for the object label reaches only **0.53** (vs **0.80** for C & C) with fixed objects, "
                "and **0.15** (vs **0.56**) with translated objects.",
                "Across the 4 models, the ℓ2 ratio correlates positively with LP accuracy on the C+O targets: r = 0.681 / "
                "0.786 (fixed) and 0.683 / 0.940 (translate) for cifar / objects.",
            ),
            "C+O & C object ℓ2 0.08 (C & C 0.21); object LP 0.53 vs 0.80 (fixed), 0.15 vs 0.56 (translate); "
            "r = 0.681 / 0.786, 0.683 / 0.940",
        ),
        ClaimText(
            "C7",
            "Learned invariance transfers to new data, weakening with distance from the training domain",
            ("E-5",),
            (
                "Same < Other and Same < None in all 10 columns.",
                "Other and None are within 0.03 of each other in every column.",
                "For img models the Same ratio grows with domain distance: 0.12 (op-img) < 0.21 (os-img) < 0.37 "
                "(CIFAR-10) < 0.56 (rs-rand), while Other stays at 0.40 or above (0.40 / 0.41 / 0.51 / 0.69).",
            ),
            "Same < Other, None in all 10 columns; img Same 0.12 < 0.21 < 0.37 < 0.56, Other ≥ 0.40",
        ),
        ClaimText(
            "C8",
            "Missing invariances hurt; extra ones barely do",
            ("E-6",),
            (
                "LP transfer is ≈ 0.98–1.00 whenever the target's transformations are a subset of the PT transformations "
                "(j ≤ k).",
                "For j > k it falls monotonically along every row, e.g. k = 1: 0.989 (j = 2) → 0.276 (j = 8).",
                "The model trained on all 8 stays at ≥ 0.98 on every target (0.995 at j = 1, 0.984 at j = 8).",
            ),
            "j ≤ k: ≈0.98–1.00; j > k falls along every row (k = 1: 0.989 at j = 2 → 0.276 at j = 8); "
            "k = 8: ≥ 0.98 everywhere",
        ),
    )
}
