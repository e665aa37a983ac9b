"""The PDF edition (``make pdf``): chapters, Chinese text, figures, tables and references.

The PDF is built first when ``_build/pdf/book.pdf`` is missing or older than
the book's sources. Its text is read with pypdf and normalized with NFKC,
which folds any Kangxi radical left in the text layer (U+2F6C for 目, for
example) into its ideograph. Whitespace is dropped, because line breaks
fall anywhere in Chinese text.
"""

from __future__ import annotations

import re
import unicodedata
from html.parser import HTMLParser

import pytest

from tools.book_build import BUILD_DIR, ROOT
from tools.book_pages import page_markdown, page_title, plain_title, toc_docnames

DOCNAMES = toc_docnames()
CJK_IDEOGRAPH = re.compile(r"[\u4e00-\u9fff]")
MATH = re.compile(r"\$\$.+?\$\$|\$[^$\n]+\$", re.DOTALL)
CITE_ROLE = re.compile(r"\{cite(?::[a-z]+)?\}`([^`]+)`")


def normalize(text: str) -> str:
    """Return ``text`` in NFKC form with all whitespace removed."""
    return "".join(unicodedata.normalize("NFKC", text).split())


def cited_keys() -> list[str]:
    """Return every BibTeX key cited by a page of the table of contents, sorted."""
    keys = set()
    for docname in DOCNAMES:
        for group in CITE_ROLE.findall(page_markdown(docname)):
            keys.update(key.strip() for key in group.split(","))
    return sorted(keys)


class _PageContent(HTMLParser):
    """Collects the image sources and the table header texts of an HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.images: set[str] = set()
        self.headers: list[str] = []
        self._header: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            self.images.add(dict(attrs).get("src") or "")
        elif tag == "th":
            self._header = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "th" and self._header is not None:
            self.headers.append("".join(self._header).strip())
            self._header = None

    def handle_data(self, data: str) -> None:
        if self._header is not None:
            self._header.append(data)


@pytest.fixture(scope="module")
def report(browser):
    """Return the PDF's print report, building the PDF first when it is stale."""
    from tools.build_pdf import PDF_PATH, build_pdf, pdf_is_stale, read_report

    if pdf_is_stale(PDF_PATH):
        try:
            return build_pdf(browser, PDF_PATH)
        except RuntimeError as error:
            pytest.fail(str(error), pytrace=False)
    return read_report(PDF_PATH)


@pytest.fixture(scope="module")
def reader(report):
    from pypdf import PdfReader

    return PdfReader(report.pdf)


@pytest.fixture(scope="module")
def pdf_text(reader) -> str:
    return normalize("".join(page.extract_text() for page in reader.pages))


@pytest.fixture(scope="module")
def outline(reader) -> list[tuple[int, str]]:
    """Return the PDF's bookmarks as ``(depth, normalized title)``, depth 0 at the top."""
    entries = []

    def walk(items, depth: int) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item, depth + 1)
            else:
                entries.append((depth, normalize(item.title)))

    walk(reader.outline, 0)
    return entries


@pytest.fixture(scope="module")
def printed_page():
    """Return the image sources and table headers of the single-page HTML that was printed."""
    content = _PageContent()
    content.feed((BUILD_DIR / "singlehtml" / f"{DOCNAMES[0]}.html").read_text(encoding="utf-8"))
    return content


def test_pdf_printed_without_problems(report):
    assert report.problems == []


def test_pdf_has_a_page_per_chapter_at_least(reader):
    # Every chapter is longer than one A4 page, so a shorter PDF lost content.
    assert len(reader.pages) >= len(DOCNAMES)


@pytest.mark.parametrize("docname", DOCNAMES)
def test_pdf_outline_lists_chapter(outline, docname):
    title = normalize(plain_title(page_title(docname)))
    chapter_levels = [entry for depth, entry in outline if depth <= 1]
    assert title
    assert any(title in entry for entry in chapter_levels), f"{title!r} not in {chapter_levels}"


def test_pdf_outline_chapter_count(outline):
    # singlehtml prints the root page's title as the one top bookmark and each
    # other page of _toc.yml as a bookmark one level below it.
    titles = [normalize(plain_title(page_title(docname))) for docname in DOCNAMES[1:]]
    chapters = [entry for depth, entry in outline if depth == 1 and any(title in entry for title in titles)]
    assert len(chapters) == len(DOCNAMES) - 1


@pytest.mark.parametrize("docname", DOCNAMES)
def test_pdf_text_has_chapter_heading(pdf_text, docname):
    assert normalize(plain_title(page_title(docname))) in pdf_text


def test_pdf_text_has_the_books_chinese(pdf_text):
    # The Markdown of the pages, formulas left out, is printed whole, so the PDF
    # contains at least as many ideographs. With no CJK font it would contain none.
    in_sources = sum(len(CJK_IDEOGRAPH.findall(MATH.sub("", page_markdown(name)))) for name in DOCNAMES)
    assert in_sources > 0
    assert len(CJK_IDEOGRAPH.findall(pdf_text)) >= in_sources


@pytest.fixture(scope="module")
def bibliography():
    from pybtex.database import parse_file

    return parse_file(str(ROOT / "references.bib"))


@pytest.mark.parametrize("key", cited_keys())
def test_pdf_lists_cited_reference(pdf_text, bibliography, key):
    entry = bibliography.entries[key]
    title = normalize(entry.fields["title"].replace("{", "").replace("}", ""))
    assert title.casefold() in pdf_text.casefold()


def test_pdf_embeds_every_figure(reader, printed_page):
    figures = {src for src in printed_page.images if src.startswith("_images/")}
    embedded = sum(
        xobject.get_object().get("/Subtype") == "/Image"
        for page in reader.pages
        for xobject in (page.get("/Resources", {}).get("/XObject") or {}).values()
    )
    assert figures
    assert embedded >= len(figures)


def test_pdf_text_has_table_headers(pdf_text, printed_page):
    headers = {normalize(text) for text in printed_page.headers if text and "\\" not in text}
    missing = sorted(header for header in headers if header not in pdf_text)
    assert headers
    assert missing == []
