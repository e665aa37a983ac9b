"""Render the book with Jupyter Book when its output is missing or older than its sources.

This renders only: the executed notebooks in ``book/`` are used as they are
(``execute_notebooks: off`` in ``_config.yml``). The command is the one
``make html`` runs, so warnings fail the build here too.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import sys
from pathlib import Path

from tools.local_site import newest_mtime

ROOT = Path(__file__).resolve().parents[1]
BUILD_DIR = ROOT / "_build"
# Everything a render reads; a change to any of them makes the output stale.
SOURCES = (
    ROOT / "book",
    ROOT / "_config.yml",
    ROOT / "_toc.yml",
    ROOT / "references.bib",
    ROOT / "tools" / "search_terms_zh.txt",
)
BUILDERS = ("html", "singlehtml")
LOG_TAIL_LINES = 40

log = logging.getLogger(__name__)


def jupyter_book_command(builder: str) -> list[str]:
    """Return the ``jupyter-book build`` command line for ``builder``, as ``make html`` runs it.

    Raises:
        ValueError: If ``builder`` is not ``"html"`` or ``"singlehtml"``.
    """
    if builder not in BUILDERS:
        raise ValueError(f"unknown builder {builder!r}; use one of {', '.join(BUILDERS)}")
    executable = Path(sys.executable).with_name("jupyter-book")
    program = str(executable) if executable.is_file() else shutil.which("jupyter-book") or "jupyter-book"
    return [program, "build", ".", "--builder", builder, "--warningiserror", "--nitpick", "--keep-going"]


def is_stale(output_dir: Path) -> bool:
    """Return whether ``output_dir`` lacks ``index.html`` or is older than any source."""
    if not (output_dir / "index.html").is_file():
        return True
    return newest_mtime(SOURCES) > newest_mtime([output_dir])


def build_book(builder: str = "html") -> Path:
    """Render the book with ``builder`` and return its output folder (``_build/<builder>``).

    Raises:
        RuntimeError: If Jupyter Book exits non-zero; the message ends with the log's last lines.
    """
    command = jupyter_book_command(builder)
    log.info("rendering the book: %s", " ".join(command))
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).splitlines()[-LOG_TAIL_LINES:])
        raise RuntimeError(f"{' '.join(command)} failed with exit code {result.returncode}:\n{tail}")
    return BUILD_DIR / builder


def ensure_built(builder: str = "html") -> Path:
    """Return ``_build/<builder>``, rendering the book first if that output is stale."""
    output_dir = BUILD_DIR / builder
    if is_stale(output_dir):
        return build_book(builder)
    log.info("%s is up to date", output_dir)
    return output_dir
