"""Resolve the ``data`` option of the notebooks and the CLI into a data source.

``data`` may be:

* ``"auto"``: the shared CIFAR-10 JPEG archive (``../shared/data`` beside the
  checkout) when it exists, else CIFAR-10 downloaded by torchvision;
* ``"torchvision"``: CIFAR-10 downloaded by ``torchvision.datasets.CIFAR10``;
* a ``.tar.gz``, ``.tgz`` or ``.tar`` archive of an ImageFolder tree, which
  is extracted into the cache;
* a directory in the ImageFolder layout (``train/<class>/*``, ``test/<class>/*``).

Archives and downloads go to ``<cache>/data/``, never into the repository.
"""

from __future__ import annotations

import logging
import os
import shutil
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from factor.data.image_folder import LAYOUT_HINT, scan_image_folder
from factor.data.paths import default_cache_dir, shared_archive_path

logger = logging.getLogger(__name__)

ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar")
DATA_HINT = (
    "Set the data option (--data on the command line) to 'auto', 'torchvision' (downloads "
    "CIFAR-10), a .tar.gz archive or an ImageFolder directory with train/<class>/* and "
    "test/<class>/*."
)
COMPLETE_MARKER = ".extracted"


@dataclass(frozen=True)
class DataSource:
    """Origin of the images: a name for result tables, the kind of loader and its root folder.

    Attributes:
        name: Short identifier written into result tables, e.g. ``"cifar10-jpg"``
            (the shared JPEG archive), ``"cifar10-torchvision"`` (torchvision's
            binary download) or ``"imagefolder:/abs/path"``.
        kind: ``"image_folder"`` or ``"torchvision"``.
        root: ImageFolder root (contains ``train/`` and ``test/``), or the
            torchvision download folder.
    """

    name: str
    kind: str
    root: Path


def resolve_data(
    data: str | os.PathLike[str] = "auto",
    cache_dir: str | os.PathLike[str] | None = None,
    download: bool = True,
) -> DataSource:
    """Find, extract or download the data and validate its layout.

    Args:
        data: ``"auto"``, ``"torchvision"``, an archive path or an ImageFolder
            directory, as described in the module docstring.
        cache_dir: Cache folder. Defaults to ``<repository>/.cache``.
        download: Whether torchvision may download CIFAR-10.

    Returns:
        The validated source.

    Raises:
        FileNotFoundError: If the path does not exist, or CIFAR-10 is neither
            cached nor downloadable.
        ValueError: If the directory or archive has no valid ImageFolder layout.
    """
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    if data == "auto":
        archive = shared_archive_path()
        if archive.is_file():
            return _from_archive(archive, cache, name="cifar10-jpg")
        logger.info("shared archive %s not found, so using torchvision's CIFAR-10", archive)
        return _from_torchvision(cache, download)
    if data == "torchvision":
        return _from_torchvision(cache, download)

    path = Path(data).expanduser()
    if not path.exists():
        raise FileNotFoundError(f"data path {path} does not exist. {DATA_HINT}")
    if path.is_file():
        if not path.name.endswith(ARCHIVE_SUFFIXES):
            raise ValueError(f"data file {path} is not a .tar.gz, .tgz or .tar archive. {DATA_HINT}")
        return _from_archive(path, cache, name=f"archive:{path.resolve()}")
    scan_image_folder(path)
    return DataSource(name=f"imagefolder:{path.resolve()}", kind="image_folder", root=path.resolve())


def _from_archive(archive: Path, cache: Path, name: str) -> DataSource:
    """Extract ``archive`` into the cache once and return its ImageFolder root."""
    stem = archive.name
    for suffix in ARCHIVE_SUFFIXES:
        stem = stem.removesuffix(suffix)
    target = cache / "data" / stem
    if not (target / COMPLETE_MARKER).is_file():
        _extract(archive, target)
    root = _find_image_folder_root(target, archive)
    scan_image_folder(root)
    return DataSource(name=name, kind="image_folder", root=root)


def _extract(archive: Path, target: Path) -> None:
    """Extract into a scratch folder, then rename it, so a crash leaves no half tree."""
    target.parent.mkdir(parents=True, exist_ok=True)
    logger.info("extracting %s into %s", archive, target)
    scratch = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        with tarfile.open(archive) as tar:
            tar.extractall(scratch, filter="data")
        (scratch / COMPLETE_MARKER).write_text(str(archive.resolve()), encoding="utf-8")
        if target.exists() and not (target / COMPLETE_MARKER).is_file():
            shutil.rmtree(target)  # left over from an extraction that was interrupted
        os.replace(scratch, target)
    except (tarfile.TarError, OSError) as error:
        shutil.rmtree(scratch, ignore_errors=True)
        if (target / COMPLETE_MARKER).is_file():
            logger.info("another process extracted %s into %s first", archive, target)
            return
        raise ValueError(f"cannot extract archive {archive} ({error}). {DATA_HINT}") from error


def _find_image_folder_root(extracted: Path, archive: Path) -> Path:
    """Return ``extracted`` or its single top-level folder, whichever contains ``train/``."""
    if (extracted / "train").is_dir():
        return extracted
    folders = [entry for entry in extracted.iterdir() if entry.is_dir()]
    if len(folders) == 1 and (folders[0] / "train").is_dir():
        return folders[0]
    raise ValueError(f"archive {archive} has no train/ folder at its top level. {LAYOUT_HINT}")


def _from_torchvision(cache: Path, download: bool) -> DataSource:
    """Make sure torchvision's CIFAR-10 is in the cache, downloading it if allowed."""
    from torchvision.datasets import CIFAR10

    root = cache / "data" / "torchvision"
    try:
        CIFAR10(str(root), train=True, download=download)
    except (OSError, RuntimeError) as error:
        raise FileNotFoundError(
            f"CIFAR-10 is not in {root} and the download failed ({error}). "
            f"Connect to the internet or choose other data. {DATA_HINT}"
        ) from error
    return DataSource(name="cifar10-torchvision", kind="torchvision", root=root)
