"""CIFAR-10 / CIFAR-100: loading, the seeded stratified split, class subsets, and augmentation.

`load_cifar` reads one split from the first layout it finds under the data root (argument, else
env INVTL_DATA_ROOT, else ~/.cache/invtl/data), looking in `<root>/<name>` and then `<root>`:

- torchvision's own format (`cifar-10-batches-py/`, `cifar-100-python/`): the original pixels.
  `download=True` fetches it with torchvision when no local copy is found. Its pickled batches are
  read by a restricted unpickler (`SafeUnpickler`): a crafted file cannot run code.
- an ImageFolder directory `<split>/<class>/<file>` (JPEG, PNG, ...),
- a zip file `<split>.zip` with members `<split>/<class>/<file>`, read in place.

Classes of ImageFolder and zip sources are the folder names in alphabetical order, which for
CIFAR-10 is torchvision's class order (checked). Decoded images are memoised in-process and cached
under $INVTL_CACHE (default ~/.cache/invtl), keyed by the source files' paths, sizes and mtimes.

`augment` applies Transforms-2D transformations to whole images (book/protocol.md, Data) and
`crop_flip` the default CIFAR augmentation (E-4); both draw keyed random numbers, so a sample's
augmentation is a pure function of (key, index).
"""

from __future__ import annotations

import builtins
import codecs
import hashlib
import io
import os
import pickle
import warnings
import zipfile
from importlib import import_module
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from invtl import paths
from invtl.t2d.sources import IMAGE_SUFFIXES

NAMES = ("cifar10", "cifar100")
SPLITS = ("train", "test")
CIFAR_LEGACY = ("legacy_cifar_translate", "legacy_noise_wrap")
CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
NUM_CLASSES = {"cifar10": 10, "cifar100": 100}

CIFAR10_MEAN, CIFAR10_STD = (0.4914, 0.4822, 0.4465), (0.2023, 0.1994, 0.2010)
CIFAR100_MEAN, CIFAR100_STD = (0.5071, 0.4865, 0.4409), (0.2673, 0.2564, 0.2762)
NORMALISATION = {"cifar10": (CIFAR10_MEAN, CIFAR10_STD), "cifar100": (CIFAR100_MEAN, CIFAR100_STD)}
"""(mean, std) per dataset (book/protocol.md, Data)."""

SIZE = 32
CROP_PADDING = 4
_CACHE_VERSION = 1  # bump when decoding changes

# torchvision format: directory, batch files per split, meta file, class-name key, label key
_TORCHVISION = {
    "cifar10": (
        "cifar-10-batches-py",
        {"train": [f"data_batch_{i}" for i in range(1, 6)], "test": ["test_batch"]},
        "batches.meta",
        "label_names",
        "labels",
    ),
    "cifar100": ("cifar-100-python", {"train": ["train"], "test": ["test"]}, "meta", "fine_label_names", "fine_labels"),
}

Loaded = tuple[torch.Tensor, torch.Tensor, list[str]]
_MEMO: dict[str, Loaded] = {}


# ---------------------------------------------------------------------------------------------
# Loading


def load_cifar(
    name: str = "cifar10", split: str = "train", root: str | os.PathLike | None = None, download: bool = False
) -> Loaded:
    """uint8 images (N, 3, 32, 32), int64 labels (N,) and the class names of one CIFAR split.

    The returned tensors are shared with the in-process memo: do not modify them in place.
    """
    if name not in NAMES:
        raise ValueError(f"unknown CIFAR dataset {name!r}; valid: {', '.join(NAMES)}")
    if split not in SPLITS:
        raise ValueError(f"unknown CIFAR split {split!r}; valid: {', '.join(SPLITS)}")
    base = Path(root).expanduser() if root else paths.data_root()
    found = _find(name, split, base)
    if found is None and download:
        import torchvision  # slow to import, and only needed here

        getattr(torchvision.datasets, name.upper())(str(base), train=split == "train", download=True)
        found = _find(name, split, base)
    if found is None:
        tv_dir = _TORCHVISION[name][0]
        raise FileNotFoundError(
            f"no {name} {split} data under {base} (also searched {base / name}): expected torchvision's {tv_dir}/, "
            f"an ImageFolder {split}/<class>/<image>, or {split}.zip with members {split}/<class>/<image>; "
            f"pass root=, set INVTL_DATA_ROOT, or pass download=True to download it with torchvision"
        )
    layout, path = found
    files = _source_files(name, split, layout, path)
    stats = [(str(f.resolve()), st.st_size, st.st_mtime_ns) for f in files for st in [f.stat()]]
    key = hashlib.sha256(repr((_CACHE_VERSION, name, split, layout, stats)).encode()).hexdigest()[:16]
    if key not in _MEMO:
        if layout == "torchvision":  # unpickling is fast: no disk cache
            _MEMO[key] = _check_classes(name, path, _read_torchvision(name, split, path))
        else:
            cache = paths.cache_root() / "cifar" / f"{name}-{split}-{key}.pt"
            loaded = _read_cache(cache)
            if loaded is None:
                read = _read_zip(split, path) if layout == "zip" else _read_folder(path, files)
                loaded = _check_classes(name, path, read)
                _write_cache(cache, loaded)
            _MEMO[key] = loaded
    images, labels, classes = _MEMO[key]
    return images, labels, list(classes)


def available(name: str, splits: tuple[str, ...] = SPLITS, root: str | os.PathLike | None = None) -> bool:
    """Whether `load_cifar(name, split)` finds every split of `splits` under the data root (looks at file
    and folder names only, decodes nothing). An ImageFolder or zip directly in the root (not in
    `<root>/<name>`) counts only if it has that dataset's number of classes, so a CIFAR-10 copy is not
    taken for CIFAR-100."""
    base = Path(root).expanduser() if root else paths.data_root()
    for split in splits:
        found = _find(name, split, base)
        if found is None:
            return False
        layout, path = found
        if layout != "torchvision" and path.parent != base / name and _num_classes(layout, path) != NUM_CLASSES[name]:
            return False
    return True


def require(name: str) -> None:
    """Raise `MissingData` naming the dataset and the data root unless `name` is available."""
    if not available(name):
        raise paths.MissingData(
            f"no {name} data (train and test) under the data root {paths.data_root()} (set INVTL_DATA_ROOT)"
        )


def _num_classes(layout: str, path: Path) -> int:
    try:
        if layout == "zip":
            with zipfile.ZipFile(path) as z:
                return len({p[1] for m in z.namelist() if len(p := m.split("/")) == 3 and p[1]})
        return sum(1 for c in path.iterdir() if c.is_dir() and not c.name.startswith("."))
    except (OSError, zipfile.BadZipFile):
        return 0


def _find(name: str, split: str, root: Path) -> tuple[str, Path] | None:
    """(layout, path) of the first source found under root/name, then root."""
    for base in (root / name, root):
        if (base / _TORCHVISION[name][0]).is_dir():
            return "torchvision", base / _TORCHVISION[name][0]
        if (base / split).is_dir():
            return "folder", base / split
        if (base / f"{split}.zip").is_file():
            return "zip", base / f"{split}.zip"
    return None


def _source_files(name: str, split: str, layout: str, path: Path) -> list[Path]:
    """The files a source is read from (their paths, sizes and mtimes key the cache)."""
    if layout == "torchvision":
        return _torchvision_files(name, split, path)
    return [path] if layout == "zip" else _folder_files(path)


def _check_classes(name: str, path: Path, loaded: Loaded) -> Loaded:
    classes = loaded[2]
    if name == "cifar10" and tuple(classes) != CIFAR10_CLASSES:
        raise ValueError(f"{path}: classes {classes} are not CIFAR-10's {list(CIFAR10_CLASSES)}")
    if len(classes) != NUM_CLASSES[name]:
        raise ValueError(f"{path}: found {len(classes)} classes, {name} has {NUM_CLASSES[name]}")
    return loaded


def _one_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return f"{type(e).__name__}: {text[0]}" if text else type(e).__name__


# --- torchvision format -----------------------------------------------------------------------


def _torchvision_files(name: str, split: str, path: Path) -> list[Path]:
    _, batches, meta, _, _ = _TORCHVISION[name]
    files = [path / f for f in batches[split] + [meta]]
    for f in files:
        if not f.is_file():
            raise FileNotFoundError(
                f"{f} is missing from the torchvision {name} directory {path}; "
                f"remove the directory and pass download=True to download it again"
            )
    return files


_NUMPY_GLOBALS = {"_reconstruct": "multiarray", "scalar": "multiarray", "_frombuffer": "numeric"}
"""numpy's array constructors that its pickles name (as numpy.core.* before numpy 2, numpy._core.* since)."""
_BUILTINS = ("list", "dict", "bytes", "str", "int", "float", "tuple")


class SafeUnpickler(pickle.Unpickler):
    """Loads only what CIFAR batch files hold: dicts, lists, tuples, str, bytes, numbers, numpy arrays and
    dtypes. Any other global (a function to call, a class to build) is refused before anything runs."""

    def find_class(self, module: str, name: str):
        if module in ("builtins", "__builtin__") and name in _BUILTINS:
            return getattr(builtins, name)
        if (module, name) in (("numpy", "ndarray"), ("numpy", "dtype")):
            return getattr(np, name)
        if (module, name) == ("_codecs", "encode"):  # how Python 3 pickles bytes at protocol 2
            return codecs.encode
        sub = _NUMPY_GLOBALS.get(name)
        if sub is not None and module in (f"numpy.core.{sub}", f"numpy._core.{sub}"):
            for base in ("numpy._core", "numpy.core"):
                try:
                    return getattr(import_module(f"{base}.{sub}"), name)
                except (ImportError, AttributeError):
                    continue
        raise pickle.UnpicklingError(f"refused global {module}.{name}: CIFAR batches hold no such object")


def _unpickle(path: Path, keys: tuple[str, ...]) -> dict:
    try:
        with open(path, "rb") as f:
            d = SafeUnpickler(f, encoding="latin1").load()
        if not isinstance(d, dict):
            raise TypeError(f"holds a {type(d).__name__}, not a dict")
        missing = [k for k in keys if k not in d]
        if missing:
            raise KeyError(f"no {missing[0]!r} entry")
        return d
    except Exception as e:
        raise ValueError(f"cannot read CIFAR batch file {path} ({_one_line(e)})") from e


def _read_torchvision(name: str, split: str, path: Path) -> Loaded:
    """The pickled batches, read as torchvision does (its constructor would also demand the
    official files' MD5 sums, which copies in the same format cannot meet)."""
    _, batches, meta, class_key, label_key = _TORCHVISION[name]
    images, labels = [], []
    for f in batches[split]:
        d = _unpickle(path / f, ("data", label_key))
        data = np.asarray(d["data"], dtype=np.uint8)
        if data.ndim != 2 or data.shape[1] != 3 * SIZE * SIZE or len(data) != len(d[label_key]):
            raise ValueError(
                f"{path / f}: data of shape {data.shape} with {len(d[label_key])} labels, "
                f"expected (N, {3 * SIZE * SIZE}) with N labels"
            )
        images.append(torch.from_numpy(data.reshape(-1, 3, SIZE, SIZE)))
        labels.append(torch.as_tensor(d[label_key], dtype=torch.int64))
    classes = [str(c) for c in _unpickle(path / meta, (class_key,))[class_key]]
    labels = torch.cat(labels)
    if len(labels) and not 0 <= int(labels.min()) <= int(labels.max()) < len(classes):
        raise ValueError(f"{path}: labels outside 0..{len(classes) - 1}")
    return torch.cat(images), labels, classes


# --- ImageFolder and zip ------------------------------------------------------------------------


def _is_image(filename: str) -> bool:
    return not filename.startswith(".") and filename.lower().endswith(IMAGE_SUFFIXES)


def _folder_files(path: Path) -> list[Path]:
    """Every image in `path/<class>/`, classes and files in alphabetical order."""
    return [
        f
        for c in sorted(path.iterdir())
        if c.is_dir() and not c.name.startswith(".")
        for f in sorted(c.iterdir())
        if f.is_file() and _is_image(f.name)
    ]


def _read_folder(path: Path, files: list[Path]) -> Loaded:
    return _assemble(path, [f.parent.name for f in files], [str(f) for f in files], [f.read_bytes() for f in files])


def _read_zip(split: str, path: Path) -> Loaded:
    try:
        with zipfile.ZipFile(path) as z:
            members = sorted(
                m for m in z.namelist() if len(p := m.split("/")) == 3 and p[0] == split and p[1] and _is_image(p[2])
            )
            blobs = []
            for m in members:
                try:
                    blobs.append(z.read(m))
                except (zipfile.BadZipFile, OSError) as e:
                    raise ValueError(f"cannot read {m} in {path} ({_one_line(e)})") from e
    except (zipfile.BadZipFile, OSError) as e:
        raise ValueError(f"cannot read zip file {path} ({_one_line(e)})") from e
    return _assemble(path, [m.split("/")[1] for m in members], [f"{m} in {path}" for m in members], blobs)


def _assemble(path: Path, class_of: list[str], names: list[str], blobs: list[bytes]) -> Loaded:
    if not names:
        raise ValueError(f"no images in {path}: expected <class>/<image> files")
    classes = sorted(set(class_of))
    index = {c: i for i, c in enumerate(classes)}
    labels = torch.tensor([index[c] for c in class_of], dtype=torch.int64)
    return _decode(names, blobs), labels, classes


def _decode(names: list[str], blobs: list[bytes]) -> torch.Tensor:
    """uint8 (N, 3, 32, 32), decoded with Pillow; an undecodable file is named in a ValueError."""
    out = np.empty((len(blobs), SIZE, SIZE, 3), dtype=np.uint8)
    for i, (name, blob) in enumerate(zip(names, blobs)):
        try:
            with Image.open(io.BytesIO(blob)) as im:
                im.load()
                array = np.asarray(im if im.mode == "RGB" else im.convert("RGB"))
        except Exception as e:
            raise ValueError(f"cannot decode image {name} ({_one_line(e)})") from e
        if array.shape != (SIZE, SIZE, 3):
            raise ValueError(f"image {name} is {array.shape[1]}x{array.shape[0]}, expected {SIZE}x{SIZE}")
        out[i] = array
    return torch.from_numpy(out).permute(0, 3, 1, 2).contiguous()


# --- disk cache ---------------------------------------------------------------------------------


def _read_cache(path: Path) -> Loaded | None:
    try:
        d = torch.load(path, weights_only=True)
        return d["images"], d["labels"], list(d["classes"])
    except Exception:  # missing or corrupt: rebuild
        return None


def _write_cache(path: Path, loaded: Loaded) -> None:
    """Atomic write; a cache that cannot be written only costs the decoding next time."""
    images, labels, classes = loaded
    buffer = io.BytesIO()
    torch.save({"images": images, "labels": labels, "classes": list(classes)}, buffer)
    try:
        paths.atomic_write(path, buffer.getvalue())
    except OSError as e:
        warnings.warn(f"could not write the CIFAR cache {path} ({_one_line(e)})", stacklevel=3)
