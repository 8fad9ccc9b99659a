"""Book pages that read the store and the benchmarks: the landing page's verdict table, the profile `invtl book`
picks, the performance chapter and the pilots table, on synthetic files."""

from __future__ import annotations

import json

import pytest

from invtl.book import build, pages, performance, reproducibility
from invtl.engine import runner
from invtl.engine.store import Store, provenance
from invtl.experiments import SPECS, experiment


def _store_one_of_each(root, profile: str) -> None:
    store = Store(root)
    for name in SPECS:
        exp = experiment(name)
        job = runner.select_jobs(exp, profile, None, None, (1, 1))[0]
        result = {k: {} for k in exp.result_keys}
        store.save(profile, name, job.config, result, provenance(profile, job.config, 1.0, "cpu", "bf16"))


def test_default_profile_is_the_first_complete_one(tmp_path):
    assert build.default_profile(tmp_path) == "smoke"
    _store_one_of_each(tmp_path, "cpu")
    assert build.default_profile(tmp_path) == "cpu"
    (tmp_path / "fast" / "tvo").mkdir(parents=True)  # an incomplete profile higher up is not chosen
    assert build.default_profile(tmp_path) == "cpu"


def test_bare_book_shows_a_chosen_cpu_profile_without_training(tmp_path, monkeypatch):
    _store_one_of_each(tmp_path, "cpu")
    seen = []
    monkeypatch.setattr(build, "execute", lambda where, name, parameters, log: seen.append(parameters))
    build.build(results=str(tmp_path), html=False, log=lambda *_: None)
    assert seen and all(p["profile"] == "cpu" and p["compute"] is False for p in seen)
    seen.clear()
    build.build(profile="cpu", results=str(tmp_path), html=False, log=lambda *_: None)
    assert seen and all(p["compute"] is True for p in seen)  # an explicit profile computes what is missing


def test_verdict_overview_links_each_claim_and_colours_rows(tmp_path):
    text = pages.verdict_overview("smoke", str(tmp_path))
    assert text.count('<tr class="invtl-notrun">') == 8
    assert 'href="e1_e2_transforms_vs_other.html#paper-vs-reproduced">C1' in text
    assert 'href="e6_transform_mismatch.html#paper-vs-reproduced">C8' in text


def test_provenance_line_warns_about_uncommitted_code():
    prov = provenance("cpu", {"seed": 1, "source": "offline"}, 2.0, "cpu", "bf16")
    records = [{"config": {"seed": 1, "source": "offline"}, "provenance": {**prov, "dirty": d}} for d in (False, True)]
    line = pages.provenance_line(records, "cpu")
    assert "base images offline" in line and "precision bf16" in line and "seeds 1" in line
    assert ":::{warning}" in line and "1 of these 2 results" in line
    assert ":::{warning}" not in pages.provenance_line(records[:1], "cpu")


def _bench(tmp_path, name: str, data: dict) -> None:
    (tmp_path / "bench").mkdir(exist_ok=True)
    (tmp_path / "bench" / performance.BENCH[name].format(kind="cpu")).write_text(json.dumps(data))


def test_performance_tables_read_the_benchmarks_and_say_what_is_missing(tmp_path):
    assert "not measured" in performance.train_table(tmp_path) and "no GPU" in performance.train_table(tmp_path)
    rows = [{"width": 0.25, "path": p, "img_s": v} for p, v in (("(a) x", 400.0), ("(b) y", 1600.0), ("(c) z", 1700.0))]
    _bench(
        tmp_path,
        "train",
        {
            "device": "CPU (2 cores)",
            "rows": rows,
            "ratios": {"0.25": {"ours_vs_original": 4.0, "ours_vs_ceiling": 0.94}},
        },
    )
    text = performance.train_table(tmp_path)
    assert "1,600" in text and "4.00 (of (c): 0.94)" in text and "4.26" in text
    chunks = [
        {
            "chunk": "tm-1of1",
            "predicted_s": 600,
            "actual_s": 900,
            "start": "2026-12-02T16:21:20Z",
            "end": "2026-12-02T16:36:20Z",
        },
        {
            "chunk": "tvo-1of2",
            "predicted_s": 300,
            "actual_s": 300,
            "start": "2026-12-02T17:00:00Z",
            "end": "2026-12-02T17:05:00Z",
        },
    ]
    _bench(tmp_path, "chunks", {"caption": "c", "chunks": chunks})
    # the tm chunk's records: one pretrained at half the benchmark's speed, one loaded (no pretraining), one later
    config = experiment("tm").jobs("cpu", [0], (), None)[0].config
    planned = experiment("tm").phases(config, "cpu")["pretrain"]  # the training steps, as measured
    for seed, date, pretrain in ((0, "16:30", 2 * planned), (1, "16:31", 0.0), (2, "17:30", planned)):
        prov = {"date": f"2026-12-02T{date}:00+00:00", "phases_s": {"pretrain": pretrain}}
        Store(tmp_path).save("cpu", "tm", {**config, "seed": seed}, {}, prov)
    tm = Store(tmp_path).results("cpu", "tm")
    assert len(tm) == 3
    assert performance.chunk_speed(tm, chunks[0]) == pytest.approx(0.5)
    assert performance.chunk_speed(Store(tmp_path).results("cpu", "tvo"), chunks[1]) is None
    text = performance.chunks_table(tmp_path)
    assert "1.50" in text and "all" in text and "1.33" in text  # 1 200 s actual / 900 s predicted
    assert "training speed / benchmark" in text and "0.50" in text
    assert performance.chunks_figure(tmp_path) is not None
    assert "CPU-hours" not in text  # no logged run: no CPU time measured
    run = {"experiment": "tvo", "shard": "2/2", "jobs": 4, "computed": 4, "missing": 0, "dirty": False}
    run |= {"git_commit": "abcdef0", "start": "2026-12-02T18:00:00Z", "end": "2026-12-02T19:00:00Z"}
    Store(tmp_path).save_run("cpu", run | {"predicted_s": 1800, "actual_s": 3600, "cpu_s": 7020})
    text = performance.chunks_table(tmp_path)
    assert "tvo-2of2" in text and "1.95 CPU-hours over 1.00 wall hours" in text
    assert "not measured" in performance.precision_table(tmp_path)


def test_phase_table_sets_each_measured_phase_beside_its_plan(tmp_path):
    """Invariance counts as features, io and the time outside the phases as overhead; a job that loaded its
    pretrained model is charged neither its pretraining nor the views it trains on."""
    exp = experiment("tm")
    config = exp.jobs("cpu", [0], (), None)[0].config
    plan = exp.phases(config, "cpu")
    trained = {"wall_time_s": 40.0, "phases_s": {"pretrain": 30.0, "generate": 2.0, "invariance": 1.0, "io": 0.5}}
    loaded = {"wall_time_s": 5.0, "phases_s": {"pretrain": 0.0, "features": 3.0}}
    records = [{"config": config, "provenance": trained}, {"config": config, "provenance": loaded}]
    cells = performance.phase_seconds(exp, records)
    assert cells["pretrain"] == pytest.approx((plan["pretrain"], 30.0))
    views = exp.pretraining(config, "cpu")[1] - plan["pretrain"]
    assert cells["generate"] == pytest.approx((2 * plan["generate"] - views, 2.0))
    assert cells["features"] == pytest.approx((2 * plan["features"], 4.0))
    assert cells["overhead"] == pytest.approx((2 * plan["overhead"], 0.5 + 6.5 + 2.0))
    assert sum(a for a, _ in cells.values()) == pytest.approx(2 * exp.cost(config) - exp.pretraining(config)[1])
    gpu = performance.phase_seconds(exp, records, "cuda")  # a GPU profile's table plans at the GPU's rates
    assert gpu["pretrain"][0] < cells["pretrain"][0] and gpu["pretrain"][1] == cells["pretrain"][1]
    assert "No cpu results stored yet" in performance.phases_table(tmp_path)
    Store(tmp_path).save("cpu", "tm", config, {}, trained)
    text = performance.phases_table(tmp_path)
    assert '<td class="l">tm (1 job)</td><td class="r">0.5 / ' in text  # 30 s measured pretraining


def test_every_timed_phase_has_a_planned_phase():
    """A phase the code times (`phase("...")`, `views_phase=`) must be one the plan charges, or the phase table
    could not set it beside its estimate."""
    import re
    from pathlib import Path

    from invtl.engine.costs import PHASES

    source = "".join(p.read_text() for p in Path(performance.__file__).parents[1].rglob("*.py"))
    timed = set(re.findall(r'(?:phase\(|views_phase=|views_phase: str = )"([a-z-]+)"', source))
    assert {"pretrain", "generate", "features", "probe", "fine-tune"} <= timed
    assert timed <= set(PHASES) | set(performance.MEASURED_AS)


def test_pilots_table_shows_each_pilot_beside_chance(tmp_path):
    pilot = {
        "pilot": 1,
        "experiment": "tm",
        "seed": 2,
        "k": 8,
        "arch": "resnet18",
        "wall_s": 144.5,
        "pt_test_accuracy": 0.731,
        "chance": 1 / 30,
        "transfer": [0.99, 0.80],
    }
    _bench(tmp_path, "pilots", {"note": "n", "code": "c", "pilots": [pilot]})
    text = reproducibility.pilots_table(str(tmp_path))
    assert "0.731" in text and "0.033" in text and "0.800" in text and "arch resnet18, k 8" in text


@pytest.mark.parametrize("only,panels", [("cifar10", 4), ("cifar10/pt_samples", 1)])
def test_only_selects_a_panel_or_a_whole_dataset(only, panels):
    jobs = runner.select_jobs(experiment("cifar_tvo"), "smoke", None, only, (1, 1))
    assert len({j.panel for j in jobs}) == panels and all(j.config["dataset"] == "cifar10" for j in jobs)
    with pytest.raises(ValueError, match="unknown panel 'cifar1'"):
        runner.select_jobs(experiment("cifar_tvo"), "smoke", None, "cifar1", (1, 1))


def test_plan_charges_a_shared_pretrained_model_once():
    exp = experiment("tvo")
    jobs = runner.select_jobs(exp, "cpu", [0], None, (1, 1))
    keys = [exp.pretraining(j.config, "cpu")[0] for j in jobs]
    assert len(set(keys)) == 24 and len(keys) == 38  # the paper's 30 pretrainings per seed collapse to 24
    p = runner.plan(exp, "cpu", [0], max_minutes=1e6)
    naive = sum(exp.cost(j.config, "cpu") for j in jobs)
    assert p["total_minutes"] * 60 < naive and p["rates"].startswith(("measured", "planning"))


@pytest.mark.parametrize("name", ["tm", "it"])
def test_jobs_that_train_their_own_model_share_no_pretraining(name):
    """tm and it train one model per job: no shared key, each job charged its own pretraining (none untrained); a
    job that loaded its model is charged neither the pretraining steps nor the views they train on."""
    exp = experiment(name)
    jobs = runner.select_jobs(exp, "cpu", [0], None, (1, 1))
    planned = [exp.pretraining(j.config, "cpu") for j in jobs]
    assert all(key is None for key, _ in planned)
    untrained = [s for j, (_, s) in zip(jobs, planned) if j.config.get("group") == "untrained"]
    assert all(s == 0.0 for s in untrained) and len(untrained) < len(jobs)
    config, (_, pretraining) = next((j.config, p) for j, p in zip(jobs, planned) if p[1] > 0)
    phases = exp.phases(config, "cpu")
    assert phases["pretrain"] < pretraining < exp.cost(config)  # steps < steps + their views < the job
    loaded = exp.planned(config, "cpu", trained=False)
    assert loaded["pretrain"] == 0 and sum(loaded.values()) == pytest.approx(exp.cost(config) - pretraining)
    p = runner.plan(exp, "cpu", [0], max_minutes=1e6)
    assert p["total_minutes"] * 60 == pytest.approx(sum(exp.cost(j.config, "cpu") for j in jobs))


def test_book_builds_the_checkout_it_runs_in(tmp_path, monkeypatch):
    """`invtl book` run in a second clone builds that clone, not the tree the package was installed from."""
    clone = tmp_path / "clone"
    (clone / "notebooks").mkdir(parents=True)
    (clone / "_toc.yml").write_text("format: jb-book\n")
    (clone / "notebooks" / "only.ipynb").write_text("{}")
    monkeypatch.chdir(clone / "notebooks")
    where = build.layout()
    assert where.root == clone and build.notebook_names(where) == ["only"]
    assert where.generated == clone / "book" / "_generated" and where.index == clone / "_build" / "html" / "index.html"
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match="not inside an invtl checkout"):
        build.layout()
    assert build.layout(clone).root == clone


def test_benchmarks_record_the_code_they_ran_and_the_chapter_says_it():
    from invtl.engine.bench import machine
    from invtl.engine.store import git_state

    m = machine()
    assert (m["git_commit"], m["dirty"]) == git_state() and m["date"].endswith("Z")
    line = performance.machine_line({"machine": {**m, "git_commit": "0123456789abcdef", "dirty": True}})
    assert "commit 0123456 (dirty), " + m["date"][:10] in line
    assert "commit not recorded" in performance.machine_line({"machine": {"cpu": "x"}})
