"""The landing page's scale discussion: the rules that read a failing claim as scale, noise or a non-reproduction."""

from __future__ import annotations

from invtl.book import scale
from invtl.experiments.cifar_tvo import scale as cifar_scale
from invtl.experiments.it import scale as it_scale
from invtl.experiments.tm import analysis as tm
from invtl.experiments.tvo import scale as tvo_scale
from invtl.experiments.tvo.analysis import paper_records


def _records(fit: dict[int, float], drop_at_k8: float) -> list[dict]:
    """Synthetic E-6 records (n = 8, two seeds): perfect subsets, except row k = 8 losing `drop_at_k8` on j <= 8."""
    out = []
    for s in (0, 1):
        for k in range(1, 9):
            transfer = [
                {"j": j, "test_accuracy": (1.0 if j <= k else 0.5) - (drop_at_k8 if k == 8 else 0.0)}
                for j in range(1, 9)
            ]
            out.append(
                {
                    "config": {"arch": "resnet18", "seed": s, "k": k, "num_transforms": 8},
                    "result": {
                        "pretraining": {"test_accuracy": fit[k], "train_accuracy": fit[k]},
                        "transfer": transfer,
                    },
                }
            )
    return out


def test_c8_breaks_on_underfit_rows_read_as_scale():
    fit = {k: 1.0 for k in range(1, 8)} | {8: 0.78}
    lines, reading = tm.scale_evidence(_records(fit, 0.08))
    assert reading == "scale" and "k = 8 (worst drop +0.080)" in lines


def test_c8_breaks_on_a_fitted_row_read_as_non_reproduction():
    fit = {k: 1.0 for k in range(1, 9)}
    assert tm.scale_evidence(_records(fit, 0.08))[1] == "non-reproduction"


def test_c8_without_a_broken_subset_cell_is_open():
    fit = {k: 1.0 for k in range(1, 9)}
    lines, reading = tm.scale_evidence(_records(fit, 0.0))
    assert reading == "open" and "no row breaks (a)" in lines


def test_generic_readings_follow_the_verdict_text():
    assert "missing parts" in scale._generic("partial", "x. Not run: CIFAR-100 (no results)")
    assert "twice chance" in scale._generic("untestable", "nothing measured. Did not learn (under the bar): k = 1")
    assert scale._generic("not run", "no results").startswith("**Not run.**")


def _it_records(other_minus_none: list[float]) -> list[dict]:
    """Synthetic E-5 rand-group records on os-img, one seed per entry: Same 0.1, None 0.6, Other 0.6 + the gap."""
    out = []
    for seed, gap in enumerate(other_minus_none):
        for model in ("none", "rotate", "hue"):
            scores = {}
            for target in ("rotate", "hue"):
                value = 0.6 if model == "none" else 0.1 if model == target else 0.6 + gap
                scores[target] = {"l2": value}
            out.append(
                {
                    "config": {"arch": "resnet18", "seed": seed, "group": "rand", "train_transform": model},
                    "result": {"scores": {"os-img": scores}, "training": {"test_accuracy": 0.9}},
                }
            )
    return out


def test_c7_gap_whose_interval_reaches_the_tolerance_reads_as_noise():
    lines, reading = it_scale.scale_evidence(_it_records([-0.01, -0.02, -0.12]))
    assert reading == "noise" and "(b) Other − None = -0.050" in lines and "within reach" in lines


def test_c7_gap_wholly_outside_the_tolerance_is_a_non_reproduction():
    lines, reading = it_scale.scale_evidence(_it_records([-0.10, -0.11, -0.12]))
    assert reading == "non-reproduction" and "wholly outside" in lines


def test_c7_within_the_statement_is_open():
    assert it_scale.scale_evidence(_it_records([0.0, 0.01, -0.01])) == ("", "open")


def _tvo_records(vit_fit: float) -> list[dict]:
    """The paper's E-1a as records, except that ViT with disjoint transforms transfers at 0.5 (the disjoint
    architecture range then exceeds the gap: C1 (b) breaks) and its pretrained model reaches `vit_fit`."""
    records = paper_records("E-1a")
    for r in records:
        c = r["config"]
        if (c["panel"], c["value"], c["transform_set"]) == ("architecture", "vit", "disjoint"):
            r["result"]["lp"]["test_accuracy"] = 0.5
            r["result"]["training"]["test_accuracy"] = vit_fit
    return records


def test_c1_broken_by_an_underfit_model_reads_as_scale():
    lines, reading = tvo_scale.scale_evidence_of("C1")(_tvo_records(vit_fit=0.6))
    assert reading == "scale"
    assert "architecture ViT: pretraining held-out accuracy same 1.000, disjoint 0.600; outside" in lines
    assert "(b) architecture holds" in lines


def test_c1_broken_by_a_fitted_model_reads_as_non_reproduction():
    lines, reading = tvo_scale.scale_evidence_of("C1")(_tvo_records(vit_fit=0.95))
    assert reading == "non-reproduction" and "(b) architecture still fails" in lines


def test_c1_on_the_paper_has_nothing_broken():
    assert tvo_scale.scale_evidence_of("C1")(paper_records("E-1a")) == ("", "open")


def test_pt_sets_under_the_papers_smallest_are_outside_its_regime_and_a_lone_point_tests_no_range():
    records = paper_records("E-1a")
    for r in records:
        if r["config"]["panel"] == "pt_samples" and r["config"]["value"] != 1_000:
            r["config"]["value"] = 500  # every point but one is under the paper's smallest set
    points = tvo_scale.regime(records)
    assert points[("pt_samples", 500)][1].startswith("500 PT samples, fewer than")
    assert points[("pt_samples", 1_000)][1] is None
    kept = tvo_scale.in_regime(records, points)
    assert {r["config"]["value"] for r in kept if r["config"]["panel"] == "pt_samples"} == {1_000}
    tested = tvo_scale.EVIDENCE["C1"](kept).tested
    assert "(a) PT samples" in tested and "(b) PT samples" not in tested and "(c) PT samples" not in tested


def test_c4_broken_at_a_lone_fitted_point_reads_as_non_reproduction():
    """A comparison at each point needs only one point in the regime: ViT fitted and losing with the same
    transformations, every other architecture under the fit bar, is a non-reproduction, not open."""
    from invtl.experiments.tvo.checks import paper_claim_records

    records = paper_claim_records()
    for r in records:
        c = r["config"]
        if c["panel"] == "architecture":
            vit = c["value"] == "vit"
            r["result"]["training"]["test_accuracy"] = 0.95 if vit else 0.5
            if vit and c["transform_set"] == "same":
                r["result"]["ft"] = {n: {**v, "test_accuracy": 0.1} for n, v in r["result"]["ft"].items()}
    lines, reading = tvo_scale.scale_evidence_of("C4")(records)
    assert "(a) architecture still fails" in lines and "architecture 1 of 5" in lines
    assert reading == "non-reproduction"


def test_a_broken_part_the_regime_cannot_test_reads_untested():
    """C2 (c) broken by a wide PT-samples range, with the superset model outside the regime: C2's class-relationship
    parts need the superset, so the rule cannot decide."""
    records = paper_records("E-1a")
    for r in records:
        c = r["config"]
        if (c["panel"], c["value"], c["transform_set"]) == ("pt_samples", 1_000, "disjoint"):
            r["result"]["lp"]["test_accuracy"] = 0.3
        if (c["panel"], c["value"]) == ("class_relationship", "superset"):
            r["result"]["training"]["test_accuracy"] = 0.5
    lines, reading = tvo_scale.scale_evidence_of("C2")(records)
    assert reading == "untested" and "(c) not testable" in lines
    assert scale.READINGS[reading].startswith("**Reading: open.** The stated rule cannot decide")


def _cifar_records(arch_fit: dict[str, tuple[float, float]], vit_disjoint: float | None = None) -> list[dict]:
    """The paper's E-3a and E-3b as records; the architecture panel's pretrained models reach (held-out, training
    split) `arch_fit[arch]` (default fitted), and CIFAR-10 ViT with disjoint transformations optionally transfers at
    `vit_disjoint` (0.0 widens the gap of means past the same-transform range: C5 (b) breaks)."""
    from invtl.experiments.cifar_tvo.analysis import paper_claim_records

    records = paper_claim_records()
    for r in records:
        c = r["config"]
        if c["dataset"] == "cifar10" and c["panel"] == "architecture":
            held_out, train = arch_fit.get(c["value"], (1.0, 1.0))
            r["result"]["training"] = {"test_accuracy": held_out, "train_accuracy": train}
            if vit_disjoint is not None and (c["value"], c["transform_set"]) == ("vit", "disjoint"):
                r["result"]["lp"] = {"test_accuracy": vit_disjoint, "pooled_accuracy": vit_disjoint}
    return records


def test_c5_on_the_paper_has_nothing_broken():
    assert cifar_scale.scale_evidence(_cifar_records({})) == ("", "open")


def test_c5_broken_by_an_underfit_model_reads_as_scale_on_both_splits():
    lines, reading = cifar_scale.scale_evidence(_cifar_records({"vit": (0.5, 0.55)}, vit_disjoint=0.0))
    assert reading == "scale"
    assert "CIFAR-10 architecture ViT: pretraining held-out accuracy same 0.500, disjoint 0.500; outside" in lines
    assert lines.count("(b) CIFAR-10 architecture holds") == 2


def test_c5_broken_by_fitted_models_reads_as_non_reproduction():
    lines, reading = cifar_scale.scale_evidence(_cifar_records({}, vit_disjoint=0.0))
    assert reading == "non-reproduction" and "(b) CIFAR-10 architecture still fails" in lines


def test_c5_with_a_lone_fitted_architecture_tests_no_range():
    under = {a: (0.5, 0.5) for a in ("resnet18", "resnet50", "densenet121", "vgg11")}
    lines, reading = cifar_scale.scale_evidence(_cifar_records(under, vit_disjoint=0.0))
    assert reading == "untested" and "architecture 1 of 5" in lines
    assert "(b) CIFAR-10 architecture not testable" in lines


def test_c5_whose_splits_disagree_reads_split():
    """Models that memorised their PT set (training split fitted, held-out not): the two readings of the paper's
    bar differ, so the rule gives no reading."""
    memorised = {a: (0.5, 0.99) for a in ("resnet18", "resnet50", "densenet121", "vgg11", "vit")}
    lines, reading = cifar_scale.scale_evidence(_cifar_records(memorised, vit_disjoint=0.0))
    assert reading == "split" and "(reading: untested)" in lines and "(reading: non-reproduction)" in lines
    assert scale.READINGS[reading].startswith("**Reading: open.**")
