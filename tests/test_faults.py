"""Faults a user meets (issue 18's "Why"), each with its expected behaviour: no traceback, one line naming
what is wrong and a meaningful exit code, nothing lost, nothing silently wrong, no work repeated.

Grids here are fakes (jobs that take milliseconds) unless a real grid's configuration is the point. The
unpinned SI-Score download is covered beside the fake SI-Score snapshot, in test_sources.py (its "pinned
SI-Score" tests)."""

import json
import os
import pickle
import shutil
import subprocess
import sys
import textwrap
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
import torch

import invtl.experiments
from invtl.book import reproducibility
from invtl.cli import main
from invtl.engine import locks, runner
from invtl.engine import store as store_mod
from invtl.experiments import experiment
from invtl.t2d import cifar, sources


@pytest.fixture(autouse=True)
def isolated(monkeypatch, tmp_path):
    monkeypatch.setenv("INVTL_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("INVTL_RESULTS", str(tmp_path / "results"))
    for name in ("INVTL_DATA_ROOT", "INVTL_SI_SCORE_DIR", "INVTL_SI_SCORE_REVISION"):
        monkeypatch.delenv(name, raising=False)
    cifar._MEMO.clear()
    yield
    cifar._MEMO.clear()


def fake(n: int = 2, run=None) -> runner.Experiment:
    """A grid of `n` jobs per seed whose result is {"value": i}; `run` replaces the job."""

    def job(config, ctx):
        return {"value": config["i"]}

    def grid(profile, seeds, legacy, source):
        return [runner.Job({"fake": 1, "i": i, "seed": s}, run or job, "p") for s in seeds for i in range(n)]

    return runner.Experiment("tm", "a fake grid", ("p",), grid, lambda profile: [0], result_keys=("value",))


def use(monkeypatch, exp: runner.Experiment) -> None:
    monkeypatch.setattr(invtl.experiments, "experiment", lambda name: exp)


def errors(capsys) -> list[str]:
    """The stderr lines that are not progress bars or warnings; a traceback fails the test."""
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return [line for line in err.splitlines() if line.startswith("invtl:") and "warning" not in line]


@contextmanager
def read_only(path: Path):
    """A directory nobody can write into, root included (`chattr +i` as root, chmod otherwise)."""
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        path.chmod(0o555)
        try:
            yield path
        finally:
            path.chmod(0o755)
        return
    if shutil.which("chattr") is None or subprocess.run(["chattr", "+i", str(path)]).returncode != 0:
        pytest.skip("running as root on a file system without chattr +i: no directory is read-only")
    try:
        yield path
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)


# ---- arbitrary code from the data root


class Exploit:
    def __init__(self, command):
        self.command = command

    def __reduce__(self):
        return os.system, (self.command,)


class Writer:
    def __init__(self, target):
        self.target = target

    def __reduce__(self):
        return eval, (f"open({self.target!r}, 'w').write('owned')",)


@pytest.mark.parametrize("payload", ["system", "eval"])
def test_crafted_cifar_batch_runs_no_code(tmp_path, payload):
    marker = tmp_path / "marker"
    from test_cifar import write_torchvision10

    write_torchvision10(tmp_path / "data")
    batch = tmp_path / "data" / "cifar-10-batches-py" / "data_batch_1"
    evil = Exploit(f"touch {marker}") if payload == "system" else Writer(str(marker))
    batch.write_bytes(pickle.dumps({"data": evil, "labels": [0]}, protocol=2))
    with pytest.raises(ValueError, match="refused global") as e:
        cifar.load_cifar("cifar10", "train", tmp_path / "data")
    assert str(batch) in str(e.value) and ("system" in str(e.value) or "eval" in str(e.value))
    assert not marker.exists()


@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_genuine_cifar_batches_load_at_every_pickle_protocol(tmp_path, protocol):
    d = tmp_path / "cifar-10-batches-py"
    d.mkdir()
    data = np.arange(4 * 3072, dtype=np.uint8).reshape(4, 3072)
    for name in [f"data_batch_{k}" for k in range(1, 6)] + ["test_batch"]:
        record = {"batch_label": name, "labels": [0, 1, 2, 3], "data": data, "filenames": [b"a.png"] * 4}
        (d / name).write_bytes(pickle.dumps(record, protocol=protocol))
    (d / "batches.meta").write_bytes(pickle.dumps({"label_names": list(cifar.CIFAR10_CLASSES)}, protocol=protocol))
    images, labels, _ = cifar.load_cifar("cifar10", "test", tmp_path)
    assert torch.equal(images.reshape(4, -1), torch.from_numpy(data)) and labels.tolist() == [0, 1, 2, 3]


# ---- work lost after training: preflight before any compute


def calls_made(monkeypatch) -> list:
    calls = []

    def job(config, ctx):
        calls.append(config["i"])
        return {"value": config["i"]}

    use(monkeypatch, fake(run=job))
    return calls


@pytest.mark.parametrize(
    "case,expected",
    [
        ("results_file", "results directory {}/afile is not a directory"),
        ("results_read_only", "results directory {}/results is not writable"),
        ("cache_file", "cache directory (INVTL_CACHE) {}/afile is not a directory"),
        ("checkpoints_read_only", "checkpoint directory {}/cache/checkpoints is not writable"),
    ],
)
def test_unusable_locations_stop_before_any_compute(case, expected, tmp_path, monkeypatch, capsys):
    calls = calls_made(monkeypatch)
    args = ["run", "tm", "--profile", "smoke"]
    (tmp_path / "afile").write_text("")
    if case == "results_file":
        args += ["--results", str(tmp_path / "afile")]
    if case == "cache_file":
        monkeypatch.setenv("INVTL_CACHE", str(tmp_path / "afile"))
    locked = {"results_read_only": "results", "checkpoints_read_only": "cache/checkpoints"}.get(case, "unused")
    with read_only(tmp_path / locked):
        assert main(args) == 2 and calls == []  # nothing trained
    (line,) = errors(capsys)
    assert line.startswith("invtl: error: " + expected.format(tmp_path))


def test_a_data_root_that_is_no_directory_is_named(tmp_path, monkeypatch, capsys):
    calls = calls_made(monkeypatch)
    (tmp_path / "data").write_text("")
    monkeypatch.setenv("INVTL_DATA_ROOT", str(tmp_path / "data"))
    assert main(["run", "tm"]) == 2 and calls == []
    (line,) = errors(capsys)
    assert "data root" in line and "is not a directory" in line


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every directory: none is unreadable")
def test_an_unreadable_data_root_is_named(tmp_path, monkeypatch, capsys):
    calls = calls_made(monkeypatch)
    (tmp_path / "data").mkdir(mode=0)
    monkeypatch.setenv("INVTL_DATA_ROOT", str(tmp_path / "data"))
    try:
        assert main(["run", "tm"]) == 2 and calls == []
    finally:
        (tmp_path / "data").chmod(0o755)
    assert "is not readable" in errors(capsys)[0]


def test_an_os_error_mid_run_is_one_line_exit_1(monkeypatch, capsys):
    use(monkeypatch, fake())

    def full(*args, **kwargs):
        raise OSError(28, "No space left on device", "/results/x.json")

    monkeypatch.setattr(store_mod.Store, "save", full)
    assert main(["run", "tm"]) == 1
    assert errors(capsys) == ["invtl: error: No space left on device: /results/x.json"]


def test_a_cache_that_is_a_file_costs_preview_only_time(tmp_path, monkeypatch, capsys):
    (tmp_path / "afile").write_text("")
    monkeypatch.setenv("INVTL_CACHE", str(tmp_path / "afile"))
    sources._load.cache_clear()
    with pytest.warns(UserWarning, match="could not write the base-image cache"):
        assert (
            main(["data", "preview", "--source", "random:3", "--background", "black", "--out", str(tmp_path / "p.png")])
            == 0
        )
    sources._load.cache_clear()
    assert (tmp_path / "p.png").is_file() and errors(capsys) == []


def test_preview_into_a_missing_directory(tmp_path, capsys):
    assert main(["data", "preview", "--source", "random", "--out", str(tmp_path / "no" / "p.png")]) == 2
    (line,) = errors(capsys)
    assert "does not exist" in line and str(tmp_path / "no") in line


# ---- silently wrong: keyed checkpoints, validated records


def test_checkpoint_of_another_job_or_shape_is_named_and_retrained(tmp_path):
    ctx = runner.Context(torch.device("cpu"))
    trained = []
    config = {"model": "linear", "seed": 0}

    def train(model):
        trained.append(1)

    model = ctx.pretrained(config, lambda: torch.nn.Linear(3, 2), train)
    path = store_mod.checkpoint_dir() / f"{store_mod.config_key(config)}.pt"
    assert trained == [1] and path.is_file()
    assert ctx.pretrained(config, lambda: torch.nn.Linear(3, 2), train) is not model and trained == [1]  # loaded
    store_mod.save_checkpoint(path, torch.nn.Linear(3, 2).state_dict(), "another-job")  # same shape, other job
    with pytest.warns(UserWarning, match=f"{path}: made for another configuration"):
        ctx.pretrained(config, lambda: torch.nn.Linear(3, 2), train)
    assert trained == [1, 1]
    store_mod.save_checkpoint(path, torch.nn.Linear(5, 2).state_dict(), store_mod.config_key(config))  # other shape
    with pytest.warns(UserWarning, match=f"{path}: does not fit the model"):
        model = ctx.pretrained(config, lambda: torch.nn.Linear(3, 2), train)
    assert trained == [1, 1, 1] and model.weight.shape == (2, 3)


def test_a_record_without_its_result_is_corrupt_everywhere(tmp_path, monkeypatch, capsys):
    """`"result": {}` is named, recomputed by `run`, listed by `store check` and skipped by `claims`."""
    store = store_mod.Store(tmp_path / "results")
    config = runner.select_jobs(experiment("tm"), "smoke", None, None, (1, 1))[0].config
    path = store.save("smoke", "tm", config, {}, {"seed": 0})
    assert main(["store", "check", "--only", "tm", "--results", str(store.root)]) == 1
    assert f"corrupt: {path}: its result lacks pretraining, transfer" in capsys.readouterr().out
    with pytest.warns(UserWarning, match=path.name):
        assert main(["claims", "--results", str(store.root), "--json"]) == 0
    c8 = next(c for c in json.loads(capsys.readouterr().out) if c["id"] == "C8")
    assert c8["verdict"] == "not run"
    exp = fake()
    exp_config = exp.jobs("smoke", [0], (), None)[0].config
    fake_path = store.save("smoke", "tm", exp_config, {}, {})
    with pytest.warns(UserWarning, match=fake_path.name):
        counts = runner.run(exp, "smoke", results=store.root, progress=False)
    assert counts["computed"] == 2 and json.loads(fake_path.read_text())["result"] == {"value": 0}


def test_store_check_names_the_result_code_changed_since_each_commit(tmp_path, monkeypatch, capsys):
    """Records are grouped by commit; only code that computes results counts (a benchmark edit does not)."""
    repo = tmp_path / "repo"
    git = lambda *a: subprocess.run(["git", "-C", str(repo), *a], check=True, capture_output=True, text=True).stdout
    (repo / "invtl/engine").mkdir(parents=True)
    git("init", "-q")
    commits = []
    for edit in ("invtl/engine/models.py", "invtl/engine/bench.py", "invtl/engine/models.py"):
        with open(repo / edit, "a") as f:
            f.write(f"# edit {len(commits)}\n")
        git("add", "-A")
        git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", f"edit {edit}")
        commits.append(git("rev-parse", "HEAD").strip())
    monkeypatch.setattr(store_mod.paths, "PACKAGE_ROOT", repo)
    store = store_mod.Store(tmp_path / "results")
    configs = [j.config for j in runner.select_jobs(experiment("tm"), "smoke", None, None, (1, 1))][:4]
    result = {"pretraining": {}, "transfer": {}}
    for config, commit in zip(configs, [commits[0], commits[0], commits[1], commits[2]]):
        store.save("smoke", "tm", config, result, {"git_commit": commit, "dirty": False})
    changed = store_mod.audit(store, "smoke", "tm", configs, ("pretraining", "transfer"), runner.RESULT_CODE)["changed"]
    assert sorted(changed) == sorted(
        [
            f"2 records from {commits[0][:12]}; changed since: invtl/engine/models.py",
            f"1 records from {commits[1][:12]}; changed since: invtl/engine/models.py",
        ]
    )
    assert store_mod.changed_since("0" * 40, runner.RESULT_CODE) is None  # an unknown commit cannot be told


def test_store_verify_recomputes_in_a_fresh_cache_and_names_a_changed_number(tmp_path, monkeypatch, capsys):
    trained = []

    def job(config, ctx):
        model = ctx.pretrained(config, lambda: torch.nn.Linear(1, 1), lambda m: trained.append(config["i"]))
        return {"value": config["i"], "nested": {"weights": [1.0, 2.0]}, "kind": "fake", "n": model.out_features}

    use(monkeypatch, fake(3, job))
    store = store_mod.Store(tmp_path / "results")
    runner.run(fake(3, job), "smoke", results=store.root, progress=False)
    assert trained == [0, 1, 2]
    assert main(["store", "verify", "--only", "tm", "--count", "2", "--results", str(store.root)]) == 0
    out = capsys.readouterr().out
    assert out.count("identical (4 numbers)") == 2 and trained == [0, 1, 2, 0, 1]  # retrained: no checkpoint reused
    assert os.environ["INVTL_CACHE"] == str(tmp_path / "cache")  # the temporary cache is gone again
    path = store.path("smoke", "tm", fake(3, job).jobs("smoke", [0], (), None)[0].config)
    record = json.loads(path.read_text())
    record["result"]["nested"]["weights"][1] = 2.5
    path.write_text(json.dumps(record))
    assert main(["store", "verify", "--only", "tm", "--results", str(store.root)]) == 1
    assert "1 of 4 numbers differ, largest by 0.5 at nested/weights/1" in capsys.readouterr().out
    assert main(["store", "verify", "--only", "tm", "--tolerance", "0.5", "--results", str(store.root)]) == 0
    assert "No stored smoke record has been recomputed yet" in reproducibility.verify_table("smoke", str(store.root))
    assert main(["store", "verify", "--only", "tm", "--count", "3", "--save", "--results", str(store.root)]) == 1
    assert main(["store", "verify", "--only", "tm", "--save", "--results", str(store.root)]) == 1  # replaces one
    table = reproducibility.verify_table("smoke", str(store.root))
    assert table.count("<tr>") == 4 and table.count("identical") == 2 and "1 differ (max 0.5)" in table
    assert main(["store", "verify", "--count", "0"]) == 2
    assert errors(capsys) == ["invtl: error: --count 0 must be at least 1"]


# ---- wasted work: locks and duplicate seeds

WORKER = """
import json, os, sys, time
from invtl.engine import runner

def job(config, ctx):
    with open(os.environ["CALLS"], "a") as f:
        f.write(f"{config['i']}\\n")
    time.sleep(60 if config["i"] == int(os.environ.get("HANG", -1)) else float(os.environ["SLEEP"]))
    return {"value": config["i"]}

grid = lambda profile, seeds, legacy, source: [runner.Job({"fake": 1, "i": i, "seed": 0}, job, "p")
                                               for i in range(int(os.environ["N"]))]
exp = runner.Experiment("tm", "", ("p",), grid, lambda p: [0], result_keys=("value",))
print(json.dumps(runner.run(exp, "smoke", device="cpu", progress=False)))
"""


def worker(tmp_path: Path, **env) -> subprocess.Popen:
    script = tmp_path / "worker.py"
    script.write_text(textwrap.dedent(WORKER))
    env = {**os.environ, "CALLS": str(tmp_path / "calls"), **{k: str(v) for k, v in env.items()}}
    return subprocess.Popen([sys.executable, str(script)], env=env, stdout=subprocess.PIPE, text=True)


def test_two_concurrent_runs_compute_each_job_once(tmp_path):
    runs = [worker(tmp_path, N=6, SLEEP=0.4) for _ in range(2)]
    counts = [json.loads(p.communicate(timeout=120)[0].strip().splitlines()[-1]) for p in runs]
    calls = (tmp_path / "calls").read_text().split()
    assert sorted(calls) == [str(i) for i in range(6)]  # every job computed, none twice
    assert sum(c["computed"] for c in counts) == 6
    files = sorted((tmp_path / "results" / "smoke" / "tm").glob("*.json"))
    assert len(files) == 6 and all(json.loads(f.read_text())["result"]["value"] in range(6) for f in files)
    assert not list((tmp_path / "results").rglob("*.tmp"))


def test_kill_9_mid_grid_then_resume(tmp_path):
    run = worker(tmp_path, N=3, SLEEP=0, HANG=1)
    results = tmp_path / "results" / "smoke" / "tm"
    deadline = time.monotonic() + 60
    while (not (tmp_path / "calls").exists() or "1" not in (tmp_path / "calls").read_text().split()) and (
        time.monotonic() < deadline
    ):
        time.sleep(0.05)
    run.kill()  # SIGKILL while job 1 computes under its lock
    run.wait()
    assert len(list(results.glob("*.json"))) == 1
    counts = runner.run(fake(3), "smoke", progress=False)  # the worker's grid: same configurations
    assert counts == {"computed": 2, "skipped": 1, "missing": 0, "busy": 0}  # the dead process's lock is gone
    assert len(list(results.glob("*.json"))) == 3 and not list(results.glob("*.tmp"))


def test_a_job_being_computed_elsewhere_is_skipped_and_reported(tmp_path, monkeypatch, capsys):
    exp = fake()
    use(monkeypatch, exp)
    store = store_mod.Store()
    job = exp.jobs("smoke", [0], (), None)[0]
    held = locks.try_lock(store.lock_path("smoke", "tm", job.config))
    try:
        with pytest.warns(UserWarning, match="1 tm job skipped: being computed by another process"):
            assert main(["run", "tm"]) == 0
    finally:
        held.release()
    assert "1 computed, 0 already stored, 1 being computed by another process" in capsys.readouterr().out


def test_duplicate_seeds_run_once(monkeypatch, capsys):
    calls = calls_made(monkeypatch)
    assert main(["run", "tm", "--seeds", "0", "0"]) == 0 and sorted(calls) == [0, 1]
    tm = experiment("tm")
    once = runner.select_jobs(tm, "smoke", [0], None, (1, 1))
    assert [j.config for j in runner.select_jobs(tm, "smoke", [0, 0], None, (1, 1))] == [j.config for j in once]


# ---- exit codes say what happened


def test_no_cifar_data_exits_1_with_the_reason(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("INVTL_DATA_ROOT", str(tmp_path / "empty"))
    with pytest.warns(
        UserWarning, match=f"18 cifar_tvo jobs not run: no cifar10 data .* under the data root {tmp_path}"
    ):
        assert main(["run", "cifar_tvo", "--profile", "smoke", "--device", "cpu"]) == 1
    assert errors(capsys) == ["invtl: error: no cifar_tvo job could run: its data is missing on this machine"]


def test_bench_precision_on_rows_outside_the_grid_is_one_line(capsys):
    assert main(["bench", "precision", "--profile", "smoke", "--ks", "4", "8"]) == 2
    assert errors(capsys) == [
        "invtl: error: no smoke tm jobs of resnet18 rows k = [4, 8] (seeds of the profile); valid rows: 1, 2, 3"
    ]


@pytest.mark.parametrize("command", [["claims"], ["status"], ["store", "check"], ["store", "verify"]])
def test_read_only_commands_on_a_missing_results_directory(command, capsys):
    assert main([*command, "--results", "/does/not/exist"]) == 2
    assert errors(capsys) == ["invtl: error: results directory /does/not/exist does not exist"]


# ---- minor: Ctrl-C, --max-minutes nan, file modes


def test_ctrl_c_is_one_line_exit_130(monkeypatch, capsys):
    def job(config, ctx):
        if config["i"] == 1:
            raise KeyboardInterrupt
        return {"value": config["i"]}

    use(monkeypatch, fake(run=job))
    assert main(["run", "tm"]) == 130
    assert errors(capsys) == ["invtl: interrupted; 1 results kept; run the same command to resume"]


@pytest.mark.parametrize("value", ["nan", "inf", "0", "-1"])
def test_max_minutes_must_be_a_positive_number(value, capsys):
    assert main(["plan", "tm", "--max-minutes", value]) == 2
    (line,) = errors(capsys)
    assert "invalid --max-minutes" in line


@pytest.mark.parametrize("umask,mode", [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_files_follow_the_umask(umask, mode, tmp_path):
    old = os.umask(umask)
    try:
        record = store_mod.Store(tmp_path).save("smoke", "tm", {"i": 0}, {"value": 0}, {})
        checkpoint = tmp_path / "c.pt"
        store_mod.save_checkpoint(checkpoint, torch.nn.Linear(1, 1).state_dict(), "k")
    finally:
        os.umask(old)
    assert record.stat().st_mode & 0o777 == mode and checkpoint.stat().st_mode & 0o777 == mode
