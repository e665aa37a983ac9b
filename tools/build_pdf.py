"""Build the PDF edition: the single-page HTML book printed by headless Chromium.

Jupyter Book renders the whole book as one HTML page (``--builder
singlehtml``), which is served on 127.0.0.1. Once MathJax has typeset every
formula and every image has loaded, Chromium prints the page to A4 with a
bookmark outline built from the headings. Nothing is fetched from another
host, and Chinese text needs a CJK font that fontconfig can find (Debian's
``fonts-noto-cjk``, which ``tools/ensure_chromium.sh`` installs).

Before printing, the page is checked as the browser tests check the site:
formulas typeset, no TeX left in the text, images loaded, no failed or
outside requests. Each problem is logged, the PDF is still written so a
person can look at it, and the command exits with status 1. A JSON report
beside the PDF (``book.report.json``) keeps the counts and the problems.
Last, ``tools/pdf_text_layer.py`` maps the CJK radicals in the PDF's text
layer back to ideographs, so that search and copy work on the Chinese text.

Usage: ``python -m tools.build_pdf [--output _build/pdf/book.pdf]``
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tools.book_build import BUILD_DIR, SOURCES, ensure_built
from tools.book_pages import toc_docnames
from tools.headless_chromium import PageTraffic, launch_chromium, record_traffic
from tools.local_site import newest_mtime, serve_directory
from tools.page_checks import ImageLoad, MathReport, inspect_math, load_images, wait_for_mathjax
from tools.pdf_text_layer import cjk_font, radical_ideographs, repair_text_layer

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

PDF_PATH = BUILD_DIR / "pdf" / "book.pdf"
PAGE_FORMAT = "A4"
MARGINS = {"top": "16mm", "bottom": "18mm", "left": "15mm", "right": "15mm"}
# Chromium fills the pageNumber and totalPages spans; the template needs its own font size.
FOOTER = (
    '<div style="width:100%;font-size:8px;text-align:center;color:#555;">'
    '<span class="pageNumber"></span> / <span class="totalPages"></span></div>'
)
PRINT_TIMEOUT_MS = 180_000
PRINT_PAGE = "book.html"
# Paper cannot scroll: wrap long code lines and keep wide tables and images
# inside the page instead of cutting them at the right margin. A code cell,
# output or figure that fits on one page is not split across two.
PRINT_CSS = """
@media print {
  pre { white-space: pre-wrap; overflow-wrap: anywhere; }
  div.cell_input, div.cell_output, figure { break-inside: avoid; }
  table { max-width: 100%; }
  .cell_output table { font-size: 85%; }
  th { overflow-wrap: anywhere; }
  img { max-width: 100%; height: auto; }
}
"""

log = logging.getLogger("tools.build_pdf")


@dataclass
class PrintReport:
    """Summary of one printed PDF.

    Attributes:
        pdf: Path of the PDF written.
        formulas: Number of formulas (``.math`` elements) in the printed page.
        images: Number of ``<img>`` elements in the printed page.
        requests: Number of requests the page made while loading.
        problems: One line per rendering problem found before printing; empty when clean.
    """

    pdf: str
    formulas: int
    images: int
    requests: int
    problems: list[str]


def report_path(pdf_path: Path) -> Path:
    """Return where the JSON report of ``pdf_path`` is kept: ``book.pdf`` -> ``book.report.json``."""
    return pdf_path.with_suffix(".report.json")


def read_report(pdf_path: Path = PDF_PATH) -> PrintReport:
    """Load the report written beside ``pdf_path`` by :func:`print_book`."""
    return PrintReport(**json.loads(report_path(pdf_path).read_text(encoding="utf-8")))


def pdf_is_stale(pdf_path: Path = PDF_PATH) -> bool:
    """Return whether ``pdf_path`` or its report is missing, or the PDF is older than any source."""
    if not pdf_path.is_file() or not report_path(pdf_path).is_file():
        return True
    return newest_mtime(SOURCES) > pdf_path.stat().st_mtime


def print_problems(mathjax: str, math: MathReport, images: list[ImageLoad], traffic: PageTraffic) -> list[str]:
    """List what would make the printed book wrong: untypeset math, broken images, failed requests."""
    problems = []
    if math.count and mathjax != "typeset":
        problems.append(f"MathJax did not run (status {mathjax!r}) but the page has {math.count} formulas")
    problems += [f"formula not typeset: {tex}" for tex in math.untypeset]
    problems += [f"TeX left in the text: {snippet}" for snippet in math.raw_tex]
    if math.errors:
        problems.append(f"{math.errors} MathJax error boxes (mjx-merror)")
    problems += [f"image did not load: {image.src}" for image in images if image.width == 0]
    problems += [f"request to another host blocked: {url}" for url in traffic.blocked]
    problems += [f"request failed: {failure}" for failure in traffic.failed]
    problems += [f"console error: {message}" for message in traffic.console_errors]
    return problems


def _serve_print_page(page: Page, base_url: str, entry: Path) -> None:
    # NOTE: Sphinx 7.4's singlehtml builder writes the root document at
    # book/intro.html but makes its links relative to the output root, so the
    # page is served from the root under another name.
    page.route(base_url + PRINT_PAGE, lambda route: route.fulfill(path=entry))
    # The theme loads searchindex.js on every page, but singlehtml writes none
    # and the PDF has no search, so the page gets an empty script instead.
    page.route(base_url + "searchindex.js", lambda route: route.fulfill(body="", content_type="text/javascript"))


def print_book(browser: Browser, site_dir: Path, output: Path) -> PrintReport:
    """Print the single-page book in ``site_dir`` to ``output`` and write its report beside it."""
    entry = site_dir / f"{toc_docnames()[0]}.html"
    with serve_directory(site_dir) as base_url:
        context = browser.new_context()
        try:
            page = context.new_page()
            page.set_default_timeout(PRINT_TIMEOUT_MS)
            traffic = record_traffic(page)
            _serve_print_page(page, base_url, entry)
            page.goto(base_url + PRINT_PAGE, wait_until="load")

            mathjax = wait_for_mathjax(page)
            images = load_images(page)
            page.evaluate("document.fonts.ready.then(() => true)")
            page.wait_for_load_state("networkidle")
            math = inspect_math(page)

            page.add_style_tag(content=PRINT_CSS)
            output.parent.mkdir(parents=True, exist_ok=True)
            page.pdf(
                path=str(output),
                format=PAGE_FORMAT,
                margin=MARGINS,
                print_background=True,
                display_header_footer=True,
                header_template="<span></span>",
                footer_template=FOOTER,
                outline=True,
                tagged=True,
            )
        finally:
            context.close()
    font = cjk_font()
    if font is not None:
        repair_text_layer(output, radical_ideographs(*font))

    report = PrintReport(
        pdf=str(output),
        formulas=math.count,
        images=len(images),
        requests=len(traffic.requests),
        problems=print_problems(mathjax, math, images, traffic),
    )
    report_path(output).write_text(json.dumps(dataclasses.asdict(report), ensure_ascii=False, indent=2), "utf-8")
    log.info("wrote %s: %d formulas, %d images, %d requests", output, report.formulas, report.images, report.requests)
    return report


def build_pdf(browser: Browser, output: Path = PDF_PATH) -> PrintReport:
    """Render the single-page HTML if it is stale, then print it to ``output``."""
    return print_book(browser, ensure_built("singlehtml"), output)


def main(argv: Sequence[str] | None = None) -> int:
    """Build the PDF from the command line; return 1 when the printed page had problems."""
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=PDF_PATH, help="PDF file to write (default: %(default)s)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            report = build_pdf(browser, args.output)
        finally:
            browser.close()
    for problem in report.problems:
        log.warning("%s", problem)
    if report.problems:
        log.error("%d rendering problems in %s; see %s", len(report.problems), report.pdf, report_path(args.output))
        return 1
    log.info("PDF edition: %s", report.pdf)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
