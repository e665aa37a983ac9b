"""Every page of the built site, loaded in headless Chromium from 127.0.0.1.

The pages come from ``_toc.yml`` at collection time, plus the index and the
search page, so new chapters are covered without editing this file.
"""

from __future__ import annotations

import re
import struct
from urllib.parse import unquote, urldefrag, urlsplit

import pytest

from tools.book_build import ROOT
from tools.book_pages import site_pages, source_path, toc_docnames

PAGES = site_pages()
NOTEBOOK_DOCNAMES = [name for name in toc_docnames() if (ROOT / f"{name}.ipynb").is_file()]
DOCNAMES = toc_docnames()
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
TEX_IN_SOURCE = re.compile(r"\$[^$\n]+\$|\$\$|\\begin\{")


@pytest.mark.parametrize("path", PAGES)
def test_page_loads(visit, path):
    assert visit(path).status == 200


@pytest.mark.parametrize("path", PAGES)
def test_page_has_no_console_errors(visit, path):
    assert visit(path).traffic.console_errors == []


@pytest.mark.parametrize("path", PAGES)
def test_page_has_no_failed_requests(visit, path):
    assert visit(path).traffic.failed == []


@pytest.mark.parametrize("path", PAGES)
def test_page_requests_stay_on_loopback(visit, path):
    traffic = visit(path).traffic
    hosts = {urlsplit(url).hostname for url in traffic.requests if urlsplit(url).scheme in {"http", "https"}}
    assert traffic.requests, "the page made no request at all; the recording is broken"
    assert traffic.blocked == []
    assert hosts == {"127.0.0.1"}


@pytest.mark.parametrize("path", PAGES)
def test_page_images_load(visit, path):
    broken = [image.src for image in visit(path).images if image.width == 0]
    assert broken == []


@pytest.mark.parametrize("path", PAGES)
def test_page_formulas_typeset(visit, path):
    page = visit(path)
    if page.math.count:
        assert page.mathjax == "typeset"
    assert page.math.untypeset == []
    assert page.math.errors == 0


@pytest.mark.parametrize("path", PAGES)
def test_page_has_no_raw_tex(visit, path):
    assert visit(path).math.raw_tex == []


@pytest.mark.parametrize("docname", DOCNAMES)
def test_page_with_tex_source_has_formulas(visit, docname):
    if not TEX_IN_SOURCE.search(source_path(docname).read_text(encoding="utf-8")):
        pytest.skip(f"{docname} has no TeX in its source")
    assert visit(f"{docname}.html").math.count > 0


@pytest.mark.parametrize("path", PAGES)
def test_page_screenshot_saved(visit, path):
    header = visit(path).screenshot.read_bytes()[:24]
    width, height = struct.unpack(">II", header[16:24])  # PNG IHDR: width, height
    assert header[:8] == PNG_SIGNATURE
    # A full-page screenshot keeps the 1280 px viewport width and grows only in height.
    assert width == 1280
    assert height >= 900


@pytest.mark.parametrize("path", PAGES)
def test_page_links_resolve(visit, fetch, site_url, path):
    broken = []
    for link in sorted(set(visit(path).links)):
        if not link.startswith(site_url):
            continue
        document, fragment = urldefrag(link)
        fragment = unquote(fragment)
        fetched = fetch(document)
        if fetched.status != 200:
            broken.append(f"{link} (HTTP {fetched.status})")
        elif fragment and fetched.ids and fragment not in fetched.ids:
            broken.append(f"{link} (no element with id {fragment!r})")
    assert broken == []


@pytest.mark.parametrize("docname", NOTEBOOK_DOCNAMES)
def test_notebook_page_offers_ipynb(visit, site_url, docname):
    assert f"{site_url}_sources/{docname}.ipynb" in visit(f"{docname}.html").links
