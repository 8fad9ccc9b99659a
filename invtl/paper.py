"""The paper's reference numbers and headline claims, as data.

Transcribed verbatim from `shared/reference/paper-values.md` (the project's reference file for
Speicher, Nanda & Gummadi, TMLR 2024, arXiv:2407.04325); `tests/test_book.py` checks every table
cell against that file when it is present. Cells are kept exactly as written there, as strings
("0.953", "≈1.00 ¹", "hidden (legend)", "**0.53±0.05**"); `number(cell)` reads the value.

Provenance of each table (`Table.provenance`) and of single cells:

- [NB]: exact number printed in the evaluation notebooks of the authors' code release;
- [FIG]: value read off the published figure, uncertainty ±0.01 (the 2-decimal labels printed
  inside the "performance differences" panels are figure text and exact to 2 decimals);
- "≈" in a cell: the marker is hidden and the value was estimated from the connecting line
  (uncertainty larger than ±0.01);
- "hidden" in a cell: not readable at all.

The paper's accuracies are the original pipeline's "test" numbers: macro accuracy pooled over
train + val + test (bug B1 of book/protocol.md), with the other original behaviours (B2, B3, B5, B6,
O1, Q1–Q6). Unless noted: means over 10 seeds; invariance = ℓ2-distance ratio (lower = more
invariant). Results are named by experiment id E-0 … E-6, never by the paper's figure numbers,
which could not be verified.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

SOURCE = "shared/reference/paper-values.md"
"""Where these values come from, relative to the directory that holds the repository."""

PROVENANCE_TAGS = {
    "[NB]": "exact number printed in the evaluation notebooks of the authors' code release",
    "[FIG]": "read off the published figure; uncertainty ±0.01 (printed 2-decimal labels are exact)",
    "≈": "marker hidden; estimated from the connecting line; uncertainty larger than ±0.01",
    "hidden": "not readable at all",
}


@dataclass(frozen=True)
class Experiment:
    id: str
    title: str
    setup: str
    provenance: str


@dataclass(frozen=True)
class Table:
    id: str
    experiment: str
    title: str
    provenance: str
    source_line: int
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    notes: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class Note:
    """A result the reference file gives as text, not as a table."""

    id: str
    experiment: str
    title: str
    provenance: str
    bullets: tuple[str, ...]


@dataclass(frozen=True)
class ClaimText:
    id: str
    title: str
    experiments: tuple[str, ...]
    bullets: tuple[str, ...]
    paper: str
    """One-line summary of the paper's numbers for the claim (for tables and `invtl claims`)."""


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

TABLES = {
    t.id: t
    for t in (
        Table(
            "E-1a",
            "E-1",
            "Transfer accuracy (mean over seeds)",
            "[FIG]",
            source_line=45,
            columns=("panel", "x value", "same", "disjoint"),
            rows=(
                ("Class relationship", "subset (10 classes)", "0.953", "0.773"),
                ("", "disjoint (30)", "0.983", "0.862"),
                ("", "same (30)", "≈1.00 ¹", "0.907"),
                ("", "superset (60)", "≈1.00 ¹", "0.922"),
                ("Architecture", "ResNet-18", "0.984", "0.870"),
                ("", "ResNet-50", "0.988", "0.899"),
                ("", "DenseNet-121", "0.975", "0.834"),
                ("", "VGG-11", "0.966", "0.832"),
                ("", "ViT", "0.976", "0.835"),
                ("PT samples", "1 000", "0.945", "0.809"),
                ("", "10 000", "0.977", "0.835"),
                ("", "50 000", "0.985", "0.833"),
                ("", "100 000", "≈0.982 ¹", "0.825"),
                ("", "500 000", "0.985", "0.838"),
                ("FT samples (LP size)", "50", "0.820", "0.449"),
                ("", "200", "≈0.99–1.00 ¹", "0.637"),
                ("", "500", "≈0.99–1.00 ¹", "0.687"),
                ("", "2 000", "≈0.99–1.00 ¹", "0.772"),
                ("", "5 000", "≈0.99–1.00 ¹", "0.823"),
            ),
            notes=(
                "¹ The same-transfer marker is hidden under the training-accuracy squares (≈ 0.997); the value is estimated from the line.",
            ),
        ),
        Table(
            "E-1c",
            "E-1",
            "Performance-difference panel (FT samples not included)",
            "[FIG]",
            source_line=79,
            columns=(
                "factor",
                "disjoint: range across values",
                "same: range across values",
                "same vs. disjoint: difference of means",
            ),
            rows=(
                ("Class relationship", "**0.15** (0.773–0.923)", "**0.05** (0.955–0.999)", "**0.12** (0.983 vs 0.868)"),
                ("Architecture", "**0.07** (0.832–0.900)", "**0.02** (0.967–0.987)", "**0.12** (0.977 vs 0.856)"),
                ("PT samples", "**0.03** (0.810–0.838)", "**0.04** (0.947–0.983)", "**0.14** (0.974 vs 0.829)"),
            ),
            notes=(
                "The bold values are the labels printed in the figure. The values in brackets are bar endpoints and means read from the figure (±0.01).",
            ),
        ),
        Table(
            "E-2a",
            "E-2",
            "Transfer accuracy (mean over seeds)",
            "[FIG]",
            source_line=96,
            columns=("panel", "x value", "same", "disjoint"),
            rows=(
                ("Class relationship", "subset", "0.867", "0.717"),
                ("", "disjoint", "0.948", "0.803"),
                ("", "same", "≈1.0", "0.865"),
                ("", "superset", "≈1.0", "0.885"),
                ("Architecture", "ResNet-18", "0.946", "0.804"),
                ("", "ResNet-50", "0.934", "0.784"),
                ("", "DenseNet-121", "0.941", "0.777"),
                ("", "VGG-11", "0.925", "0.763"),
                ("", "ViT", "0.913", "0.775"),
                ("PT samples", "1 000", "0.670", "0.536"),
                ("", "10 000", "0.877", "0.712"),
                ("", "50 000", "0.951", "0.824"),
                ("", "100 000", "0.970", "0.843"),
                ("", "500 000", "0.962", "0.838"),
                ("FT samples", "50", "0.805", "0.450"),
                ("", "200", "≈1.0", "0.782"),
                ("", "500", "hidden (legend)", "0.846"),
                ("", "5 000", "≈1.0", "0.979"),
            ),
            notes=("The n = 2 000 point of the FT-samples panel is not listed in paper-values.md.",),
        ),
        Table(
            "E-2b",
            "E-2",
            "Performance-difference panel (disjoint range / same range / difference of means)",
            "[FIG]",
            source_line=122,
            columns=("factor", "disjoint range", "same range", "difference"),
            rows=(
                ("Class relationship", "0.17", "0.13", "0.13"),
                ("Architecture", "0.04", "0.03", "0.15"),
                ("PT samples", "0.31", "0.30", "0.13"),
            ),
        ),
        Table(
            "E-3a",
            "E-3",
            "CIFAR-10, linear probe (5 target classes)",
            "[FIG]",
            source_line=136,
            columns=("panel", "x value", "same", "disjoint"),
            rows=(
                ("Class relationship", "subset (2 classes)", "0.613", "0.493"),
                ("", "disjoint (5)", "0.683", "0.563"),
                ("", "same (5)", "0.883", "hidden (legend)"),
                ("", "superset (10)", "0.924", "hidden (legend)"),
                ("Architecture", "ResNet-18", "0.685", "0.552"),
                ("", "ResNet-50", "0.663", "0.530"),
                ("", "DenseNet-121", "0.702", "0.582"),
                ("", "VGG-11", "0.518", "0.395"),
                ("", "ViT", "0.550", "0.470"),
                ("PT samples per class", "10", "0.456", "0.437"),
                ("", "50", "0.480", "0.446"),
                ("", "200", "0.513", "0.473"),
                ("", "1 000", "≈0.63", "0.522"),
                ("", "4 500", "0.687", "0.565"),
                ("FT samples (fraction per class)", "1 %", "0.860", "0.578"),
                ("", "5 %", "0.869", "0.605"),
                ("", "10 %", "≈0.886", "0.624"),
                ("", "50 %", "0.900", "0.659"),
                ("", "100 %", "0.908", "0.672"),
            ),
            notes=(
                "In the class-relationship panel the disjoint series spans 0.492–0.658 (from the difference panel).",
                "Training (PT-task) accuracy, 5 classes: ≈0.82–0.93 across class relationships; 0.63–0.85 across architectures, with ViT lowest at ≈0.63–0.65.",
            ),
        ),
        Table(
            "E-3a-diff",
            "E-3",
            "CIFAR-10, performance-difference panel",
            "[FIG]",
            source_line=164,
            columns=("factor", "disjoint range", "same range", "difference"),
            rows=(
                ("Class relationship", "0.17", "0.31", "0.18"),
                ("Architecture", "0.19", "0.18", "0.11"),
                ("PT samples", "0.13", "0.23", "0.06"),
            ),
        ),
        Table(
            "E-3b",
            "E-3",
            "CIFAR-100, linear probe (50 target classes)",
            "[FIG]",
            source_line=172,
            columns=("panel", "x value", "same", "disjoint"),
            rows=(
                ("Class relationship", "subset (17 classes)", "0.482", "0.266"),
                ("", "disjoint (50)", "0.498", "0.313"),
                ("", "same (50)", "0.815", "hidden"),
                ("", "superset (100)", "0.859", "hidden"),
                ("Architecture", "ResNet-18", "0.504", "0.316"),
                ("", "ResNet-50", "0.579", "0.355"),
                ("", "DenseNet-121", "0.513", "0.313"),
                ("", "VGG-11", "0.474", "0.280"),
                ("", "ViT", "0.372", "0.247"),
                ("PT samples per class", "10", "0.237", "0.181"),
                ("", "50", "0.345", "≈0.24"),
                ("", "100", "0.401", "0.254"),
                ("", "250", "0.464", "0.293"),
                ("", "500", "0.506", "0.314"),
                ("FT samples (fraction per class)", "1 %", "0.499", "0.183"),
                ("", "5 %", "0.612", "0.268"),
                ("", "10 %", "≈0.65", "0.307"),
                ("", "50 %", "0.766", "0.374"),
                ("", "100 %", "0.808", "0.399"),
            ),
            notes=(
                "In the class-relationship panel the disjoint series spans 0.265–0.375 (from the difference panel).",
                "Training (PT-task) accuracy: ≈0.65–0.77; ViT ≈0.49–0.50.",
            ),
        ),
        Table(
            "E-3b-diff",
            "E-3",
            "CIFAR-100, performance-difference panel",
            "[FIG]",
            source_line=199,
            columns=("factor", "disjoint range", "same range", "difference"),
            rows=(
                ("Class relationship", "0.11", "0.37", "**0.33**"),
                ("Architecture", "0.11", "0.20", "0.18"),
                ("PT samples", "0.14", "0.27", "0.13"),
            ),
        ),
        Table(
            "E-4a",
            "E-4",
            '"Fixed" object position: LP transfer accuracy (rows = PT task, columns = target task)',
            "[NB]",
            source_line=215,
            columns=("PT \\ target", "C & C", "C+O & C", "C+O & O", "O & O"),
            rows=(
                ("**C & C**", "0.98±0.00", "0.95±0.00", "0.80±0.04", "1.00±0.00"),
                ("**C+O & C**", "0.98±0.00", "0.98±0.00", "**0.53±0.05**", "1.00±0.00"),
                ("**C+O & O**", "0.31±0.02", "0.24±0.02", "1.00±0.00", "1.00±0.00"),
                ("**O & O**", "0.36±0.01", "0.35±0.01", "0.85±0.05", "1.00±0.00"),
            ),
        ),
        Table(
            "E-4b",
            "E-4",
            '"Fixed": invariance (ℓ2 ratio)',
            "[NB]",
            source_line=227,
            columns=("model (PT task)", "cifar", "objects"),
            rows=(
                ("C & C", "0.99±0.00", "0.21±0.01"),
                ("C+O & C", "1.00±0.00", "**0.08±0.00**"),
                ("C+O & O", "0.11±0.04", "0.99±0.01"),
                ("O & O", "0.98±0.01", "0.19±0.07"),
            ),
            notes=(
                '"cifar" = pairs differing only in the CIFAR image; "objects" = pairs differing only in the pasted object.',
                "Pearson correlation across the 4 models between the ℓ2 ratio and LP accuracy on the C+O targets: cifar 0.681, objects 0.786.",
            ),
        ),
        Table(
            "E-4c",
            "E-4",
            '"Translate" (random object position): LP transfer accuracy',
            "[NB]",
            source_line=241,
            columns=("PT \\ target", "C & C", "C+O & C", "C+O & O", "O & O"),
            rows=(
                ("**C & C**", "0.98", "0.89±0.01", "0.56±0.06", "1.00"),
                ("**C+O & C**", "0.98", "0.97", "**0.15±0.01**", "1.00"),
                ("**C+O & O**", "0.26±0.02", "0.13±0.02", "1.00", "0.98±0.02"),
                ("**O & O**", "0.29±0.03", "0.28±0.03", "0.25±0.04", "1.00"),
            ),
            notes=('Entries without "±" are listed without a std.',),
        ),
        Table(
            "E-4d",
            "E-4",
            '"Translate": invariance (ℓ2 ratio)',
            "[NB]",
            source_line=252,
            columns=("model (PT task)", "cifar", "objects"),
            rows=(
                ("C & C", "0.99", "0.21±0.02"),
                ("C+O & C", "1.00", "**0.08±0.01**"),
                ("C+O & O", "0.13±0.02", "0.99±0.01"),
                ("O & O", "1.00±0.01", "0.11±0.04"),
            ),
            notes=(
                "Measured on fixed-position objects (observation O3, book/protocol.md).",
                "Pearson correlation: cifar 0.683, objects 0.940.",
            ),
        ),
        Table(
            "E-5a",
            "E-5",
            "img models (trained on op-img): ℓ2 ratio, mean ± std over 10 seeds × 18 transforms",
            "[NB]",
            source_line=269,
            columns=(
                "row",
                "op-img (in-distribution)",
                "os-img (other objects)",
                "rs-rand (far OOD)",
                "CIFAR-10",
                "CIFAR-100",
            ),
            rows=(
                ("Same", "**0.12±.07**", "**0.21±.10**", "**0.56±.16**", "**0.37±.19**", "**0.35±.17**"),
                ("Other", "0.40±.15", "0.41±.14", "0.69±.15", "0.51±.20", "0.50±.18"),
                ("None", "0.39±.15", "0.42±.15", "0.69±.16", "0.48±.22", "0.48±.20"),
            ),
        ),
        Table(
            "E-5b",
            "E-5",
            "rand models (trained on rp-rand): ℓ2 ratio, mean ± std over 10 seeds × 18 transforms",
            "[NB]",
            source_line=277,
            columns=(
                "row",
                "rp-rand (in-distribution)",
                "rs-rand (other random patterns)",
                "os-img (far OOD)",
                "CIFAR-10",
                "CIFAR-100",
            ),
            rows=(
                ("Same", "**0.12±.08**", "**0.44±.15**", "**0.24±.10**", "**0.40±.22**", "**0.37±.20**"),
                ("Other", "0.64±.16", "0.69±.16", "0.33±.11", "0.46±.21", "0.45±.20"),
                ("None", "0.65±.18", "0.70±.17", "0.35±.13", "0.49±.20", "0.47±.19"),
            ),
        ),
        Table(
            "E-5c",
            "E-5",
            "Cells of the full model-type × data-type matrix (means over seeds and transforms)",
            "[NB]",
            source_line=287,
            columns=("model type", "op-img", "op-rand", "rp-img", "rp-rand", "CIFAR-10"),
            rows=(
                ("img_target (Same)", "0.121", "0.141", "0.534", "0.564", "0.372"),
                ("img_base (None)", "0.392", "0.398", "0.672", "0.689", "0.482"),
            ),
        ),
        Table(
            "E-6",
            "E-6",
            "LP transfer accuracy; rows k = # training transforms, columns j = # transfer (target) transforms; mean over 10 seeds",
            "[FIG]",
            source_line=300,
            columns=("k \\ j", "1", "2", "3", "4", "5", "6", "7", "8"),
            rows=(
                ("1", "≈1", "0.989", "0.910", "0.766", "0.615", "0.448", "0.397", "0.276"),
                ("2", "≈1", "≈1", "0.961", "0.831", "0.671", "0.490", "0.419", "0.289"),
                ("3", "≈1", "≈1", "≈1", "0.910", "0.777", "0.595", "0.518", "0.373"),
                ("4", "≈1", "≈1", "≈1", "≈1", "0.953", "0.781", "0.682", "0.527"),
                ("5", "≈1", "≈1", "≈1", "≈1", "≈1", "0.884", "0.795", "0.624"),
                ("6", "≈1", "≈1", "≈1", "≈1", "≈1", "≈1", "0.926", "0.802"),
                ("7", "≈1", "≈1", "≈1", "≈1", "≈1", "≈1", "≈1", "0.877"),
                ("8", "0.995", "≈1", "≈1", "≈1", "≈1", "≈1", "≈1", "0.984"),
            ),
            notes=(
                '"≈1" = j ≤ k (the target set is a subset of the PT set): these lines overlap at ≈0.98–1.00 and are not individually readable. For k = 8 the line runs from 0.995 (j = 1) to 0.984 (j = 8).',
            ),
        ),
    )
}

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

_NUMBER = re.compile(r"\d+(?:\.\d+)?|\.\d+")


def number(cell: str) -> float | None:
    """The value a cell states (its first number; the lower end of a range), or None when hidden/empty.

    "≈1.00 ¹" -> 1.0, "0.53±0.05" -> 0.53, ".07" -> 0.07, "≈0.99–1.00 ¹" -> 0.99, "hidden (legend)" -> None.
    """
    text = cell.replace("**", "").replace("¹", "").strip()
    if not text or text.startswith("hidden"):
        return None
    m = _NUMBER.search(text)
    return float(m.group()) if m else None


def approximate(cell: str) -> bool:
    """True when the cell is an estimate ("≈"), not a read or printed value."""
    return "≈" in cell


def tables(experiment: str) -> list[Table]:
    """The reference tables of one experiment id ("E-1" … "E-6"), in file order."""
    return [t for t in TABLES.values() if t.experiment == experiment]


def claims(experiment: str | None = None) -> list[ClaimText]:
    """The headline claims, all or those of one experiment id."""
    return [c for c in CLAIMS.values() if experiment is None or experiment in c.experiments]
