"""Claims C1-C8: every check holds on the paper's own numbers and fails on a table that breaks its statement;
missing parts give "partial", models that did not learn "untestable", and nothing holds on either."""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest

from invtl import claims, stats
from invtl.cli import main
from invtl.verdict import Evidence, learned_bar

PAPER = {cid: claims.PAPER_RECORDS[exp]() for cid, (_, exp) in claims.EXPERIMENT_OF.items()}
SEEDS = [0, 1]


def verdict(cid: str, records: list[dict], seeds=SEEDS) -> tuple[str, str]:
    return claims.CHECKS[cid](records, seeds)


def records(cid: str) -> list[dict]:
    return copy.deepcopy(PAPER[cid])


def where(recs: list[dict], **config) -> list[dict]:
    return [r for r in recs if all(r["config"].get(k) == v for k, v in config.items())]


def set_lp(recs, acc, **config):
    for r in where(recs, **config):
        r["result"]["lp"] = {"test_accuracy": acc, "pooled_accuracy": acc}


# --- the paper's own numbers -----------------------------------------------------------------------


@pytest.mark.parametrize("cid", list(claims.CHECKS))
def test_every_check_holds_on_the_papers_own_numbers(cid):
    ours, v = verdict(cid, records(cid))
    assert v == "holds", ours


def test_claims_on_paper_json_lists_eight_holds(capsys):
    assert main(["claims", "--on-paper", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [o["id"] for o in out] == [f"C{i}" for i in range(1, 9)]
    assert {o["verdict"] for o in out} == {"holds"}


# --- a table that breaks the statement fails -----------------------------------------------------------


def _c1(recs):  # disjoint-transform PT as good as same in the architecture panel
    for r in where(recs, panel="architecture", transform_set="disjoint"):
        r["result"]["lp"] = dict(
            where(
                recs, panel="architecture", transform_set="same", value=r["config"]["value"], seed=r["config"]["seed"]
            )[0]["result"]["lp"]
        )


def _c2(recs):  # more classes do not help disjoint-transform transfer
    set_lp(recs, 0.70, panel="class_relationship", value="superset", transform_set="disjoint")


def _c3(recs):  # 50 same-transform samples far below 5 000 disjoint ones
    set_lp(recs, 0.70, panel="ft_samples", value=50, transform_set="same")


def _c4(recs):  # one reversed fine-tuning point
    for r in where(recs, panel="architecture", value="vit", transform_set="disjoint"):
        r["result"]["ft"]["200"] = {"test_accuracy": 0.99, "pooled_accuracy": 0.99}


def _c5(recs):  # disjoint beats same at one CIFAR-10 point
    set_lp(recs, 0.99, dataset="cifar10", panel="pt_samples", value=10, transform_set="disjoint")


def _c6(recs):  # the plain-CIFAR model is the most object-invariant
    for r in where(recs, pt_task="C&C"):
        r["result"]["invariance"] = {"cifar": {"l2": 0.99}, "objects": {"l2": 0.01}}


def _c7(recs):  # no transfer of invariance to os-img: Same as high as None
    for r in where(recs, group="img"):
        if r["config"]["train_transform"] != "none":
            for t, m in r["result"]["scores"]["os-img"].items():
                if t == r["config"]["train_transform"]:
                    m["l2"] = 0.45


def _c8(recs):  # a row that rises for j > k
    for r in where(recs, k=1):
        r["result"]["transfer"][5]["test_accuracy"] = 0.9


@pytest.mark.parametrize(
    "cid,break_it",
    [("C1", _c1), ("C2", _c2), ("C3", _c3), ("C4", _c4), ("C5", _c5), ("C6", _c6), ("C7", _c7), ("C8", _c8)],
)
def test_a_table_that_breaks_the_statement_fails(cid, break_it):
    recs = records(cid)
    break_it(recs)
    ours, v = verdict(cid, recs)
    assert v == "fails", ours


def test_c7_tolerance_passes_the_papers_own_rounding_and_no_more():
    recs = records("C7")
    for r in where(recs, group="img", train_transform="none"):  # None 0.05 above Other: beyond 0.03 + rounding
        for m in r["result"]["scores"]["op-img"].values():
            m["l2"] = 0.45
    assert verdict("C7", recs)[1] == "fails"


def test_c8_is_relative_to_the_model_pretrained_on_exactly_the_targets_transforms():
    recs = records("C8")
    for r in recs:  # every accuracy 0.5 lower: an absolute bar would fail, the relative statement still holds
        for t in r["result"]["transfer"]:
            t["test_accuracy"] -= 0.5
    assert verdict("C8", recs)[1] == "holds"


# --- missing parts and models that did not learn ------------------------------------------------------


@pytest.mark.parametrize("cid", list(claims.CHECKS))
def test_a_missing_seed_never_holds(cid):
    recs = [r for r in records(cid) if r["config"]["seed"] != 1]
    ours, v = verdict(cid, recs, SEEDS)
    assert v == "partial" and "seed 1" in ours, ours


@pytest.mark.parametrize(
    "cid,drop,named",
    [
        ("C1", dict(panel="architecture"), "architecture panel"),
        ("C2", dict(panel="pt_samples"), "PT samples panel"),
        ("C4", dict(panel="ft_samples"), "FT samples panel"),
        ("C5", dict(dataset="cifar100"), "CIFAR-100"),
        ("C6", dict(variant="translate"), "translate variant"),
        ("C7", dict(group="rand"), "rand group"),
    ],
)
def test_a_missing_part_is_partial_and_named(cid, drop, named):
    recs = [r for r in records(cid) if not all(r["config"].get(k) == v for k, v in drop.items())]
    ours, v = verdict(cid, recs)
    assert v == "partial" and named in ours, ours


def test_a_panel_still_running_is_named_incomplete_with_its_count():
    recs = records("C2")
    values = sorted({r["config"]["value"] for r in recs if r["config"]["panel"] == "pt_samples"})
    seeds = sorted({r["config"]["seed"] for r in recs})
    # every seed lacks a different PT-samples point, as in an interleaved chunk that has not finished
    recs = [
        r
        for r in recs
        if r["config"]["panel"] != "pt_samples" or r["config"]["value"] != values[seeds.index(r["config"]["seed"])]
    ]
    stored = sum(r["config"]["panel"] == "pt_samples" for r in recs)
    ours, v = verdict("C2", recs)
    assert v == "partial" and f"PT samples panel (incomplete: {stored} results stored, no seed complete)" in ours


def test_missing_architectures_and_fewer_nested_transforms_are_partial():
    recs = [r for r in records("C1") if r["config"]["value"] not in ("vit", "densenet121")]
    ours, v = verdict("C1", recs)
    assert v == "partial" and "DenseNet-121" in ours and "ViT" in ours
    recs = [r for r in records("C8") if r["config"]["k"] <= 4]
    for r in recs:
        r["config"]["num_transforms"] = 4
        r["result"]["transfer"] = r["result"]["transfer"][:4]
    ours, v = verdict("C8", recs)
    assert v == "partial" and "transforms 5-8" in ours


def test_models_at_chance_are_untestable_and_named_never_holds():
    recs = records("C1")
    for r in recs:
        r["result"]["training"]["test_accuracy"] = 0.01
    ours, v = verdict("C1", recs)
    assert v == "untestable" and "did not learn" in ours.lower()
    recs = records("C1")  # one point at chance: the rest is tested, the point named
    for r in where(recs, panel="pt_samples", value=1_000):
        r["result"]["training"]["test_accuracy"] = 0.05
    ours, v = verdict("C1", recs)
    assert v == "partial" and "PT samples 1 000" in ours
    recs = records("C8")
    for r in where(recs, k=3):
        r["result"]["pretraining"]["test_accuracy"] = 0.04
    ours, v = verdict("C8", recs)
    assert v == "partial" and "k = 3" in ours


def test_c3_cannot_hold_when_both_sides_are_at_chance():
    recs = records("C3")
    set_lp(recs, 0.04, panel="ft_samples", value=50, transform_set="same")
    set_lp(recs, 0.04, panel="ft_samples", value=5000, transform_set="disjoint")
    ours, v = verdict("C3", recs)
    assert v == "untestable" and "chance" in ours


def test_verdict_rules():
    assert learned_bar(30) == pytest.approx(2 / 30) and learned_bar(10) == pytest.approx(0.2)
    assert learned_bar(2) == pytest.approx(0.75)  # twice chance would be 1.0
    ev = Evidence()
    assert ev.verdict == "not run"
    ev.untestable.append("m")
    assert ev.verdict == "untestable"
    ev.test("x", True)
    assert ev.verdict == "partial"
    ev.test("y", False)
    assert ev.verdict == "fails"


def test_ci95_is_nan_for_one_seed_and_a_t_interval_otherwise():
    assert np.isnan(stats.ci95(np.array([[0.5, 0.6]]))).all()
    half = stats.ci95(np.array([0.0, 1.0]))
    assert half == pytest.approx(12.7062 * np.std([0.0, 1.0], ddof=1) / np.sqrt(2), rel=1e-4)  # t(0.975, 1 df)


# --- the command line and the store ------------------------------------------------------------------


def test_claims_json_on_an_empty_store_is_not_run_with_provenance_fields(tmp_path, capsys):
    assert main(["claims", "--profile", "smoke", "--json", "--results", str(tmp_path)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [o["id"] for o in out] == [f"C{i}" for i in range(1, 9)]
    for o in out:
        assert {
            "id",
            "paper",
            "ours",
            "verdict",
            "profile",
            "records",
            "commits",
            "dirty",
            "devices",
            "sources",
            "precisions",
            "seeds",
        } <= set(o)
        assert o["verdict"] == "not run" and o["paper"] and o["profile"] == "smoke" and o["records"] == 0


def test_claims_text_counts_every_verdict(tmp_path, capsys):
    assert main(["claims", "--results", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert all(f"C{i} " in out for i in range(1, 9))
    assert "0 holds, 0 partial, 0 fails, 0 untestable, 8 not run" in out


@pytest.mark.parametrize("profile", ["smoke", "cpu"])
def test_claims_do_not_depend_on_the_machine(profile, monkeypatch, capsys, tmp_path):
    """Byte-identical `invtl claims --json` on the committed results with the hub reachable or not (mocked) and
    with INVTL_DATA_ROOT set or unset: grids are pure functions of the experiment, profile and seeds."""
    from invtl.t2d import sources

    def run() -> str:
        assert main(["claims", "--profile", profile, "--json"]) == 0
        return capsys.readouterr().out

    monkeypatch.delenv("INVTL_DATA_ROOT", raising=False)
    monkeypatch.setattr(sources, "_si_score_root", lambda: (_ for _ in ()).throw(sources.HubUnreachable("offline")))
    sources._resolve_auto.cache_clear()
    offline = run()
    monkeypatch.setattr(sources, "_si_score_root", lambda: tmp_path)  # the hub answers
    sources._resolve_auto.cache_clear()
    monkeypatch.setenv("INVTL_DATA_ROOT", str(tmp_path))
    assert run() == offline
    sources._resolve_auto.cache_clear()
