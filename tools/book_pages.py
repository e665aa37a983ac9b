"""Pages of the book as ``_toc.yml`` lists them, and each page's title.

The browser tests and the PDF build read the table of contents at run time,
so they cover whatever chapters exist when they run.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
TOC_PATH = ROOT / "_toc.yml"
SOURCE_SUFFIXES = (".md", ".ipynb")
# Pages Sphinx writes beside the documents: the general index and the search page.
GENERATED_PAGES = ("genindex.html", "search.html")

_HEADING = re.compile(r"^#\s+(.+?)\s*#*\s*$", re.MULTILINE)
_INLINE_MATH = re.compile(r"\$[^$]+\$")


def toc_docnames(toc_path: Path = TOC_PATH) -> list[str]:
    """Return the document names of ``toc_path`` in reading order, root first.

    Entries that are external URLs are skipped; ``parts``, ``chapters`` and
    nested ``sections`` are followed at any depth.

    Raises:
        ValueError: If the file has no ``root`` or uses ``glob`` entries,
            whose pages cannot be known without the sources.
    """
    toc = yaml.safe_load(toc_path.read_text(encoding="utf-8")) or {}
    if "root" not in toc:
        raise ValueError(f"{toc_path} has no 'root' entry; add the landing page, e.g. 'root: book/intro'")
    return [str(toc["root"]), *_entry_files(_children(toc), toc_path)]


def site_pages(toc_path: Path = TOC_PATH) -> list[str]:
    """Return the path of every HTML page of the built site, relative to its root.

    These are the pages of :func:`toc_docnames` followed by :data:`GENERATED_PAGES`,
    for example ``["book/intro.html", ..., "genindex.html", "search.html"]``.
    """
    return [f"{docname}.html" for docname in toc_docnames(toc_path)] + list(GENERATED_PAGES)


def _children(entry: dict[str, Any]) -> list[dict[str, Any]]:
    parts = entry.get("parts")
    if parts:
        return [chapter for part in parts for chapter in part.get("chapters", [])]
    return list(entry.get("chapters", entry.get("sections", [])))


def _entry_files(entries: Iterable[dict[str, Any]], toc_path: Path) -> Iterator[str]:
    for entry in entries:
        if "glob" in entry:
            raise ValueError(f"{toc_path}: glob entry {entry['glob']!r} is not supported; list each file")
        if "file" in entry:
            yield str(entry["file"])
        yield from _entry_files(_children(entry), toc_path)


def source_path(docname: str, root: Path = ROOT) -> Path:
    """Return the source file (``.md`` or ``.ipynb``) of ``docname``.

    Raises:
        FileNotFoundError: If neither file exists.
    """
    for suffix in SOURCE_SUFFIXES:
        path = root / f"{docname}{suffix}"
        if path.is_file():
            return path
    raise FileNotFoundError(f"no source for {docname!r}: expected {docname}.md or {docname}.ipynb under {root}")


def page_title(docname: str, root: Path = ROOT) -> str:
    """Return the first level-1 heading of ``docname``'s source, as written (TeX included).

    Raises:
        ValueError: If the source has no level-1 heading.
    """
    match = _HEADING.search(page_markdown(docname, root))
    if match is None:
        raise ValueError(f"{source_path(docname, root)} has no level-1 heading ('# Title'); every page needs one")
    return match.group(1)


def page_markdown(docname: str, root: Path = ROOT) -> str:
    """Return the Markdown of ``docname``: the whole ``.md`` file, or a notebook's Markdown cells joined."""
    path = source_path(docname, root)
    if path.suffix != ".ipynb":
        return path.read_text(encoding="utf-8")
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return "\n".join(_cell_text(cell) for cell in cells if cell["cell_type"] == "markdown")


def _cell_text(cell: dict[str, Any]) -> str:
    source = cell["source"]
    return source if isinstance(source, str) else "".join(source)


def plain_title(title: str) -> str:
    """Return ``title`` without inline math and surrounding spaces: ``'$7\\times7$ 详解'`` -> ``'详解'``.

    A PDF's text layer and outline carry MathJax glyphs rather than the TeX
    source, so only the plain words of a heading can be searched for there.
    """
    return " ".join(_INLINE_MATH.sub(" ", title).split())
