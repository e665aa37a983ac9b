"""Result CSV files: read, check writability, append finished runs atomically.

Every write replaces the whole file: the rows are written to a temporary
file in the same directory, flushed to disk, then renamed over the target
with ``os.replace``. A crash leaves either the old file or the new one,
never a truncated mix.

NOTE: Two processes appending to the same file at the same time can lose
one process's rows (last rename wins). Run one experiment per output file.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pandas as pd

FIRST_COLUMNS = ("run_hash", "profile", "variant", "placement", "seed", "epoch")
"""Columns written first in every row."""


def read_results(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Return the rows stored in ``path``, or an empty table if the file does not exist.

    Raises:
        ValueError: If the file exists but is not a result CSV of this package.
    """
    path = Path(path)
    if not path.exists():
        return pd.DataFrame(columns=list(FIRST_COLUMNS))
    try:
        # A hash of digits and one 'e' would otherwise be parsed as a number.
        frame = pd.read_csv(path, dtype={"run_hash": str})
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise ValueError(
            f"cannot read results file {path} ({error}): delete it or pass another output path"
        ) from error
    missing = [column for column in FIRST_COLUMNS if column not in frame.columns]
    if missing:
        raise ValueError(
            f"results file {path} lacks the columns {missing}, so this package did not write "
            f"it: delete it or pass another output path"
        )
    return frame


def check_writable(path: str | os.PathLike[str]) -> Path:
    """Create the parent directory of ``path`` and make sure a file can be written there.

    Returns:
        ``path`` as a Path.

    Raises:
        ValueError: If ``path`` is a directory or a read-only file, a parent
            is a file, or the directory cannot be created or written to.
    """
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"output {path} is a directory: pass a file path such as {path / 'results.csv'}")
    blocking = next((parent for parent in path.parents if parent.exists() and not parent.is_dir()), None)
    if blocking is not None:
        raise ValueError(
            f"output {path} is not writable: {blocking} is a file, not a directory. "
            f"Pass a path in a writable directory."
        )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path.parent):
            pass
    except OSError as error:
        raise ValueError(
            f"output {path} is not writable ({error}): pass a path in a writable directory"
        ) from error
    if path.exists() and not os.access(path, os.W_OK):
        raise ValueError(f"output {path} is read-only: make it writable or pass another path")
    return path


def write_csv_atomic(frame: pd.DataFrame, path: str | os.PathLike[str]) -> None:
    """Write ``frame`` to ``path`` through a temporary file and ``os.replace``."""
    path = Path(path)
    handle, scratch = tempfile.mkstemp(prefix=f".{path.name}-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            frame.to_csv(stream, index=False)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(scratch, path)
    except BaseException:
        Path(scratch).unlink(missing_ok=True)
        raise


def append_rows(existing: pd.DataFrame, rows: pd.DataFrame, path: str | os.PathLike[str]) -> pd.DataFrame:
    """Write ``existing`` plus ``rows`` to ``path`` atomically and return the combined table.

    Columns present in only one of the two tables are kept, with empty cells elsewhere.
    """
    combined = rows if existing.empty else pd.concat([existing, rows], ignore_index=True)
    ordered = list(FIRST_COLUMNS) + [c for c in combined.columns if c not in FIRST_COLUMNS]
    combined = combined[ordered]
    write_csv_atomic(combined, path)
    return combined
