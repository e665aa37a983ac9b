"""Locations of the data cache and of the shared CIFAR-10 archive.

Paths are resolved from the location of the ``factor`` package, not from the
working directory, because papermill runs the notebooks inside ``book/``.
"""

from __future__ import annotations

from pathlib import Path

SHARED_ARCHIVE = Path("..") / "shared" / "data" / "cifar10-jpg.tar.gz"
"""JPEG copy of CIFAR-10, relative to the repository root."""


def repository_root() -> Path:
    """Return the checkout that contains the ``factor`` package.

    For an installed (non-editable) package there is no checkout around it,
    so the current working directory is used instead.
    """
    candidate = Path(__file__).resolve().parents[2]
    if (candidate / "pyproject.toml").is_file():
        return candidate
    return Path.cwd()


def default_cache_dir() -> Path:
    """Return ``<repository>/.cache``, the ignored folder for data and results."""
    return repository_root() / ".cache"


def shared_archive_path() -> Path:
    """Return the path of the shared CIFAR-10 JPEG archive beside the checkout."""
    return (repository_root() / SHARED_ARCHIVE).resolve()
