"""Execute the source notebooks with papermill and write them into ``book/``.

Each ``notebooks/NN_name.ipynb`` runs with the parameters of one named
profile. ``notebooks/profiles/NN_name.yml`` maps a profile name to parameter
values, and a notebook without an entry for the profile runs on its defaults.
The executed copy is written to ``book/NN_name.ipynb`` only when every cell
succeeded, so a failed run never replaces a good copy. Each copy records a
digest of its source and parameters in ``metadata.factor``, which the tests
use to detect a source notebook that changed without being re-executed.

Usage: ``python -m tools.execute_notebooks [--profile NAME] [--only STEM ...]``
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[1]
SOURCE_DIR = ROOT / "notebooks"
PROFILE_DIR = SOURCE_DIR / "profiles"
BOOK_DIR = ROOT / "book"
DEFAULT_PROFILE = "default"

log = logging.getLogger("execute_notebooks")


def source_notebooks() -> list[Path]:
    """Return the source notebooks in reading order."""
    return sorted(SOURCE_DIR.glob("[0-9][0-9]_*.ipynb"))


def load_profiles(stem: str) -> dict[str, dict[str, Any]]:
    """Return ``{profile: parameters}`` for one notebook (empty if it has no file)."""
    path = PROFILE_DIR / f"{stem}.yml"
    if not path.exists():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise ValueError(f"{path}: expected a mapping of profile name to parameters")
    return data


def known_profiles() -> list[str]:
    """Return every profile name defined by any notebook, plus the default."""
    names = {DEFAULT_PROFILE}
    for notebook in source_notebooks():
        names.update(load_profiles(notebook.stem))
    return sorted(names)


def parameters_for(stem: str, profile: str) -> dict[str, Any]:
    """Return the papermill parameters of one notebook under one profile."""
    values = dict(load_profiles(stem).get(profile, {}))
    values["profile"] = profile
    return values


def parameter_names(notebook: nbformat.NotebookNode) -> list[str]:
    """Return the names assigned in the cell tagged ``parameters``."""
    cells = [c for c in notebook.cells if "parameters" in c.metadata.get("tags", [])]
    if len(cells) != 1:
        raise ValueError(f"expected exactly one cell tagged 'parameters', found {len(cells)}")
    names = []
    for line in cells[0].source.splitlines():
        head = line.split("#", 1)[0]
        if "=" in head and not head.startswith((" ", "\t")):
            names.append(head.split("=", 1)[0].strip().split(":")[0].strip())
    return names


def source_digest(notebook: nbformat.NotebookNode, parameters: dict[str, Any]) -> str:
    """Hash what determines an executed copy: cell sources, tags, captions, parameters.

    Outputs, execution counts and other metadata are left out, so clearing
    or re-running a source notebook does not change its digest.
    """
    cells = [
        {
            "type": cell.cell_type,
            "source": cell.source,
            "tags": sorted(cell.metadata.get("tags", [])),
            "mystnb": cell.metadata.get("mystnb", {}),
        }
        for cell in notebook.cells
    ]
    payload = json.dumps({"cells": cells, "parameters": parameters}, sort_keys=True)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def check_request(profile: str, only: Sequence[str]) -> list[Path]:
    """Validate the profile and notebook names before any notebook runs."""
    profiles = known_profiles()
    if profile not in profiles:
        raise SystemExit(f"error: unknown profile {profile!r}; choose one of {', '.join(profiles)}")
    notebooks = source_notebooks()
    if not notebooks:
        raise SystemExit(f"error: no source notebooks found in {SOURCE_DIR}")
    stems = [n.stem for n in notebooks]
    unknown = [name for name in only if name not in stems]
    if unknown:
        raise SystemExit(f"error: unknown notebook(s) {unknown}; choose from {stems}")
    selected = [n for n in notebooks if not only or n.stem in only]
    for path in selected:
        names = parameter_names(nbformat.read(path, as_version=4))
        extra = sorted(set(parameters_for(path.stem, profile)) - set(names))
        if extra:
            raise SystemExit(f"error: {path.name} has no parameter(s) {extra} set by profile {profile!r}")
    return selected


def execute(source: Path, profile: str) -> float:
    """Run one notebook and atomically replace its copy in book/; return seconds."""
    import papermill  # imported here so --help works without a kernel stack

    parameters = parameters_for(source.stem, profile)
    target = BOOK_DIR / source.name
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(dir=BOOK_DIR) as scratch:
        executed = Path(scratch) / source.name
        papermill.execute_notebook(
            str(source),
            str(executed),
            parameters=parameters,
            kernel_name="python3",
            cwd=str(BOOK_DIR),
            progress_bar=False,
            request_save_on_cell_execute=False,
        )
        notebook = nbformat.read(executed, as_version=4)
        notebook.metadata["factor"] = {
            "source": source.relative_to(ROOT).as_posix(),
            "profile": profile,
            "parameters": parameters,
            "source_sha256": source_digest(nbformat.read(source, as_version=4), parameters),
        }
        nbformat.write(notebook, executed)
        os.replace(executed, target)
    return time.perf_counter() - start


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default=DEFAULT_PROFILE, help="parameter profile name (default: %(default)s)")
    parser.add_argument("--only", nargs="*", default=[], metavar="STEM", help="execute only these notebooks, e.g. 02_why_factorize")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")

    selected = check_request(args.profile, args.only)
    total = 0.0
    for source in selected:
        log.info("executing %s (profile %s)", source.name, args.profile)
        seconds = execute(source, args.profile)
        total += seconds
        log.info("wrote book/%s in %.0f s", source.name, seconds)
    log.info("executed %d notebook(s) in %.0f s", len(selected), total)
    return 0


if __name__ == "__main__":
    sys.exit(main())
