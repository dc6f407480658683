"""Vosk model location, listing and download.

Why our own downloader: the official archives are large (45 MB / 1.8 GB), the
servers that run the hotline may sit behind slow links, and a half-downloaded
or tampered model must never be loaded. So the download resumes (HTTP Range),
verifies SHA-256 before anything is unpacked, and unpacks next to the target
and renames into place, so `models_dir` only ever holds complete models.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

log = logging.getLogger(__name__)

OFFICIAL_BASE_URL = "https://alphacephei.com/vosk/models/"

NO_MODEL_MESSAGE = (
    "no speech model installed; the hotline works by keypad; "
    "run hotline models download ru-small where internet is reachable"
)

SOURCE_FILE = ".hotline-source.json"  # written into an installed model: where it came from, its checksum


@dataclass(frozen=True)
class ModelSpec:
    key: str
    name: str  # the archive's top directory and our install directory
    size: int  # bytes of the .zip
    sha256: str | None  # None: not pinned (see the catalogue comment)
    grammars: bool  # lookahead graph (HCLr+Gr) → per-question grammars work
    description: str

    @property
    def archive(self) -> str:
        return f"{self.name}.zip"


# Checksums: this machine cannot reach alphacephei.com, so the values come from Git LFS
# pointers of public repositories that committed the official archive (pointer = sha256 +
# size of the committed file). ru-big: one such copy, size matching the site's 1.8G.
# ru-small: two copies of the same size (46077215 bytes) carry different hashes, so neither
# is trustworthy and the small model is left unpinned: `download` then asks for
# `--sha256 HEX` (from the publisher or a copy you trust) or an explicit `--unpinned`.
CATALOGUE: dict[str, ModelSpec] = {
    "ru-small": ModelSpec(
        key="ru-small",
        name="vosk-model-small-ru-0.22",
        size=46_077_215,
        sha256=None,
        grammars=True,
        description="Russian, small (45 MB), per-question grammars; the production choice",
    ),
    "ru-big": ModelSpec(
        key="ru-big",
        name="vosk-model-ru-0.42",
        size=1_935_359_207,
        sha256="b8090fca9c6791aa45b2462e76d4c4bf4c7b9b796b02bbe853502a11b92ca9b6",
        grammars=False,
        description="Russian, big (1.8 GB), more accurate, fixed graph: grammars ignored",
    ),
}


class ModelError(Exception):
    """A clear, user-facing problem with a model (missing, corrupt download, bad archive)."""


class DownloadInterrupted(ModelError):
    pass


class ChecksumMismatch(ModelError):
    pass


@dataclass(frozen=True)
class InstalledModel:
    name: str
    path: Path
    size: int  # bytes on disk
    sample_rate: int
    grammars: bool
    sha256: str | None  # as verified at download, if we downloaded it


def looks_like_model(path: Path) -> bool:
    return (path / "am" / "final.mdl").is_file() and (path / "conf" / "model.conf").is_file()


def model_sample_rate(path: Path) -> int:
    """The rate the model's features expect: `--sample-frequency` in conf/mfcc.conf, else Kaldi's 16000."""
    conf = path / "conf" / "mfcc.conf"
    if conf.is_file():
        for line in conf.read_text(encoding="utf-8", errors="replace").splitlines():
            key, _, value = line.strip().partition("=")
            if key == "--sample-frequency":
                return int(float(value))
    return 16000


def model_supports_grammars(path: Path) -> bool:
    """Runtime grammars need the lookahead graph (HCLr.fst + Gr.fst); a static HCLG.fst ignores them."""
    graph = path / "graph"
    lookahead = (graph / "HCLr.fst").is_file() and (graph / "Gr.fst").is_file()
    return lookahead and not (graph / "HCLG.fst").is_file()


def _dir_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def describe(path: Path) -> InstalledModel:
    sha = None
    source = path / SOURCE_FILE
    if source.is_file():
        try:
            sha = json.loads(source.read_text()).get("sha256")
        except ValueError:
            sha = None
    return InstalledModel(
        name=path.name,
        path=path,
        size=_dir_size(path),
        sample_rate=model_sample_rate(path),
        grammars=model_supports_grammars(path),
        sha256=sha,
    )


def installed_models(models_dir: Path) -> list[InstalledModel]:
    """Complete models under `models_dir`, catalogue models first (small before big), then by name."""
    if not models_dir.is_dir():
        return []
    order = {spec.name: i for i, spec in enumerate(CATALOGUE.values())}
    found = [p for p in models_dir.iterdir() if not p.name.startswith(".") and looks_like_model(p)]
    found.sort(key=lambda p: (order.get(p.name, len(order)), p.name))
    return [describe(p) for p in found]


def find_model(models_dir: Path, wanted: str | None = None) -> Path | None:
    """The model to load: `wanted` as a path or a name under `models_dir`, else the first installed."""
    if wanted:
        for candidate in (Path(wanted).expanduser(), models_dir / wanted):
            if looks_like_model(candidate):
                return candidate.absolute()
        spec = CATALOGUE.get(wanted)
        if spec and looks_like_model(models_dir / spec.name):
            return (models_dir / spec.name).absolute()
        raise ModelError(f"speech model {wanted!r} not found (looked for a path and under {models_dir})")
    models = installed_models(models_dir)
    return models[0].path.absolute() if models else None


# --- download -----------------------------------------------------------------------------------

Progress = Callable[[int, int | None], None]  # (bytes so far, total or None)


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _fetch(url: str, part: Path, progress: Progress | None, timeout: float) -> None:
    """Download `url` into `part`, continuing a previous partial file with an HTTP Range request."""
    have = part.stat().st_size if part.exists() else 0
    headers = {"Accept-Encoding": "identity"}  # byte offsets must be the file's, for Range
    if have:
        headers["Range"] = f"bytes={have}-"
    try:
        with httpx.stream("GET", url, headers=headers, timeout=timeout, follow_redirects=True) as resp:
            if resp.status_code == 416 and have:
                return  # the partial file is already complete; the checksum decides
            if resp.status_code == 206:
                mode = "ab"
            elif resp.status_code == 200:
                mode, have = "wb", 0  # server ignored Range: start over
            else:
                raise ModelError(f"download of {url} failed: HTTP {resp.status_code}")
            length = resp.headers.get("Content-Length")
            total = have + int(length) if length and length.isdigit() else None
            got = have
            with open(part, mode) as out:
                for chunk in resp.iter_raw():  # as received: an interruption loses nothing already read
                    out.write(chunk)
                    got += len(chunk)
                    if progress:
                        progress(got, total)
            if total is not None and got < total:
                raise httpx.RemoteProtocolError(f"connection closed after {got} of {total} bytes")
    except httpx.HTTPError as exc:
        size = part.stat().st_size if part.exists() else 0
        raise DownloadInterrupted(
            f"download of {url} interrupted after {size} bytes ({exc}); "
            f"run the same command again to resume"
        ) from exc


def _safe_extract(archive: Path, dest: Path) -> None:
    with zipfile.ZipFile(archive) as zf:
        root = dest.resolve()
        for member in zf.infolist():
            target = (dest / member.filename).resolve()
            if root != target and root not in target.parents:
                raise ModelError(f"archive {archive.name} has an unsafe path: {member.filename!r}")
        zf.extractall(dest)


def _model_root(unpacked: Path) -> Path:
    if looks_like_model(unpacked):
        return unpacked
    for sub in sorted(p for p in unpacked.iterdir() if p.is_dir()):
        if looks_like_model(sub):
            return sub
    raise ModelError("the archive holds no Vosk model (no am/final.mdl and conf/model.conf)")


def download(
    spec: ModelSpec,
    models_dir: Path,
    *,
    base_url: str | None = None,
    sha256: str | None = None,
    unpinned: bool = False,
    progress: Progress | None = None,
    timeout: float = 60.0,
) -> Path:
    """Download, verify and install one catalogue model; returns its directory.

    A partial download is kept (`models_dir/.downloads/NAME.zip.part`) and resumed by the
    next call; a checksum mismatch deletes it and installs nothing.
    """
    target = models_dir / spec.name
    if looks_like_model(target):
        log.info("%s is already installed in %s", spec.name, target)
        return target
    if target.exists():
        raise ModelError(f"{target} exists but is not a complete model; move it away and run again")
    expected = (sha256 or spec.sha256 or "").lower() or None
    if expected is None and not unpinned:
        raise ModelError(
            f"no SHA-256 is pinned for {spec.key} ({spec.name}); pass --sha256 HEX "
            f"(the publisher's checksum) or --unpinned to accept the archive with a size check only"
        )
    downloads = models_dir / ".downloads"
    downloads.mkdir(parents=True, exist_ok=True)
    part = downloads / f"{spec.archive}.part"
    url = (base_url or OFFICIAL_BASE_URL).rstrip("/") + "/" + spec.archive
    log.info("downloading %s from %s", spec.name, url)
    _fetch(url, part, progress, timeout)

    actual = _sha256_file(part)
    if expected is not None and actual != expected:
        part.unlink(missing_ok=True)
        raise ChecksumMismatch(
            f"SHA-256 mismatch for {spec.archive}: expected {expected}, got {actual}; "
            f"the download was deleted and nothing was installed"
        )
    if expected is None:
        if part.stat().st_size != spec.size:
            size = part.stat().st_size
            part.unlink(missing_ok=True)
            raise ChecksumMismatch(
                f"{spec.archive} is {size} bytes, expected {spec.size}; deleted, nothing installed"
            )
        log.warning("%s accepted WITHOUT a pinned checksum; its SHA-256 is %s", spec.archive, actual)

    staging = Path(tempfile.mkdtemp(prefix=f".unpack-{spec.name}-", dir=models_dir))
    try:
        try:
            _safe_extract(part, staging)
        except zipfile.BadZipFile as exc:
            raise ModelError(f"{spec.archive} is not a valid zip archive: {exc}") from exc
        root = _model_root(staging)
        (root / SOURCE_FILE).write_text(
            json.dumps({"url": url, "sha256": actual, "pinned": expected is not None}, indent=1)
        )
        os.replace(root, target)  # same filesystem: atomic, the model appears complete or not at all
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        part.unlink(missing_ok=True)  # verified or not, a complete archive is never resumed
    log.info("installed %s in %s", spec.name, target)
    return target
