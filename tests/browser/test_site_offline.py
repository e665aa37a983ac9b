"""The built HTML refers to no resource on another host, read from the files themselves.

The browser tests see only what a page requests while it is open. This scan
also finds resources that would load later or on a click, such as a launch
button's script, a font behind a CSS rule or an analytics snippet.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tools.book_pages import site_pages

PAGES = site_pages()
# Attributes through which a page loads something, per tag.
RESOURCE_ATTRIBUTES = {
    "script": ("src",),
    "img": ("src", "srcset"),
    "iframe": ("src",),
    "source": ("src", "srcset"),
    "video": ("src", "poster"),
    "audio": ("src",),
    "embed": ("src",),
    "object": ("data",),
}
# <link rel> values that make the browser fetch or connect to the href.
FETCHING_LINK_RELS = {"stylesheet", "preload", "modulepreload", "prefetch", "preconnect", "dns-prefetch", "icon"}
ABSOLUTE_URL = re.compile(r"(?:https?:)?//[A-Za-z0-9.-]+\.[A-Za-z]{2,}[^\s\"'<>)]*")
CSS_URL = re.compile(r"""(?:url\(\s*["']?|@import\s+["'])((?:https?:)?//[^"')\s]+)""")


class _ExternalResourceFinder(HTMLParser):
    """Collects each absolute URL that a tag loads or that inline script or style text names."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self._inline: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        names = RESOURCE_ATTRIBUTES.get(tag, ())
        if tag == "link" and set((values.get("rel") or "").split()) & FETCHING_LINK_RELS:
            names = ("href",)
        for name in names:
            self.found += [f"<{tag} {name}> {url}" for url in ABSOLUTE_URL.findall(values.get(name) or "")]
        is_inline_script = tag == "script" and "src" not in values
        self._inline = tag if is_inline_script or tag == "style" else None

    def handle_endtag(self, tag: str) -> None:
        self._inline = None

    def handle_data(self, data: str) -> None:
        if self._inline is not None:
            self.found += [f"inline <{self._inline}> {url}" for url in ABSOLUTE_URL.findall(data)]


def external_resources(html: str) -> list[str]:
    """Return a description of each reference in ``html`` that would load from another host."""
    finder = _ExternalResourceFinder()
    finder.feed(html)
    return finder.found


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ('<script src="_static/a.js"></script>', []),
        ('<script src="https://cdn.example.org/a.js"></script>', ["<script src> https://cdn.example.org/a.js"]),
        ('<link rel="stylesheet" href="//fonts.example.com/css">', ["<link href> //fonts.example.com/css"]),
        ('<a href="https://doi.org/10.1/x">doi</a>', []),
        ("<script>const u = 'https://unpkg.com/thebe';</script>", ["inline <script> https://unpkg.com/thebe"]),
    ],
)
def test_external_resources_finder(html, expected):
    assert external_resources(html) == expected


@pytest.mark.parametrize("path", PAGES)
def test_page_loads_nothing_from_other_hosts(html_dir, path):
    assert external_resources((html_dir / path).read_text(encoding="utf-8")) == []


def test_stylesheets_load_nothing_from_other_hosts(html_dir):
    found = []
    for css in sorted(Path(html_dir, "_static").rglob("*.css")):
        found += [f"{css.relative_to(html_dir)}: {url}" for url in CSS_URL.findall(css.read_text(encoding="utf-8"))]
    assert found == []
