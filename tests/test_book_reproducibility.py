"""The reproducibility chapter: settings per profile, the results store's provenance, re-run commands."""

from __future__ import annotations

import json
import platform
import re
from pathlib import Path

from invtl.book import reproducibility as rep
from invtl.engine.runner import select_jobs
from invtl.engine.store import Store
from invtl.experiments import SPECS, experiment
from invtl.profiles import PROFILES

RESULTS = Path(__file__).resolve().parents[1] / "results"
PROV = {
    "date": "2026-01-02T03:04:05+00:00",
    "device": "cpu (2 cores)",
    "git_commit": "0123456789abcdef-dirty",
    "wall_time_s": 30.0,
}


def test_format_setting_is_one_short_line():
    assert rep.format_setting([1, 2, 3]) == "1, 2, 3"
    assert rep.format_setting(50_000) == "50 000" and rep.format_setting(9_999) == "9999"
    assert rep.format_setting({"cifar10": [4, 16]}) == "cifar10: 4, 16"
    assert rep.format_setting(True) == "True"


def test_profiles_table_has_every_profile():
    text = rep.profiles_table()
    assert all(f">{p}<" in text for p in PROFILES) and text.count("<tr>") == 1 + len(PROFILES)


def test_settings_rows_give_each_profiles_value_and_why_it_differs():
    rows = {r[0]: r for r in rep.settings_rows("tm")}
    assert set(rows) == set(SPECS["tm"].paper)
    seeds = rows["seeds"]
    assert seeds[1:5] == ("0", "0, 1, 2", "0, 1, 2", "0, 1, 2, 3, 4, 5, 6, 7, 8, 9")
    assert seeds[5].startswith("smoke: one seed") and "paper:" not in seeds[5]
    assert rows["n_train"][1:5] == ("256", "10 000", "50 000", "50 000") and "fast" not in rows["n_train"][5]


def test_settings_tabs_one_per_experiment():
    tab = rep.settings_tabs()
    assert tab.titles == tuple(SPECS) and "why a profile differs" in tab.children[0].value


def test_grid_size_and_store_rows_count_the_current_grid(tmp_path):
    store = Store(tmp_path)
    jobs = select_jobs(experiment("tm"), "smoke", None, None, (1, 1))
    for job in jobs[:2]:
        store.save("smoke", "tm", job.config, {"pretraining": {}, "transfer": []}, PROV)
    store.save("smoke", "old", {"seed": 4}, {}, {**PROV, "git_commit": "fedcba9876543210", "wall_time_s": 90.0})
    assert rep.grid_size("tm", "smoke", str(tmp_path)) == (2, len(jobs))
    rows = {r[1]: r for r in rep.store_rows(str(tmp_path))}
    assert rows["tm"] == (
        "smoke",
        "tm",
        2,
        f"2 / {len(jobs)}",
        "0",
        "cpu (2 cores)",
        "0123456-dirty",
        "2026-01-02",
        "1.0",
    )
    assert rows["old"][3] == "–" and rows["old"][4] == "4" and rows["old"][6] == "fedcba9"
    assert "stored records of the grid" in rep.store_table(str(tmp_path))
    assert rep.store_table(str(tmp_path / "empty")) == "<p>The results store is empty.</p>"


def test_store_rows_on_the_committed_results():
    rows = {(r[0], r[1]): r for r in rep.store_rows(str(RESULTS))}
    for profile, name in (("smoke", "tm"), ("cpu", "it")):
        files = list((RESULTS / profile / name).glob("*.json"))
        if files:
            row = rows[(profile, name)]
            seeds = sorted({json.loads(f.read_text())["config"]["seed"] for f in files})
            assert row[2] == len(files) and re.fullmatch(r"\d+ / \d+", row[3]) and row[4] == ", ".join(map(str, seeds))


def test_rerun_table_has_a_row_and_commands_per_experiment(tmp_path):
    text = rep.rerun_table("smoke", str(tmp_path))
    assert text.count("<tr>") == 1 + len(SPECS)
    for name in SPECS:
        assert f"invtl run {name} --profile smoke" in text
        assert f"invtl book --only {rep.CHAPTER[name]} --profile smoke" in text
    assert set(rep.CHAPTER) == set(SPECS)
    notebooks = {p.stem for p in (RESULTS.parent / "notebooks").glob("*.ipynb")}
    assert set(rep.CHAPTER.values()) <= notebooks


def test_environment_table_names_python_and_packages():
    text = rep.environment_table("smoke")
    assert platform.python_version() in text and all(f">{p}<" in text for p in rep.PACKAGES)
