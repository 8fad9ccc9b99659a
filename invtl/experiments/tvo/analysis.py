"""Analysis of E-1 / E-2 (`tvo`): tidy tables, seed means, the performance-differences panel, and the
checks of claims C1–C4.

Records come from `invtl.experiments.tvo` (one per seed, panel, value and transformation set). Each
record holds the pretrained model's accuracy on its own task ("training"), the linear-probe transfer
("lp", E-1) and LP→FT transfer ("ft", E-2) with the profile's FT sizes; in the FT-samples panel the
model is fine-tuned on the panel's own n.

Terms used here:

- *stage*: "training", "lp" or "ft". The E-2 view at FT size n (`ft_n`) reads `ft[n]` in the
  class-relationship, architecture and PT-samples panels and the panel's own n in the FT-samples panel
  (`protocol.md` E-2: "in the FT-samples category, each LP model is fine-tuned on its own n_FT").
- *complete seed* of a panel: a seed with both transformation sets at every value of the panel that the
  records hold. Seed means, intervals and checks use only complete seeds, so every point of a panel
  rests on the same seeds (a run in progress leaves partial seeds, which are reported, not averaged).
- *metric*: "test_accuracy" (clean test split, the invtl default) or "pooled_accuracy" (train + val +
  test pooled, the original's number: bug B1).

The checks return (ours, verdict) like `invtl.claims.check_c8`; their precise tests are `TESTS`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from invtl import paper
from invtl.stats import ci95
from invtl.verdict import Evidence, learned_bar, missing_seeds

PANELS = ("class_relationship", "architecture", "pt_samples", "ft_samples")
DIFF_PANELS = ("class_relationship", "architecture", "pt_samples")
"""The panels of the performance-differences summary (FT samples omitted, as in the paper)."""
TSETS = ("same", "disjoint")
PANEL_LABEL = {"class_relationship": "class relationship", "architecture": "architecture",
               "pt_samples": "PT samples", "ft_samples": "FT samples"}
CLASS_ORDER = ("subset", "disjoint", "same", "superset")
ARCH_ORDER = ("resnet18", "resnet50", "densenet121", "vgg11", "vit")
ARCH_LABEL = {"resnet18": "ResNet-18", "resnet50": "ResNet-50", "densenet121": "DenseNet-121", "vgg11": "VGG-11",
              "vit": "ViT"}
PAPER_TABLE_PANEL = {"Class relationship": "class_relationship", "Architecture": "architecture",
                     "PT samples": "pt_samples", "FT samples (LP size)": "ft_samples", "FT samples": "ft_samples"}

C2_ABOUT = 2.0
"""C2: the class-relationship range is "about the size of" the same − disjoint gap when neither is more than
this factor larger than the other (the paper's own 0.15 against 0.12 is 1.25x)."""
C3_TOLERANCE = 0.01
"""C3: same with the fewest FT samples "matches" disjoint with the most when it is at most this much lower
(the paper's own numbers are 0.820 vs 0.823; its figure values are ±0.01)."""


# --- tidy tables -----------------------------------------------------------------------------------

def tidy(records: list[dict]) -> list[dict]:
    """One row per (record, stage, transfer size): panel, value, transform_set, seed, stage ("training",
    "lp", "ft"), n (transfer sample count; None for training), test_accuracy, pooled_accuracy, and the
    record's arch, pt_transforms, target_transforms."""
    rows = []
    for r in records:
        c, res = r["config"], r["result"]
        base = dict(panel=c["panel"], value=c["value"], transform_set=c["transform_set"], seed=c["seed"],
                    arch=res.get("arch"), pt_transforms=tuple(res.get("pt_transforms", ())),
                    target_transforms=tuple(res.get("target_transforms", ())))
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


def _order(panel: str, values) -> list:
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


def panel_data(records: list[dict], panel: str, stage: str = "lp", ft_n: int | None = None,
               metric: str = "test_accuracy") -> PanelData | None:
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
    values = _order(panel, {k[1] for k in cells})
    all_seeds = sorted({k[0] for k in cells})
    seeds = [s for s in all_seeds if all((s, v, t) in cells for v in values for t in TSETS)]
    if not seeds:
        return None
    acc = {t: np.array([[cells[(s, v, t)] for v in values] for s in seeds]) for t in TSETS}
    return PanelData(panel, stage, ft_n, metric, values, seeds, [s for s in all_seeds if s not in seeds], acc)


def seed_means(records: list[dict], stage: str = "lp", ft_n: int | None = None, metric: str = "test_accuracy") -> list[dict]:
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
                rows.append(dict(panel=panel, value=v, transform_set=t, mean=float(m[i]), ci95=float(h[i]),
                                 n_seeds=len(d.seeds)))
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
    return Differences(d.panel, float(j.min()), float(j.max()), float(j.mean()), float(s.min()), float(s.max()),
                       float(s.mean()), d.seeds, d.partial_seeds)


def differences(records: list[dict], stage: str = "lp", ft_n: int | None = None, metric: str = "test_accuracy",
                panels=DIFF_PANELS) -> dict[str, Differences]:
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


def paper_records(table_id: str = "E-1a", seeds=(0, 1), hidden: float = 0.997, noise: float = 0.0,
                  ft_n: int = 200) -> list[dict]:
    """Synthetic tvo records whose seed means are the paper's table (hidden cells set to `hidden`): LP values
    from E-1a, or FT values at `ft_n` from E-2a. For tests and for checking that the checks hold on the paper's
    own numbers."""
    values = {"class_relationship": list(CLASS_ORDER), "architecture": list(ARCH_ORDER),
              "pt_samples": [1_000, 10_000, 50_000, 100_000, 500_000], "ft_samples": [50, 200, 500, 2_000, 5_000]}
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
                    out.append({"config": {"panel": panel, "value": v, "transform_set": t, "seed": s, "n_lp": 50_000},
                                "result": {"arch": "resnet18", "training": {"test_accuracy": 1.0, "pooled_accuracy": 1.0},
                                           "lp": acc, "ft": {ft_key: acc}, "pt_transforms": [], "target_transforms": []},
                                "provenance": {}})
    return out


# --- checks of C1–C4 -----------------------------------------------------------------------------------

# --- checks of C1–C4 -----------------------------------------------------------------------------------

def _pt_classes(r: dict) -> int:
    """Number of classes of a record's pretraining task."""
    chance = r["result"].get("chance", {}).get("pretraining")
    if chance:
        return round(1 / chance)
    n = r["config"].get("num_target", 30)
    relation = {"class_relationship": r["config"]["value"], "ft_samples": "same"}.get(r["config"]["panel"], "disjoint")
    return {"subset": max(2, round(n / 3)), "superset": 2 * n}.get(relation, n)


def unlearned(records: list[dict], panel: str) -> dict[object, list[str]]:
    """value -> the pretrained models of the panel's point that did not learn (held-out accuracy on their own
    task under `learned_bar`), as "<tset> seed <s>: <acc>"."""
    out: dict[object, list[str]] = {}
    for r in records:
        c = r["config"]
        if c["panel"] != panel:
            continue
        acc = r["result"]["training"]["test_accuracy"]
        if acc < learned_bar(_pt_classes(r)):
            out.setdefault(c["value"], []).append(f"{c['transform_set']} seed {c['seed']}: {acc:.2f}")
    return out


def learned_panel(records: list[dict], panel: str, stage: str, ft_n: int | None, ev: Evidence,
                  seeds: list[int] | None, label: str = "") -> PanelData | None:
    """The panel's data restricted to points whose pretrained models all learned; records the missing panel
    or seeds and the models that did not learn in `ev`."""
    d = panel_data(records, panel, stage, ft_n)
    name = f"{label}{PANEL_LABEL[panel]} panel"
    if d is None:
        ev.missing.append(name)
        return None
    ev.missing += missing_seeds(seeds, d.seeds, name)
    ev.seeds += d.seeds
    bad = unlearned([r for r in records if r["config"]["seed"] in d.seeds], panel)
    for v, models in bad.items():
        ev.untestable.append(f"{label}{PANEL_LABEL[panel]} {value_label(panel, v)} ({'; '.join(models)})")
    keep = [i for i, v in enumerate(d.values) if v not in bad]
    if not keep:
        return None
    d.values = [d.values[i] for i in keep]
    d.acc = {t: a[:, keep] for t, a in d.acc.items()}
    return d


def expected_values(panel: str, values: list) -> list:
    """The values a panel must have for a claim to rest on all of it (architecture: the paper's five)."""
    return list(ARCH_ORDER) if panel == "architecture" else values


C1_TEST = (
    "E-1, linear probe, seed means of the clean test accuracy, over each panel's complete seeds and the points "
    "whose pretrained models learned. (a) In each of the class-relationship, architecture and PT-samples panels "
    "the difference of means same − disjoint is positive; (b) in the architecture and PT-samples panels it is "
    "larger than the range (max − min over the panel's values) of the disjoint-transform means; (c) in all three "
    "panels it is larger than the range of the same-transform means; (d) same-transform PT with the fewest PT "
    "samples is more accurate than disjoint-transform PT with the most. Needs all three panels, the five "
    "architectures and the profile's seeds to hold."
)


def check_c1(records: list[dict], seeds: list[int] | None = None) -> tuple[str, str]:
    ev = Evidence()
    for p in DIFF_PANELS:
        d = learned_panel(records, p, "lp", None, ev, seeds)
        if d is None:
            continue
        if p == "architecture" and set(d.values) != set(ARCH_ORDER):
            ev.missing.append("architectures " + ", ".join(ARCH_LABEL[a] for a in ARCH_ORDER if a not in d.values))
        diff = differences_of(d)
        ev.test(f"(a) {PANEL_LABEL[p]}", diff.difference > 0)
        ev.test(f"(c) {PANEL_LABEL[p]}", diff.difference > diff.same_range)
        text = f"{PANEL_LABEL[p]}: same − disjoint {diff.difference:+.3f}, same range {diff.same_range:.3f}"
        if p != "class_relationship":
            ev.test(f"(b) {PANEL_LABEL[p]}", diff.difference > diff.disjoint_range)
            text += f", disjoint range {diff.disjoint_range:.3f}"
        ev.lines.append(text)
        if p == "pt_samples" and len(d.values) > 1:
            s_lo, j_hi = float(d.mean("same")[0]), float(d.mean("disjoint")[-1])
            ev.test("(d)", s_lo > j_hi, f"same @ {value_label(p, d.values[0])} PT {s_lo:.3f} vs disjoint @ "
                    f"{value_label(p, d.values[-1])} {j_hi:.3f}")
    return ev.result()


C2_TEST = (
    "E-1, linear probe, seed means of the clean test accuracy (complete seeds, learned models). Class "
    "relationship: (a) moving the PT classes from subset to superset raises disjoint-transform transfer; (b) the "
    "range of the disjoint-transform means over subset / disjoint / same / superset is \"about the size of\" the "
    f"panel's same − disjoint gap: neither is more than {C2_ABOUT:g}x the other; (c) it is the largest "
    "disjoint-transform range of the three factors (class relationship, architecture, PT samples: \"the only "
    "factor of comparable size\"); (d) same-transform PT on the subset classes beats disjoint-transform PT with "
    "every class relationship. Needs the three panels and the profile's seeds to hold."
)


def check_c2(records: list[dict], seeds: list[int] | None = None) -> tuple[str, str]:
    ev = Evidence()
    cr = learned_panel(records, "class_relationship", "lp", None, ev, seeds)
    ranges = {}
    for p in ("architecture", "pt_samples"):
        d = learned_panel(records, p, "lp", None, ev, seeds)
        if d is not None:
            ranges[p] = differences_of(d).disjoint_range
    if cr is None or not {"subset", "superset"} <= set(cr.values):
        if cr is not None:
            ev.untestable.append("class relationship subset or superset")
        return ev.result()
    d = differences_of(cr)
    j = dict(zip(cr.values, cr.mean("disjoint")))
    ev.test("(a)", j["superset"] > j["subset"], f"disjoint: subset {j['subset']:.3f} → superset {j['superset']:.3f}")
    ratio = d.disjoint_range / d.difference if d.difference > 0 else float("inf")
    ev.test("(b)", d.difference > 0 and 1 / C2_ABOUT <= ratio <= C2_ABOUT,
            f"disjoint range {d.disjoint_range:.3f} vs gap {d.difference:.3f} ({ratio:.2f}x)")
    if ranges:
        ev.test("(c)", all(d.disjoint_range > r for r in ranges.values()),
                "other disjoint ranges " + ", ".join(f"{PANEL_LABEL[p]} {r:.3f}" for p, r in ranges.items()))
    s_sub = float(cr.mean("same")[cr.values.index("subset")])
    ev.test("(d)", s_sub > max(j.values()), f"same @ subset {s_sub:.3f} vs best disjoint {max(j.values()):.3f}")
    return ev.result()


C3_TEST = (
    "E-1, FT-samples panel (PT on the target classes, linear probe on n target samples), seed means of the clean "
    "test accuracy: same-transform PT with the smallest n is at least as accurate as disjoint-transform PT with the "
    f"largest n, up to {C3_TOLERANCE} (\"matches\": the paper's own numbers are 0.820 vs 0.823). Untestable when a "
    "compared pretrained model did not learn, or when either compared accuracy is under twice the target's chance "
    "(two chance-level numbers match trivially)."
)


def check_c3(records: list[dict], seeds: list[int] | None = None) -> tuple[str, str]:
    ev = Evidence()
    d = learned_panel(records, "ft_samples", "lp", None, ev, seeds)
    if d is None or len(d.values) < 2:
        return ev.result()
    s_lo, j_hi = float(d.mean("same")[0]), float(d.mean("disjoint")[-1])
    num_target = next(r["config"].get("num_target", 30) for r in records)
    bar = learned_bar(num_target)
    if min(s_lo, j_hi) < bar:
        ev.untestable.append(f"transfer at chance level (same @ {value_label('ft_samples', d.values[0])} {s_lo:.3f}, "
                             f"disjoint @ {value_label('ft_samples', d.values[-1])} {j_hi:.3f}; bar {bar:.2f})")
        return ev.result()
    ratio = d.values[-1] / d.values[0]
    ev.test("same @ fewest ≥ disjoint @ most", s_lo >= j_hi - C3_TOLERANCE,
            f"same @ {value_label('ft_samples', d.values[0])} LP samples {s_lo:.3f} vs disjoint @ "
            f"{value_label('ft_samples', d.values[-1])} {j_hi:.3f} ({ratio:.0f}x fewer samples)")
    return ev.result()


C4_TEST = (
    "E-2, LP→FT on the profile's smallest FT size (200 samples in the paper; the FT-samples panel fine-tunes on its "
    "own n), seed means of the clean test accuracy over complete seeds and learned models: (a) same > disjoint at "
    "every point of every panel; (b) the difference of means same − disjoint is positive in the class-relationship, "
    "architecture and PT-samples panels. Needs the four panels and the profile's seeds to hold."
)


def check_c4(records: list[dict], seeds: list[int] | None = None) -> tuple[str, str]:
    ev = Evidence()
    sizes = ft_sizes(records)
    n = sizes[0] if sizes else None
    for p in PANELS:
        d = learned_panel(records, p, "ft", n, ev, seeds)
        if d is None:
            continue
        gaps = d.mean("same") - d.mean("disjoint")
        i = int(np.argmin(gaps))
        ev.test(f"(a) {PANEL_LABEL[p]}", bool((gaps > 0).all()),
                f"{PANEL_LABEL[p]}: smallest point gap {gaps[i]:+.3f} ({value_label(p, d.values[i])})")
        if p in DIFF_PANELS:
            diff = differences_of(d).difference
            ev.test(f"(b) {PANEL_LABEL[p]}", diff > 0, f"difference of means {diff:+.3f}")
    if n is not None:
        ev.lines.insert(0, f"FT on {n} samples")
    return ev.result()


CHECKS = {"C1": check_c1, "C2": check_c2, "C3": check_c3, "C4": check_c4}
TESTS = {"C1": C1_TEST, "C2": C2_TEST, "C3": C3_TEST, "C4": C4_TEST}


def paper_claim_records() -> list[dict]:
    """Synthetic records whose seed means are the paper's E-1a (LP) and E-2a (LP→FT on 200) tables: what
    `invtl claims --on-paper` checks C1-C4 against."""
    lp = paper_records("E-1a")
    ft = {(r["config"]["panel"], r["config"]["value"], r["config"]["transform_set"], r["config"]["seed"]): r["result"]["ft"]
          for r in paper_records("E-2a")}
    for r in lp:
        c = r["config"]
        r["result"]["ft"] = ft.get((c["panel"], c["value"], c["transform_set"], c["seed"]), {})
    return lp
