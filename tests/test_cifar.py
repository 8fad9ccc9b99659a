"""CIFAR: loading from small fakes in every supported layout, cache, errors, the stratified split,
class subsets, and whole-image augmentation (book/protocol.md, Data)."""

import io
import os
import pickle
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

from invtl.t2d import cifar
from invtl.t2d.cifar import CIFAR10_CLASSES, load_cifar
from invtl.t2d.cifar_views import augment, class_subset, crop_flip, stratified_split

REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "cifar10"  # the project's local copy, if any
pytestmark = pytest.mark.usefixtures("isolated_cifar")


def smooth(n: int, seed: int) -> torch.Tensor:
    """Low-frequency uint8 images (N, 3, 32, 32), so JPEG loses little."""
    small = torch.rand(n, 3, 4, 4, generator=torch.Generator().manual_seed(seed)) * 200 + 28
    return F.interpolate(small, size=32, mode="bilinear", align_corners=False).round().to(torch.uint8)


# 2 training images and 1 test image per class, in class order (the order of the folder layouts)
TRAIN, TRAIN_LABELS = smooth(20, 0), torch.arange(10).repeat_interleave(2)
TEST, TEST_LABELS = smooth(10, 1), torch.arange(10)


def write_pickle(path: Path, obj: dict) -> None:
    with open(path, "wb") as f:
        pickle.dump(obj, f, protocol=2)


def flat(images: torch.Tensor) -> np.ndarray:
    return images.reshape(len(images), -1).numpy()


def write_torchvision10(root: Path) -> None:
    """The real format: pickled dicts of (N, 3072) uint8 rows (R, G, B planes) and label lists."""
    d = root / "cifar-10-batches-py"
    d.mkdir(parents=True)
    batches = {f"data_batch_{k + 1}": (TRAIN[4 * k : 4 * k + 4], TRAIN_LABELS[4 * k : 4 * k + 4]) for k in range(5)}
    batches["test_batch"] = TEST, TEST_LABELS
    for name, (images, labels) in batches.items():
        write_pickle(
            d / name,
            {
                "batch_label": name,
                "labels": labels.tolist(),
                "data": flat(images),
                "filenames": [f"{i}.png" for i in range(len(images))],
            },
        )
    write_pickle(d / "batches.meta", {"num_cases_per_batch": 4, "label_names": list(CIFAR10_CLASSES), "num_vis": 3072})


def encode(image: torch.Tensor, fmt: str) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(image.permute(1, 2, 0).numpy()).save(
        buffer, format=fmt, **({"quality": 95} if fmt == "JPEG" else {})
    )
    return buffer.getvalue()


def write_folder(directory: Path, images: torch.Tensor, labels: torch.Tensor, fmt: str) -> None:
    for i, (image, label) in enumerate(zip(images, labels)):
        path = directory / CIFAR10_CLASSES[label] / f"{i:04d}.{fmt.lower()}"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(encode(image, fmt))


def write_zip(path: Path, split: str, images: torch.Tensor, labels: torch.Tensor, corrupt: int | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        z.writestr(f"{split}/", b"")
        for i, (image, label) in enumerate(zip(images, labels)):
            data = encode(image, "JPEG")
            z.writestr(
                f"{split}/{CIFAR10_CLASSES[label]}/{i:04d}.jpg", data[: len(data) // 2] if i == corrupt else data
            )


def pil_decode(data: bytes) -> torch.Tensor:
    return torch.from_numpy(np.asarray(Image.open(io.BytesIO(data)).convert("RGB")).copy()).permute(2, 0, 1)


# ---- loading


def test_torchvision_format_cifar10(tmp_path):
    write_torchvision10(tmp_path)
    for split, images, labels in [("train", TRAIN, TRAIN_LABELS), ("test", TEST, TEST_LABELS)]:
        x, y, classes = load_cifar("cifar10", split, tmp_path)
        assert x.dtype == torch.uint8 and y.dtype == torch.int64
        assert torch.equal(x, images) and torch.equal(y, labels)
        assert classes == list(CIFAR10_CLASSES) == sorted(classes)  # torchvision's order is the folder order
    assert not (tmp_path / "cache").exists()  # the pickles are read directly, not cached


def test_torchvision_format_cifar100(tmp_path):
    d = tmp_path / "cifar-100-python"
    d.mkdir()
    names = [f"class{i:03d}" for i in range(100)]
    images, fine = smooth(6, 2), torch.tensor([99, 0, 5, 42, 5, 7])
    for split in ("train", "test"):
        write_pickle(
            d / split,
            {
                "filenames": [],
                "batch_label": split,
                "fine_labels": fine.tolist(),
                "coarse_labels": (fine // 5).tolist(),
                "data": flat(images),
            },
        )
    write_pickle(d / "meta", {"fine_label_names": names, "coarse_label_names": [f"super{i}" for i in range(20)]})
    x, y, classes = load_cifar("cifar100", "test", tmp_path)
    assert torch.equal(x, images) and torch.equal(y, fine) and classes == names
    with pytest.raises(FileNotFoundError, match="cifar-10-batches-py"):
        load_cifar("cifar10", "test", tmp_path)


def test_every_layout_gives_the_same_images(tmp_path):
    write_torchvision10(tmp_path / "tv")
    write_folder(tmp_path / "png" / "train", TRAIN, TRAIN_LABELS, "PNG")
    write_folder(tmp_path / "jpg" / "cifar10" / "train", TRAIN, TRAIN_LABELS, "JPEG")
    write_zip(tmp_path / "zip" / "train.zip", "train", TRAIN, TRAIN_LABELS)
    (tmp_path / "jpg" / "cifar10" / "train" / "cat" / "notes.txt").write_text("not an image")

    loaded = {layout: load_cifar("cifar10", "train", tmp_path / layout) for layout in ("tv", "png", "jpg", "zip")}
    for _x, y, classes in loaded.values():
        assert torch.equal(y, TRAIN_LABELS) and classes == list(CIFAR10_CLASSES)
    assert torch.equal(loaded["tv"][0], TRAIN) and torch.equal(loaded["png"][0], TRAIN)
    jpeg = loaded["zip"][0]
    assert torch.equal(loaded["jpg"][0], jpeg)
    assert (jpeg.int() - TRAIN.int()).abs().float().mean() < 3  # JPEG loss only
    assert torch.equal(jpeg, torch.stack([pil_decode(encode(im, "JPEG")) for im in TRAIN]))


def test_data_root_from_the_environment(tmp_path, monkeypatch):
    write_zip(tmp_path / "cifar10" / "test.zip", "test", TEST, TEST_LABELS)
    monkeypatch.setenv("INVTL_DATA_ROOT", str(tmp_path))
    x, y, _ = load_cifar("cifar10", "test")
    assert x.shape == (10, 3, 32, 32) and torch.equal(y, TEST_LABELS)


def test_missing_data_and_bad_arguments(tmp_path):
    with pytest.raises(FileNotFoundError) as e:
        load_cifar("cifar10", "train", tmp_path / "nowhere")
    message = str(e.value)
    assert "\n" not in message
    for part in (str(tmp_path / "nowhere"), "cifar-10-batches-py", "train.zip", "INVTL_DATA_ROOT", "download=True"):
        assert part in message
    with pytest.raises(ValueError, match="cifar10, cifar100"):
        load_cifar("cifar1000", "train", tmp_path)
    with pytest.raises(ValueError, match="train, test"):
        load_cifar("cifar10", "val", tmp_path)
    write_folder(tmp_path / "few" / "test", TEST[:3], TEST_LABELS[:3], "PNG")
    with pytest.raises(ValueError, match="not CIFAR-10's"):
        load_cifar("cifar10", "test", tmp_path / "few")


def test_corrupt_zip_member_is_named_and_nothing_is_cached(tmp_path):
    write_zip(tmp_path / "test.zip", "test", TEST, TEST_LABELS, corrupt=3)
    with pytest.raises(ValueError) as e:
        load_cifar("cifar10", "test", tmp_path)
    message = str(e.value)
    assert f"test/cat/0003.jpg in {tmp_path / 'test.zip'}" in message and "\n" not in message
    assert not (tmp_path / "cache").exists() and not cifar._MEMO
    (tmp_path / "test.zip").write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="cannot read zip file"):
        load_cifar("cifar10", "test", tmp_path)


def test_cache_roundtrip_and_invalidation(tmp_path, monkeypatch):
    write_zip(tmp_path / "test.zip", "test", TEST, TEST_LABELS)
    x, y, classes = load_cifar("cifar10", "test", tmp_path)
    assert load_cifar("cifar10", "test", tmp_path)[0] is x  # memoised
    assert len(list((tmp_path / "cache" / "cifar").glob("cifar10-test-*.pt"))) == 1

    cifar._MEMO.clear()
    decode = cifar._decode
    monkeypatch.setattr(cifar, "_decode", lambda *a: pytest.fail("decoded although cached"))
    x2, y2, classes2 = load_cifar("cifar10", "test", tmp_path)
    assert torch.equal(x2, x) and torch.equal(y2, y) and classes2 == classes

    write_zip(tmp_path / "test.zip", "test", TEST.flip(-1), TEST_LABELS)  # new content: new size or mtime
    os.utime(tmp_path / "test.zip", ns=(1, 1))
    monkeypatch.setattr(cifar, "_decode", decode)
    x3, _, _ = load_cifar("cifar10", "test", tmp_path)
    assert not torch.equal(x3, x)
    assert len(list((tmp_path / "cache" / "cifar").glob("cifar10-test-*.pt"))) == 2


@pytest.mark.skipif(not (REAL / "test.zip").exists(), reason="no local CIFAR-10 JPEG copy")
def test_real_cifar10_test_zip():
    x, y, classes = load_cifar("cifar10", "test", REAL)  # uncached: INVTL_CACHE is a fresh tmp dir
    assert x.shape == (10_000, 3, 32, 32) and classes == list(CIFAR10_CLASSES)
    assert y.bincount().tolist() == [1000] * 10
    mean = x.float().mean((0, 2, 3)) / 255
    assert torch.allclose(mean, torch.tensor(cifar.CIFAR10_MEAN), atol=0.01)  # RGB order, not BGR


# ---- splits and class subsets


@pytest.mark.parametrize("classes, per_class, n_val", [(10, 5000, 500), (100, 500, 50)])
def test_stratified_split(classes, per_class, n_val):
    shuffle = torch.randperm(classes * per_class, generator=torch.Generator().manual_seed(0))
    labels = torch.arange(classes).repeat(per_class)[shuffle]
    train, val = stratified_split(labels, seed=3)
    assert labels[val].bincount().tolist() == [n_val] * classes
    assert labels[train].bincount().tolist() == [per_class - n_val] * classes
    assert torch.equal(torch.cat([train, val]).sort().values, torch.arange(len(labels)))
    again = stratified_split(labels, seed=3)
    assert torch.equal(again[0], train) and torch.equal(again[1], val)
    assert not torch.equal(stratified_split(labels, seed=4)[1], val)


def test_class_subset():
    labels = torch.arange(10).repeat(100)[torch.randperm(1000, generator=torch.Generator().manual_seed(1))]
    idx, remapped = class_subset(labels, [7, 2, 5], 10, seed=0)
    assert remapped.bincount().tolist() == [10, 10, 10] and torch.equal(idx, idx.sort().values)
    assert torch.equal(torch.tensor([7, 2, 5])[remapped], labels[idx])
    assert torch.equal(class_subset(labels, [7, 2, 5], 10, seed=0)[0], idx)
    assert not torch.equal(class_subset(labels, [7, 2, 5], 10, seed=1)[0], idx)
    larger, _ = class_subset(labels, [7, 2, 5], 40, seed=0)
    assert set(idx.tolist()) <= set(larger.tolist())  # nested
    assert class_subset(labels, [4, 0], 0.05, seed=0)[1].bincount().tolist() == [5, 5]
    assert class_subset(labels, [4, 0], 0.001, seed=0)[1].bincount().tolist() == [1, 1]
    assert class_subset(labels, [4], None, seed=0)[1].tolist() == [0] * 100

    with pytest.raises(ValueError, match="class 7 holds 100 samples, 101 requested"):
        class_subset(labels, [7, 2], 101, seed=0)
    with pytest.warns(UserWarning, match="class 7: 100 of 101"):
        _, clamped = class_subset(labels, [7, 2], 101, seed=0, clamp=True)
    assert clamped.bincount().tolist() == [100, 100]
    for bad in ([3, 3], [42]):
        with pytest.raises(ValueError):
            class_subset(labels, bad, 5, seed=0)
    with pytest.raises(ValueError, match="per_class"):
        class_subset(labels, [1], 1.5, seed=0)


# ---- augmentation


def coordinates(n: int) -> torch.Tensor:
    """Pattern image: R = 8x, G = 8y, B = 255 (never black), so a pixel tells where it came from."""
    r = torch.arange(32) * 8
    image = torch.stack([r.view(1, 32).expand(32, 32), r.view(32, 1).expand(32, 32), torch.full((32, 32), 255)])
    return image.to(torch.uint8).expand(n, 3, 32, 32).contiguous()


def random_images(n: int, seed: int = 0) -> torch.Tensor:
    return torch.randint(1, 256, (n, 3, 32, 32), generator=torch.Generator().manual_seed(seed), dtype=torch.uint8)


def test_augment_is_a_function_of_key_and_index():
    images, idx = random_images(48), torch.arange(100, 148)
    ts = ["scale", "translate", "rotate", "shear", "hue", "noise", "elastic", "erasing", "pixelate", "contrast"]
    out = augment(images, ts, 7, idx)
    assert out.dtype == torch.uint8 and out.shape == images.shape
    perm = torch.randperm(48, generator=torch.Generator().manual_seed(0))
    assert torch.equal(augment(images[perm], ts, 7, idx[perm]), out[perm])
    assert torch.equal(augment(images[5:6], ts, 7, idx[5:6]), out[5:6])
    assert torch.equal(augment(images, ["none"] + ts, 7, idx), out)
    twin = augment(images, ["rotate", "hue", "blur"], 8, idx)
    assert (twin != augment(images, ["rotate", "hue", "blur"], 7, idx)).flatten(1).any(1).all()


def measured_shift(out: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Shift of each coordinates() image, read from the centre pixel."""
    centre = out[:, :, 16, 16].long()
    return 16 - centre[:, 0] // 8, 16 - centre[:, 1] // 8


@pytest.mark.parametrize(
    "legacy, shifts", [(frozenset(), range(-4, 6)), (frozenset({"legacy_cifar_translate"}), range(4, 14))]
)
def test_translate_range(legacy, shifts):
    out = augment(coordinates(2000), ["translate"], 1, torch.arange(2000), legacy)
    dx, dy = measured_shift(out)
    assert set(dx.tolist()) == set(dy.tolist()) == set(shifts)
    i = int(torch.nonzero((dx == shifts[-1]) & (dy == shifts[-1]))[0])
    assert (out[i, :, :, : shifts[-1]] == 0).all() and (out[i, :, : shifts[-1]] == 0).all()  # black fill
    assert (out[i, 2, shifts[-1] :, shifts[-1] :] == 255).all()


def test_erasing_leaves_a_black_14px_square():
    out = augment(random_images(400), ["erasing"], 2, torch.arange(400))
    black = (out == 0).all(1)
    erased = black.flatten(1).any(1)
    assert 0.4 < erased.float().mean() < 0.6
    for mask in black[erased]:
        ys, xs = mask.nonzero().unbind(1)
        y0, x0 = int(ys.min()), int(xs.min())
        assert mask.sum() == 14 * 14 and mask[y0 : y0 + 14, x0 : x0 + 14].all() and y0 <= 17 and x0 <= 17


def test_photometric_ops_touch_every_pixel():
    colours = torch.randint(0, 256, (64, 3, 1, 1), generator=torch.Generator().manual_seed(3), dtype=torch.uint8)
    flat_images = colours.expand(64, 3, 32, 32).contiguous()
    for name in ("hue", "brightness", "grayscale", "posterize", "invert", "sharpen", "contrast", "blur"):
        out = augment(flat_images, [name], 4, torch.arange(64))
        assert (out == out[:, :, :1, :1]).all(), name  # uniform, border included: no alpha rim
    images = random_images(64)
    out = augment(images, ["invert"], 4, torch.arange(64))
    inverted = (out == 255 - images).flatten(1).all(1)
    assert inverted.any() and torch.equal(out[~inverted], images[~inverted])


def test_geometric_fill_is_black():
    grey = torch.full((64, 3, 32, 32), 200, dtype=torch.uint8)
    for name in ("rotate", "shear"):
        out = augment(grey, [name], 5, torch.arange(64))
        assert set(out.unique().tolist()) == {0, 200}, name
    out = augment(grey, ["scale"], 5, torch.arange(64))
    sides = (out[:, 0, 16] > 0).sum(1)  # round(32 f), f in [0.4, 1)
    assert 13 <= sides.min() and sides.max() <= 32 and len(sides.unique()) > 10
    for image, k in zip(out, sides.tolist()):
        o = (32 - k) // 2
        square = torch.zeros(32, 32, dtype=torch.bool)
        square[o : o + k, o : o + k] = True
        assert torch.equal(image[0] > 0, square) and (image[:, square] == 200).all()
    with pytest.raises(ValueError, match="legacy_cifar_translate"):
        augment(grey, ["scale"], 5, torch.arange(64), frozenset({"legacy_scale_bb"}))


def test_crop_flip():
    images, idx = coordinates(1000), torch.arange(1000)
    out = crop_flip(images, 9, idx)
    flipped = out[:, 0, 16, 17] < out[:, 0, 16, 16]
    assert 0.4 < flipped.float().mean() < 0.6
    unflipped = torch.where(flipped.view(-1, 1, 1, 1), out.flip(-1), out)
    dx, dy = measured_shift(unflipped)
    assert set(dx.tolist()) == set(dy.tolist()) == set(range(-4, 5))
    perm = torch.randperm(1000, generator=torch.Generator().manual_seed(0))
    assert torch.equal(crop_flip(images[perm], 9, idx[perm]), out[perm])
    assert not torch.equal(crop_flip(images, 10, idx), out)


def test_augment_tracks_the_originals_rgb_and_rgba_modes():
    """The authors' CIFAR images stay PIL "RGB" through rotate (black, opaque corners that a later invert turns
    white) and become RGBA after scale (transparent corners: a later invert pastes them to black)."""
    images = torch.full((4, 3, 32, 32), 100, dtype=torch.uint8)
    idx = torch.arange(4)
    rotated = augment(images, ["rotate", "invert"], key=1, indices=idx)
    corner = rotated[:, :, 0, 0]
    turned = augment(images, ["rotate"], key=1, indices=idx)[:, :, 0, 0] == 0  # rotated away from the corner
    fired = rotated[:, 0, 16, 16] == 155  # the centre stays inside the rotated image
    assert fired.any() and turned.all()
    for i in range(4):
        if turned[i].all():
            assert corner[i].tolist() == ([255] * 3 if fired[i] else [0] * 3)
    scaled = augment(images, ["scale", "invert"], key=2, indices=idx)
    assert (scaled[:, :, 0, 0] == 0).all()  # transparent border: pasted through alpha 0, whether invert fired or not
