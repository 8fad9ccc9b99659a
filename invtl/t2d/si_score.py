"""Where the SI-Score base images come from, pinned: the Hugging Face dataset repository at one commit, and the
sha256 of every file invtl reads from it, both in `si_score_manifest.json` beside this module.

A copy (a download, or a local directory named by env INVTL_SI_SCORE_DIR) is checked against the manifest
before its images are used: a missing, changed or extra file is named in the error. A manifest without a
revision is unpinned: the branch `main` is downloaded and copies are used unchecked, with a warning.
`make_manifest` writes the manifest from a verified copy (`invtl data si-score-manifest DIR`).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import warnings
from pathlib import Path

from invtl import paths

REPO = "tillspeicher/transforms_2d_base"
MANIFEST = Path(__file__).with_name("si_score_manifest.json")
HUB_TIMEOUT_S = 10


class HubUnreachable(paths.MissingData, ConnectionError):
    """The SI-Score images are neither local nor downloadable."""


def load_manifest(path: Path | None = None) -> dict:
    """{"repo", "revision" (a commit, or None when unpinned), "files": {relative path: sha256}} of `path`
    (default `MANIFEST`)."""
    path = Path(path or MANIFEST)
    manifest = json.loads(path.read_text())
    if manifest.get("repo") != REPO or not isinstance(manifest.get("files"), dict):
        raise ValueError(f"{path} is not an SI-Score manifest of {REPO}")
    return manifest


def revision() -> str:
    """The revision to download: env INVTL_SI_SCORE_REVISION, else the manifest's commit, else "main"."""
    return os.environ.get("INVTL_SI_SCORE_REVISION") or load_manifest()["revision"] or "main"


def root() -> Path:
    """The dataset directory: INVTL_SI_SCORE_DIR, else the snapshot in the local Hugging Face cache
    (not refreshed), else a download; `HubUnreachable` when none is there."""
    if local := os.environ.get("INVTL_SI_SCORE_DIR"):
        if not Path(local).is_dir():
            raise HubUnreachable(f"INVTL_SI_SCORE_DIR {local} is not a directory; set it to a copy of {REPO}.")
        return Path(local)
    import huggingface_hub

    kwargs = dict(repo_id=REPO, repo_type="dataset", revision=revision())
    try:
        return Path(huggingface_hub.snapshot_download(**kwargs, local_files_only=True))
    except FileNotFoundError:  # LocalEntryNotFoundError: not in the local Hugging Face cache
        pass
    try:
        # snapshot_download sets no connect timeout: probe first so an unreachable Hub fails fast
        huggingface_hub.HfApi().dataset_info(REPO, revision=revision(), timeout=HUB_TIMEOUT_S)
        return Path(huggingface_hub.snapshot_download(**kwargs))
    except Exception as e:
        cause = (str(e).strip().splitlines() or [""])[0]
        raise HubUnreachable(
            f"could not reach the Hugging Face Hub for {REPO}@{revision()} "
            f"({type(e).__name__}: {cause}); use source='offline' or set INVTL_SI_SCORE_DIR "
            f"to a local copy of the dataset."
        ) from e


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _relative(data: Path, files: list[Path]) -> dict[str, Path]:
    return {f.relative_to(data).as_posix(): f for f in files}


def make_manifest(data: Path, files: list[Path], commit: str | None) -> dict:
    """The manifest of a copy at `data` whose files invtl reads are `files`, for `commit` (40 hex digits,
    or None: unpinned). A directory named by a commit (a Hugging Face snapshot) gives it by default."""
    commit = commit or (data.name if re.fullmatch(r"[0-9a-f]{40}", data.name) else None)
    if commit is not None and not re.fullmatch(r"[0-9a-f]{40}", commit):
        raise ValueError(f"malformed revision {commit!r}; valid: a commit hash of 40 hex digits")
    return {
        "repo": REPO,
        "revision": commit,
        "files": {k: sha256(f) for k, f in sorted(_relative(data, files).items())},
    }


def verify(data: Path, files: list[Path], manifest: dict | None = None) -> None:
    """Check that the files invtl reads from the copy at `data` are exactly the manifest's, byte for byte;
    `ValueError` naming the first few that are missing, changed or extra. An unpinned manifest, or a
    download of another revision (INVTL_SI_SCORE_REVISION), is used unchecked with a warning."""
    manifest = manifest or load_manifest()
    override = os.environ.get("INVTL_SI_SCORE_REVISION")
    if not manifest["revision"] or (override and override != manifest["revision"]):
        why = "holds no commit" if not manifest["revision"] else f"pins {manifest['revision']}, not {override}"
        warnings.warn(
            f"SI-Score copy {data} used unverified: the manifest {MANIFEST.name} {why}; a change to the "
            f"dataset would change the images",
            stacklevel=3,
        )
        return
    found = _relative(data, files)
    expected = manifest["files"]
    problems = [f"{k} missing" for k in sorted(set(expected) - set(found))]
    problems += [f"{k} not in the manifest" for k in sorted(set(found) - set(expected))]
    problems += [f"{k} differs" for k in sorted(set(found) & set(expected)) if sha256(found[k]) != expected[k]]
    if problems:
        more = f" and {len(problems) - 3} more" if len(problems) > 3 else ""
        raise ValueError(
            f"SI-Score copy {data} does not match {REPO}@{manifest['revision'][:12]} ({MANIFEST.name}): "
            f"{'; '.join(problems[:3])}{more}"
        )
