import json
import os
import warnings
from pathlib import Path

import pytest
import torch

import invtl
from invtl.engine import store
from invtl.engine.store import Store, checkpoint_dir, config_key, load_checkpoint, provenance, save_checkpoint

CONFIG = {"arch": "resnet18", "seed": 3, "transforms": ["rotate", "hue"], "lr": 0.1}
RESULT = {"acc": 0.75, "l2": 0.4}


def _save(s: Store, config: dict = CONFIG) -> os.PathLike:
    return s.save("quick", "e5", config, RESULT, provenance("quick", config, 1.5, "cpu", "fp32"))


def test_roundtrip_and_file_format(tmp_path):
    s = Store(tmp_path)
    assert s.load("quick", "e5", CONFIG) is None
    path = _save(s)
    assert path == tmp_path / "quick" / "e5" / f"{config_key(CONFIG)}.json" and len(path.stem) == 16
    record = s.load("quick", "e5", CONFIG)
    assert record["config"] == CONFIG and record["result"] == RESULT
    stored = json.loads(path.read_text())
    prov = stored["provenance"]
    assert {
        "profile",
        "seed",
        "source",
        "device",
        "precision",
        "git_commit",
        "dirty",
        "torch_version",
        "wall_time_s",
        "date",
        "invtl_version",
        "python_version",
        "phases_s",
    } <= set(prov)
    assert prov["profile"] == "quick" and prov["seed"] == 3 and prov["precision"] == "fp32"
    assert prov["invtl_version"] == invtl.__version__ and prov["torch_version"] == torch.__version__
    assert prov["wall_time_s"] == 1.5 and "cores" in prov["device"]
    assert prov["date"].endswith("+00:00") and prov["git_commit"]
    assert not any("host" in k for k in prov)
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary files left


def test_keys(tmp_path):
    s = Store(tmp_path)
    reordered = dict(reversed(list(CONFIG.items())))
    assert s.path("quick", "e5", reordered) == s.path("quick", "e5", CONFIG)
    assert s.path("quick", "e5", {**CONFIG, "seed": 4}) != s.path("quick", "e5", CONFIG)
    _save(s)
    assert s.load("quick", "e5", reordered)["config"] == CONFIG
    assert s.load("quick", "e5", {**CONFIG, "seed": 4}) is None


def test_default_root_from_env(tmp_path, monkeypatch):
    monkeypatch.setenv("INVTL_RESULTS", str(tmp_path))
    assert Store().root == tmp_path
    monkeypatch.delenv("INVTL_RESULTS")
    checkout = Path(__file__).resolve().parents[1]
    monkeypatch.chdir(checkout / "invtl")
    assert Store().root == checkout / "results"  # results/ of the checkout the command runs in
    monkeypatch.chdir(tmp_path)
    assert Store().root == tmp_path / "results"  # outside a checkout: ./results


@pytest.mark.parametrize(
    "corrupt",
    [
        lambda text: text[: len(text) // 2],  # truncated
        lambda text: "not json",
        lambda text: json.dumps({"config": CONFIG, "result": RESULT}),  # missing provenance
        lambda text: text.replace('"seed": 3', '"seed": 5'),  # stored config differs
    ],
)
def test_corrupt_file_is_reported_and_ignored(tmp_path, corrupt):
    s = Store(tmp_path)
    path = _save(s)
    path.write_text(corrupt(path.read_text()))
    with pytest.warns(UserWarning, match=path.name):
        assert s.load("quick", "e5", CONFIG) is None
    with pytest.warns(UserWarning, match=path.name):
        assert s.results("quick", "e5") == []


def test_interrupted_write_leaves_nothing(tmp_path, monkeypatch):
    s = Store(tmp_path)

    def fail(*args):
        raise OSError("interrupted")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="interrupted"):
        _save(s)
    monkeypatch.undo()
    assert list((tmp_path / "quick" / "e5").iterdir()) == []
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert s.load("quick", "e5", CONFIG) is None


def test_results_skips_corrupt(tmp_path):
    s = Store(tmp_path)
    paths = [_save(s, {**CONFIG, "seed": seed}) for seed in range(3)]
    paths[1].write_text("{")
    with pytest.warns(UserWarning, match=paths[1].name):
        records = s.results("quick", "e5")
    assert sorted(r["config"]["seed"] for r in records) == [0, 2]
    assert [config_key(r["config"]) for r in records] == sorted(config_key(r["config"]) for r in records)
    assert s.results("quick", "missing") == []


def test_checkpoints(tmp_path, monkeypatch):
    monkeypatch.setenv("INVTL_CACHE", str(tmp_path))
    assert checkpoint_dir() == tmp_path / "checkpoints"
    path = checkpoint_dir() / "net.pt"
    state = torch.nn.Linear(3, 2).state_dict()
    save_checkpoint(path, state, "abc")
    loaded = load_checkpoint(path, "abc")
    assert loaded.keys() == state.keys() and all(torch.equal(loaded[k], state[k]) for k in state)
    assert [p.name for p in path.parent.iterdir()] == ["net.pt"]
    assert load_checkpoint(tmp_path / "absent.pt", "abc") is None
    with pytest.warns(UserWarning, match="net.pt: made for another configuration"):  # a checkpoint of another job
        assert load_checkpoint(path, "xyz") is None
    torch.save(state, path)  # a bare state dict carries no key: never used
    with pytest.warns(UserWarning, match="net.pt: made for another configuration"):
        assert load_checkpoint(path, "abc") is None
    path.write_bytes(path.read_bytes()[:100])
    with pytest.warns(UserWarning, match="net.pt"):
        assert load_checkpoint(path, "abc") is None


def test_config_mismatch_under_same_key(tmp_path, monkeypatch):
    monkeypatch.setattr(store, "config_key", lambda config: "0" * 16)  # force a collision
    s = Store(tmp_path)
    path = _save(s)
    with pytest.warns(UserWarning, match=f"{path.name}: stored config differs"):
        assert s.load("quick", "e5", {**CONFIG, "seed": 4}) is None
    assert s.load("quick", "e5", CONFIG)["result"] == RESULT


def test_temporary_cache_reuses_no_cache_and_restores_the_environment(tmp_path, monkeypatch):
    from invtl import paths

    monkeypatch.setenv("INVTL_CACHE", str(tmp_path / "mine"))
    monkeypatch.delenv("TORCHINDUCTOR_CACHE_DIR", raising=False)
    with paths.temporary_cache() as tmp:
        assert os.environ["INVTL_CACHE"] == str(tmp / "cache")
        assert os.environ["TORCHINDUCTOR_CACHE_DIR"] == str(tmp / "inductor")  # compiled kernels start cold too
    assert not tmp.exists()
    assert os.environ["INVTL_CACHE"] == str(tmp_path / "mine") and "TORCHINDUCTOR_CACHE_DIR" not in os.environ
