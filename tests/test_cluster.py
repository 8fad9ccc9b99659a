"""Scale-out: `invtl run --executor slurm|submitit-local` (one job array of the plan's chunks, plain pickled
arguments), waiting on the tasks, and `invtl status`. submitit's executor is replaced by a recorder here; the
CI step `slurm` in .ci/run runs a real smoke grid on a real single-node SLURM."""

import json
import os
import pickle
from contextlib import contextmanager
from pathlib import Path

import pytest
from submitit.core.utils import JobPaths

import invtl.experiments
from invtl.cli import main
from invtl.engine import locks, runner
from invtl.engine import store as store_mod
from invtl.experiments import experiment
from invtl.orchestration import executors, status


@pytest.fixture(autouse=True)
def isolated(monkeypatch, tmp_path):
    monkeypatch.setenv("INVTL_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("INVTL_RESULTS", str(tmp_path / "results"))
    monkeypatch.setenv("INVTL_DATA_ROOT", str(tmp_path / "data"))
    monkeypatch.delenv("INVTL_SI_SCORE_DIR", raising=False)


def job(config, ctx):
    return {"value": config["i"]}


FAKE = runner.Experiment(
    "tm",
    "a fake grid of four one-minute jobs",
    ("p",),
    lambda profile, seeds, legacy, source: [
        runner.Job({"fake": 1, "i": i, "seed": s}, job, "p") for s in seeds for i in range(4)
    ],
    lambda profile: [0],
    phases=lambda config, kind="cpu": {"overhead": 60.0},
    result_keys=("value",),
)


class FakeJob:
    def __init__(self, job_id: str, folder: Path, error: str | None = None, counts: dict | None = None):
        self.job_id, self.paths, self._error, self._counts = job_id, JobPaths(folder, job_id, task_id=0), error, counts

    def done(self) -> bool:
        return True

    def exception(self):
        return None if self._error is None else RuntimeError(f"Job failed with trace:\n----\n{self._error}\n----\n")

    def result(self) -> dict:
        return self._counts


class Recorder:
    """Stands in for submitit.AutoExecutor: records parameters and calls; every call becomes a task of array 77."""

    last = None

    def __init__(self, folder, cluster):
        self.folder, self.cluster, self.params, self.calls = Path(folder), cluster, {}, []
        Recorder.last = self

    def update_parameters(self, **kwargs):
        self.params.update(kwargs)

    @contextmanager
    def batch(self):
        yield

    def submit(self, fn, *args):
        self.calls.append((fn, args))
        return FakeJob(f"77_{len(self.calls) - 1}", self.folder)


@pytest.fixture
def recorder(monkeypatch):
    import submitit

    monkeypatch.setattr(submitit, "AutoExecutor", Recorder)
    monkeypatch.setattr(executors.shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(invtl.experiments, "experiment", lambda name: FAKE)
    return Recorder


def test_slurm_gets_one_array_of_the_pending_chunks_with_plain_arguments(recorder, tmp_path, capsys):
    done = FAKE.jobs("smoke", [0], (), None)[1]  # chunk 2 of 4 is stored already
    store_mod.Store().save("smoke", "tm", done.config, {"value": 1}, {})
    args = ["run", "tm", "--executor", "slurm", "--max-minutes", "1.5", "--partition", "gpu", "--gpus-per-node", "1"]
    args += [
        "--time",
        "1:30:00",
        "--mem",
        "32G",
        "--array-parallelism",
        "2",
        "--slurm-extra",
        "qos=high",
        "--cpus-per-task",
        "4",
    ]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "submitted 3 of 4 chunks (slurm job 77)" in out and str(tmp_path / "cache" / "submitit") in out
    ex = recorder.last
    assert ex.cluster == "slurm" and ex.folder == tmp_path / "cache" / "submitit" / "smoke" / "tm"
    assert ex.params == {
        "name": "invtl-tm-smoke",
        "timeout_min": 90,
        "cpus_per_task": 4,
        "gpus_per_node": 1,
        "slurm_partition": "gpu",
        "slurm_mem": "32G",
        "slurm_array_parallelism": 2,
        "slurm_additional_parameters": {"qos": "high"},
    }
    assert [args[4] for _, args in ex.calls] == [(1, 4), (3, 4), (4, 4)]
    fn, call = ex.calls[0]
    assert fn is executors.run_chunk and pickle.loads(pickle.dumps((fn, call))) == (fn, call)  # by reference
    env = call[-1]
    assert env["INVTL_RESULTS"] == str(tmp_path / "results") and env["INVTL_DATA_ROOT"] == str(tmp_path / "data")
    assert fn.__submitit_checkpoint__(*call).function is executors.run_chunk  # preempted tasks requeue
    record = json.loads((ex.folder / executors.SUBMISSIONS).read_text())
    assert record["job_ids"] == ["77_0", "77_1", "77_2"] and record["chunks"] == [1, 3, 4] and record["of"] == 4


def test_a_task_rebuilds_its_chunk_from_names(recorder, tmp_path, monkeypatch):
    assert main(["run", "tm", "--executor", "submitit-local", "--max-minutes", "1.5"]) == 0
    assert recorder.last.cluster == "local"
    fn, call = recorder.last.calls[2]
    monkeypatch.setenv("INVTL_RESULTS", str(tmp_path / "elsewhere"))  # the task gets the submitter's
    assert fn(*call) == {"computed": 1, "skipped": 0, "missing": 0, "busy": 0}
    assert store_mod.Store(tmp_path / "results").load("smoke", "tm", FAKE.jobs("smoke", [0], (), None)[2].config)
    assert main(["run", "tm", "--executor", "submitit-local", "--max-minutes", "1.5"]) == 0
    assert [call[4] for _, call in recorder.last.calls] == [(1, 4), (2, 4), (4, 4)]  # chunk 3 is done


@pytest.mark.parametrize(
    "args,message",
    [
        (["--slurm-extra", "qos"], "malformed --slurm-extra 'qos'"),
        (["--time", "soon"], "malformed --time 'soon'"),
        (["--shard", "1/2"], "--shard works with --executor local only"),
        (["--force"], "--force works with --executor local only"),
        (["--max-minutes", "nan"], "invalid --max-minutes"),
    ],
)
def test_bad_cluster_options_are_one_line(recorder, args, message, capsys):
    assert main(["run", "tm", "--executor", "slurm", *args]) == 2
    assert message in capsys.readouterr().err


def test_slurm_without_sbatch_says_so(monkeypatch, capsys):
    monkeypatch.setattr(executors.shutil, "which", lambda name: None)
    assert main(["run", "tm", "--executor", "slurm"]) == 2
    assert "needs SLURM's sbatch on PATH; valid here: local, submitit-local" in capsys.readouterr().err


def test_wait_sums_counts_and_names_failed_tasks_with_their_logs(tmp_path):
    ok = FakeJob("5_0", tmp_path, counts={"computed": 2, "skipped": 1})
    failed = FakeJob("5_1", tmp_path, error="Traceback (most recent call last):\nRuntimeError: CUDA out of memory")
    killed = FakeJob("5_2", tmp_path)
    for j in (ok, failed):
        j.paths.result_pickle.write_bytes(b"")
    counts, failures = executors.wait([ok, failed, killed], [1, 2, 3], 3, "submitit-local", poll_s=0)
    assert counts == {"computed": 2, "skipped": 1}
    assert failures == [
        f"chunk 2/3 (job 5_1); log {tmp_path / '5_1_0_log.err'}: RuntimeError: CUDA out of memory",
        f"chunk 3/3 (job 5_2); log {tmp_path / '5_2_0_log.err'}: ended without a result (cancelled, killed, or "
        "out of time or memory)",
    ]


def test_status_reports_done_total_running_failed_and_time_left(tmp_path, monkeypatch, capsys):
    tm = experiment("tm")
    jobs = runner.select_jobs(tm, "smoke", None, None, (1, 1))
    store = store_mod.Store()
    store.save("smoke", "tm", jobs[0].config, {"pretraining": {}, "transfer": []}, {})
    corrupt = store.save("smoke", "tm", jobs[1].config, {}, {})
    held = locks.try_lock(store.lock_path("smoke", "tm", jobs[2].config))
    logs = executors.default_logs(executors.Grid("tm", "smoke"))
    logs.mkdir(parents=True)
    record = {"date": "now", "executor": "slurm", "job_ids": ["9_0", "9_1"], "chunks": [1, 2], "of": 2}
    (logs / executors.SUBMISSIONS).write_text(json.dumps({**record, "results": str(store.root)}) + "\n")
    with open(JobPaths(logs, "9_0", task_id=0).result_pickle, "wb") as f:
        pickle.dump(("error", "Traceback (most recent call last):\nValueError: boom"), f)
    monkeypatch.setattr(executors, "squeue_active", lambda ids: {"9_1"})
    try:
        assert main(["status", "--only", "tm", "--json"]) == 1  # a corrupt record, a failed task
    finally:
        held.release()
    s = json.loads(capsys.readouterr().out)["tm"]
    assert (s["done"], s["total"]) == (1, 3) and s["corrupt"][0].startswith(str(corrupt))
    assert s["running"] == [str(store.path("smoke", "tm", jobs[2].config))]
    assert 0 < s["minutes_left"] and s["device"] == "cpu"
    assert s["submission"]["queued_or_running"] == ["9_1"]
    assert s["submission"]["failed"] == [f"chunk 1/2 (job 9_0); log {logs / '9_0_0_log.err'}: ValueError: boom"]
    text = status.format_status(status.status("smoke"), "smoke")
    assert "tm [smoke]: 1/3 done, 0 running, 1 queued/running on slurm, 1 failed, 1 corrupt" in text
    assert "tvo [smoke]: 0/20 done" in text


def test_parse_time():
    cases = {"90": 90, "30:00": 30, "1:30:00": 90, "2-0": 2880, "1-12:30": 2190, "0:0:30": 1}
    assert {text: executors.parse_time(text) for text in cases} == cases
    for bad in ("0", "1:x", "-5", "1:2:3:4"):
        with pytest.raises(ValueError, match="--time"):
            executors.parse_time(bad)


def test_a_local_run_logs_what_it_computed_beside_the_plan(tmp_path):
    """`invtl run` leaves one log per run that computed something (results/PROFILE/runs/), which the
    performance chapter's chunk table reads; a run with nothing left to compute logs nothing."""
    from invtl.book import performance, reproducibility

    store = store_mod.Store()
    store.save("smoke", "tm", {"fake": 1, "i": 0, "seed": 0}, {"value": 0}, {})
    assert runner.run(FAKE, "smoke", shard=(1, 1), device="cpu", progress=False)["computed"] == 3
    assert runner.run(FAKE, "smoke", shard=(1, 1), device="cpu", progress=False)["computed"] == 0
    (log,) = store.runs("smoke")
    assert (log["experiment"], log["shard"], log["jobs"], log["computed"]) == ("tm", "1/1", 3, 3)
    assert log["predicted_s"] == 180.0 and 0 <= log["actual_s"] < 60 and log["start"] <= log["end"]
    assert 0 <= log["cpu_s"] < 60 * (os.cpu_count() or 1)
    assert isinstance(log["dirty"], bool) and log["git_commit"]
    (store.root / "smoke" / "runs" / "broken.json").write_text("{")
    with pytest.warns(UserWarning, match="ignoring run log"):
        assert len(store.runs("smoke")) == 1
    (store.root / "smoke" / "runs" / "broken.json").unlink()
    assert [r[1] for r in reproducibility.store_rows(str(store.root))] == ["tm"]  # the runs folder is no experiment
    rows, caption = performance.chunks(store.root, "smoke")
    assert [r["chunk"] for r in rows] == ["tm-1of1" + (" (dirty)" if log["dirty"] else "")]
    assert "results/smoke/runs/" in caption


def _one_minute_jobs(run_job, n: int) -> runner.Experiment:
    """A fake tm grid of `n` jobs of seed 0, each planned at one minute, computed by `run_job`."""
    return runner.Experiment(
        "tm",
        f"{n} fake one-minute jobs",
        ("p",),
        lambda profile, seeds, legacy, source: [runner.Job({"i": i, "seed": 0}, run_job, "p") for i in range(n)],
        lambda profile: [0],
        phases=lambda config, kind="cpu": {"overhead": 60.0},
        result_keys=("value",),
    )


def test_an_interrupted_run_keeps_the_log_of_what_it_computed():
    def stop_at_two(config, ctx):
        if config["i"] == 2:
            (log,) = store_mod.Store().runs("smoke")  # written after each computed job, not only at the end
            assert log["computed"] == 2 and "interrupted" not in log
            raise KeyboardInterrupt
        return {"value": config["i"]}

    fake = _one_minute_jobs(stop_at_two, 4)
    with pytest.raises(runner.Interrupted):
        runner.run(fake, "smoke", seeds=[0], device="cpu", progress=False)
    (log,) = store_mod.Store().runs("smoke")
    assert (log["jobs"], log["computed"], log["predicted_s"], log["interrupted"]) == (4, 2, 120.0, True)
    assert log["seeds"] == [0] and log["only"] is None


def test_the_run_log_counts_jobs_without_their_data_apart():
    from invtl.book import performance
    from invtl.paths import MissingData

    def needs_data(config, ctx):
        if config["i"] == 1:
            raise MissingData("no cifar100 data under /nowhere")
        return {"value": config["i"]}

    fake = _one_minute_jobs(needs_data, 2)
    with pytest.warns(UserWarning, match="1 tm job not run: no cifar100 data"):
        runner.run(fake, "smoke", device="cpu", progress=False)
    (log,) = store_mod.Store().runs("smoke")
    assert (log["jobs"], log["computed"], log["missing"]) == (2, 1, 1)
    rows, _ = performance.chunks(store_mod.Store().root, "smoke")
    assert rows[0]["chunk"].startswith("tm-1of1 (1 without their data)")


def test_the_run_log_counts_jobs_another_process_holds():
    from invtl.book import performance

    store = store_mod.Store()
    held = locks.try_lock(store.lock_path("smoke", "tm", {"fake": 1, "i": 3, "seed": 0}))
    try:
        with pytest.warns(UserWarning, match="being computed by another process"):
            assert runner.run(FAKE, "smoke", device="cpu", progress=False)["computed"] == 3
    finally:
        held.release()
    (log,) = store.runs("smoke")
    assert (log["jobs"], log["computed"], log["elsewhere"]) == (4, 3, 1)
    rows, _ = performance.chunks(store.root, "smoke")
    assert rows[0]["chunk"].startswith("tm-1of1 (1 computed by another process)")
