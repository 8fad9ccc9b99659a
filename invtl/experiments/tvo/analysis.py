"""Analysis of E-1 / E-2 (`tvo`): tidy tables, seed means, the performance-differences panel, and the
checks of claims C1–C4.

Records come from `invtl.experiments.tvo` (one per seed, panel, value and transformation set). Each
record holds the pretrained model's accuracy on its own task ("training"), the linear-probe transfer
("lp", E-1) and LP→FT transfer ("ft", E-2) with the profile's FT sizes; in the FT-samples panel the
model is fine-tuned on the panel's own n.

Terms used here:

- *stage*: "training", "lp" or "ft". The E-2 view at FT size n (`ft_n`) reads `ft[n]` in the
  class-relationship, architecture and PT-samples panels and the panel's own n in the FT-samples panel
  (book/protocol.md, E-2: "in the FT-samples category, each LP model is fine-tuned on its own n_FT").
- *complete seed* of a panel: a seed with both transformation sets at every value of the panel that the
  records hold. Seed means, intervals and checks use only complete seeds, so every point of a panel
  rests on the same seeds (a run in progress leaves partial seeds, which are reported, not averaged).
- *metric*: "test_accuracy" (clean test split, the invtl default) or "pooled_accuracy" (train + val +
  test pooled, the original's number: bug B1).

The checks of claims C1-C4 are in `invtl.experiments.tvo.checks`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from invtl import paper
from invtl.stats import ci95

PANELS = ("class_relationship", "architecture", "pt_samples", "ft_samples")
DIFF_PANELS = ("class_relationship", "architecture", "pt_samples")
"""The panels of the performance-differences summary (FT samples omitted, as in the paper)."""
TSETS = ("same", "disjoint")
PANEL_LABEL = {
    "class_relationship": "class relationship",
    "architecture": "architecture",
    "pt_samples": "PT samples",
    "ft_samples": "FT samples",
}
CLASS_ORDER = ("subset", "disjoint", "same", "superset")
ARCH_ORDER = ("resnet18", "resnet50", "densenet121", "vgg11", "vit")
ARCH_LABEL = {
    "resnet18": "ResNet-18",
    "resnet50": "ResNet-50",
    "densenet121": "DenseNet-121",
    "vgg11": "VGG-11",
    "vit": "ViT",
}
PAPER_TABLE_PANEL = {
    "Class relationship": "class_relationship",
    "Architecture": "architecture",
    "PT samples": "pt_samples",
    "FT samples (LP size)": "ft_samples",
    "FT samples": "ft_samples",
}


# --- tidy tables -----------------------------------------------------------------------------------


def tidy(records: list[dict]) -> list[dict]:
    """One row per (record, stage, transfer size): panel, value, transform_set, seed, stage ("training",
    "lp", "ft"), n (transfer sample count; None for training), test_accuracy, pooled_accuracy, and the
    record's arch, pt_transforms, target_transforms."""
    rows = []
    for r in records:
        c, res = r["config"], r["result"]
        base = dict(
            panel=c["panel"],
            value=c["value"],
            transform_set=c["transform_set"],
            seed=c["seed"],
            arch=res.get("arch"),
            pt_transforms=tuple(res.get("pt_transforms", ())),
            target_transforms=tuple(res.get("target_transforms", ())),
        )
        n_lp = c["value"] if c["panel"] == "ft_samples" else c.get("n_lp")
        rows.append(dict(base, stage="training", n=None, **_acc(res["training"])))
        rows.append(dict(base, stage="lp", n=n_lp, **_acc(res["lp"])))
        for n, acc in res.get("ft", {}).items():
            rows.append(dict(base, stage="ft", n=int(n), **_acc(acc)))
    return rows


def _acc(d: dict) -> dict:
    return {"test_accuracy": float(d["test_accuracy"]), "pooled_accuracy": float(d.get("pooled_accuracy", np.nan))}


def ft_sizes(records: list[dict]) -> list[int]:
    """The FT sizes of the class-relationship / architecture / PT-samples panels (E-2: 200 and 2 000 in the
    paper), ascending."""
    return sorted({int(n) for r in records if r["config"]["panel"] != "ft_samples" for n in r["result"].get("ft", {})})


def panel_order(panel: str, values) -> list:
    """The values of `panel` in the paper's order (class relationships, architectures), else sorted."""
    values = set(values)
    if panel == "class_relationship":
        return [v for v in CLASS_ORDER if v in values] + sorted(v for v in values if v not in CLASS_ORDER)
    if panel == "architecture":
        return [v for v in ARCH_ORDER if v in values] + sorted(v for v in values if v not in ARCH_ORDER)
    return sorted(values)


def value_label(panel: str, value) -> str:
    if panel == "architecture":
        return ARCH_LABEL.get(value, str(value))
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}".replace(",", " ")
    if isinstance(value, float) and 0 < value <= 1:  # a fraction per class (E-3)
        return f"{100 * value:g} %"
    return str(value)


def _pick(r: dict, stage: str, ft_n: int | None, metric: str) -> float | None:
    res, panel = r["result"], r["config"]["panel"]
    if stage in ("training", "lp"):
        return float(res[stage][metric])
    key = str(r["config"]["value"]) if panel == "ft_samples" else str(ft_n)
    acc = res.get("ft", {}).get(key)
    return None if acc is None else float(acc[metric])


@dataclass
class PanelData:
    """Per-seed accuracies of one panel and stage: acc[tset] has shape (seeds, values)."""

    panel: str
    stage: str
    ft_n: int | None
    metric: str
    values: list
    seeds: list[int]
    partial_seeds: list[int]
    acc: dict

    def mean(self, tset: str) -> np.ndarray:
        return self.acc[tset].mean(axis=0)

    def ci(self, tset: str) -> np.ndarray:
        return ci95(self.acc[tset])


def panel_data(
    records: list[dict], panel: str, stage: str = "lp", ft_n: int | None = None, metric: str = "test_accuracy"
) -> PanelData | None:
    """Accuracies of a panel at `stage` over its complete seeds, or None when no seed is complete."""
    cells: dict[tuple, float] = {}
    for r in records:
        c = r["config"]
        if c["panel"] != panel:
            continue
        v = _pick(r, stage, ft_n, metric)
        if v is not None:
            cells[(c["seed"], c["value"], c["transform_set"])] = v
    if not cells:
        return None
    values = panel_order(panel, {k[1] for k in cells})
    all_seeds = sorted({k[0] for k in cells})
    seeds = [s for s in all_seeds if all((s, v, t) in cells for v in values for t in TSETS)]
    if not seeds:
        return None
    acc = {t: np.array([[cells[(s, v, t)] for v in values] for s in seeds]) for t in TSETS}
    return PanelData(panel, stage, ft_n, metric, values, seeds, [s for s in all_seeds if s not in seeds], acc)


def stored_results(records: list[dict], panel: str) -> int:
    """How many of `records` belong to `panel`: what a panel without a complete seed has so far."""
    return sum(r["config"]["panel"] == panel for r in records)


def seed_means(
    records: list[dict], stage: str = "lp", ft_n: int | None = None, metric: str = "test_accuracy"
) -> list[dict]:
    """One row per (panel, value, transform_set): mean over the panel's complete seeds, 95 % half-width
    (NaN for one seed), number of seeds."""
    rows = []
    for panel in PANELS:
        d = panel_data(records, panel, stage, ft_n, metric)
        if d is None:
            continue
        for t in TSETS:
            m, h = d.mean(t), d.ci(t)
            for i, v in enumerate(d.values):
                rows.append(
                    dict(
                        panel=panel, value=v, transform_set=t, mean=float(m[i]), ci95=float(h[i]), n_seeds=len(d.seeds)
                    )
                )
    return rows


# --- performance differences -------------------------------------------------------------------------


@dataclass
class Differences:
    """The performance-differences quantities of one panel (on seed means across the panel's values)."""

    panel: str
    disjoint_min: float
    disjoint_max: float
    disjoint_mean: float
    same_min: float
    same_max: float
    same_mean: float
    seeds: list[int]
    partial_seeds: list[int]

    @property
    def disjoint_range(self) -> float:
        return self.disjoint_max - self.disjoint_min

    @property
    def same_range(self) -> float:
        return self.same_max - self.same_min

    @property
    def difference(self) -> float:
        """Difference of means, same − disjoint."""
        return self.same_mean - self.disjoint_mean


def differences_of(d: PanelData) -> Differences:
    s, j = d.mean("same"), d.mean("disjoint")
    return Differences(
        d.panel,
        float(j.min()),
        float(j.max()),
        float(j.mean()),
        float(s.min()),
        float(s.max()),
        float(s.mean()),
        d.seeds,
        d.partial_seeds,
    )


def differences(
    records: list[dict], stage: str = "lp", ft_n: int | None = None, metric: str = "test_accuracy", panels=DIFF_PANELS
) -> dict[str, Differences]:
    """panel -> Differences, for the panels with a complete seed."""
    out = {}
    for p in panels:
        d = panel_data(records, p, stage, ft_n, metric)
        if d is not None:
            out[p] = differences_of(d)
    return out


# --- the paper's numbers -----------------------------------------------------------------------------


def paper_points(table_id: str) -> dict[str, list[tuple[str, float | None, float | None, str, str]]]:
    """panel -> [(x label, same, disjoint, same cell, disjoint cell)] of an E-1a / E-2a reference table."""
    out: dict[str, list] = {}
    panel = None
    for row in paper.TABLES[table_id].rows:
        if row[0]:
            panel = PAPER_TABLE_PANEL[row[0]]
        out.setdefault(panel, []).append((row[1], paper.number(row[2]), paper.number(row[3]), row[2], row[3]))
    return out


def paper_records(
    table_id: str = "E-1a", seeds=(0, 1), hidden: float = 0.997, noise: float = 0.0, ft_n: int = 200
) -> list[dict]:
    """Synthetic tvo records whose seed means are the paper's table (hidden cells set to `hidden`): LP values
    from E-1a, or FT values at `ft_n` from E-2a. For tests and for checking that the checks hold on the paper's
    own numbers."""
    values = {
        "class_relationship": list(CLASS_ORDER),
        "architecture": list(ARCH_ORDER),
        "pt_samples": [1_000, 10_000, 50_000, 100_000, 500_000],
        "ft_samples": [50, 200, 500, 2_000, 5_000],
    }
    out = []
    for panel, points in paper_points(table_id).items():
        vals = values[panel] if panel != "ft_samples" else [int(p[0].replace(" ", "")) for p in points]
        for v, (_, same, disj, _, _) in zip(vals, points):
            for t, a in (("same", same), ("disjoint", disj)):
                a = hidden if a is None else a
                for i, s in enumerate(seeds):
                    x = float(a + (noise * (1 if i % 2 else -1) if len(seeds) > 1 else 0.0))
                    acc = {"test_accuracy": x, "pooled_accuracy": x}
                    ft_key = str(v) if panel == "ft_samples" else str(ft_n)
                    out.append(
                        {
                            "config": {"panel": panel, "value": v, "transform_set": t, "seed": s, "n_lp": 50_000},
                            "result": {
                                "arch": "resnet18",
                                "training": {"test_accuracy": 1.0, "pooled_accuracy": 1.0},
                                "lp": acc,
                                "ft": {ft_key: acc},
                                "pt_transforms": [],
                                "target_transforms": [],
                            },
                            "provenance": {},
                        }
                    )
    return out
