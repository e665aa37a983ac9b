"""Checks that run inside a loaded book page: MathJax, images, raw TeX.

Sphinx writes each formula as an element of class ``math`` holding its TeX
between ``\\(...\\)`` or ``\\[...\\]``; MathJax replaces that text with an
``mjx-container``. A formula is rendered when its ``.math`` element contains an
``mjx-container`` and no TeX delimiters are left in the page's prose.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Page

# TeX left visible in prose, each formula matched once: a \(...\) or \[...\]
# span (or a lone opening delimiter), $...$ on one line, or a run of control
# words such as 7\times7\to1. Prose outside code has no other backslashes.
RAW_TEX = re.compile(
    r"\\\(.{0,200}?\\\)|\\\[.{0,400}?\\\]|\\\(|\\\[|\$[^$\n]{1,200}\$|(?:\\[A-Za-z]+[^\s\\]*)+",
    re.DOTALL,
)
RAW_TEX_CONTEXT = 30

# Resolves to "none" on a page without MathJax, "failed" when the page
# configures MathJax but the library never started, else "typeset" once
# MathJax's start-up typesetting has finished.
_WAIT_FOR_MATHJAX = """
async () => {
  const mathjax = window.MathJax;
  if (mathjax === undefined) return "none";
  if (!mathjax.startup || !mathjax.startup.promise) return "failed";
  await mathjax.startup.promise;
  return "typeset";
}
"""

# Forces lazy images to load and waits until each has loaded or failed.
_LOAD_IMAGES = """
async () => {
  const images = Array.from(document.images);
  for (const image of images) image.loading = "eager";
  await Promise.all(images.map((image) => image.decode().catch(() => null)));
  return images.map((image) => ({src: image.currentSrc || image.src, width: image.naturalWidth}));
}
"""

# Prose is the page's text without code, scripts and typeset formulas.
_INSPECT_MATH = """
() => {
  const math = Array.from(document.querySelectorAll(".math"));
  const untypeset = math.filter((node) => !node.querySelector("mjx-container"));
  const prose = document.body.cloneNode(true);
  prose.querySelectorAll("pre, code, script, style, textarea, mjx-container").forEach((node) => node.remove());
  return {
    count: math.length,
    untypeset: untypeset.map((node) => node.textContent.trim().slice(0, 80)),
    errors: document.querySelectorAll("mjx-merror").length,
    prose: prose.textContent,
  };
}
"""


@dataclass(frozen=True)
class ImageLoad:
    """One ``<img>`` of a page: its URL and natural width in pixels (0 when it failed to load)."""

    src: str
    width: int


@dataclass(frozen=True)
class MathReport:
    """Rendering state of the formulas of one page.

    Attributes:
        count: Number of ``.math`` elements (formulas) in the page.
        untypeset: Start of the TeX of each formula that MathJax did not replace.
        errors: Number of MathJax error boxes (``mjx-merror``), one per TeX error.
        raw_tex: Each match of :data:`RAW_TEX` in the prose, with some context.
    """

    count: int
    untypeset: list[str]
    errors: int
    raw_tex: list[str]


def wait_for_mathjax(page: Page) -> str:
    """Wait until MathJax has typeset ``page``; return ``"none"``, ``"failed"`` or ``"typeset"``."""
    return page.evaluate(_WAIT_FOR_MATHJAX)


def load_images(page: Page) -> list[ImageLoad]:
    """Load every image of ``page``, lazy ones included, and return each one's URL and width."""
    return [ImageLoad(src=item["src"], width=item["width"]) for item in page.evaluate(_LOAD_IMAGES)]


def inspect_math(page: Page) -> MathReport:
    """Count ``page``'s formulas and find those MathJax left as TeX; call after :func:`wait_for_mathjax`."""
    found = page.evaluate(_INSPECT_MATH)
    return MathReport(
        count=found["count"],
        untypeset=found["untypeset"],
        errors=found["errors"],
        raw_tex=find_raw_tex(found["prose"]),
    )


def find_raw_tex(text: str) -> list[str]:
    """Return each piece of visible TeX in ``text`` with up to 30 characters of context on each side."""
    snippets = []
    for match in RAW_TEX.finditer(text):
        start = max(0, match.start() - RAW_TEX_CONTEXT)
        snippets.append(" ".join(text[start : match.end() + RAW_TEX_CONTEXT].split()))
    return snippets
