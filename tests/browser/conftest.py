"""Fixtures for the browser suite: the rendered book on 127.0.0.1 and headless Chromium.

The HTML is rendered first when ``_build/html`` is missing or older than its
sources (see ``tools/book_build.py``). Each page is loaded once, in a fresh
browser context, and what the tests check is collected during that visit.
When Playwright or Chromium is missing, the tests that need them fail under
CI (``CI=true``) and are skipped elsewhere, both with the install command.
"""

from __future__ import annotations

import os
import re
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn
from urllib.parse import unquote

import pytest

from tools.book_build import ROOT, ensure_built

if TYPE_CHECKING:
    from playwright.sync_api import Browser

    from tools.headless_chromium import PageTraffic
    from tools.page_checks import ImageLoad, MathReport

SCREENSHOT_DIR = ROOT / "artifacts" / "screenshots"
VIEWPORT = {"width": 1280, "height": 900}
PAGE_TIMEOUT_MS = 60_000
FETCH_TIMEOUT_S = 10
_HTML_ID = re.compile(r"""\sid=["']([^"']+)["']""")

# Every page visited in this session, for the summary printed at the end.
_VISITS: dict[str, PageVisit] = {}


@dataclass
class PageVisit:
    """What one page of the built site showed in the browser.

    Attributes:
        path: Page path relative to the site root, e.g. ``book/intro.html``.
        status: HTTP status of the page itself.
        traffic: The page's requests, failures and console errors.
        mathjax: ``"none"``, ``"failed"`` or ``"typeset"`` (see ``tools.page_checks``).
        math: Formula count and what MathJax left untypeset.
        images: Every ``<img>`` with its natural width.
        links: Absolute URL of every ``<a href>`` in the page.
        screenshot: PNG of the whole page under ``artifacts/screenshots``.
    """

    path: str
    status: int
    traffic: PageTraffic
    mathjax: str
    math: MathReport
    images: list[ImageLoad]
    links: list[str]
    screenshot: Path


@dataclass(frozen=True)
class Fetched:
    """HTTP status of a URL and the element ids of its HTML (empty for other content)."""

    status: int
    ids: frozenset[str]


def _unavailable(reason: str) -> NoReturn:
    """Fail under CI and skip elsewhere, so a missing browser never passes silently in CI."""
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def html_dir() -> Path:
    """Return ``_build/html``, rendering the book first when it is stale."""
    try:
        return ensure_built("html")
    except RuntimeError as error:
        pytest.fail(str(error), pytrace=False)


@pytest.fixture(scope="session")
def site_url(html_dir: Path) -> Iterator[str]:
    """Serve ``_build/html`` on 127.0.0.1 and yield its base URL (ending in ``/``)."""
    from tools.local_site import serve_directory

    with serve_directory(html_dir) as base_url:
        yield base_url


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Launch Debian's headless Chromium through Playwright for the whole session."""
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright

        from tools.headless_chromium import ChromiumMissingError, launch_chromium
    except ImportError as error:
        _unavailable(f"Playwright is not installed ({error}); install the pinned requirements: make env")

    playwright = sync_playwright().start()
    try:
        chromium = launch_chromium(playwright)
    except (ChromiumMissingError, PlaywrightError) as error:
        playwright.stop()
        _unavailable(f"headless Chromium did not start: {error}")
    yield chromium
    chromium.close()
    playwright.stop()


@pytest.fixture(scope="session")
def visit(browser: Browser, site_url: str) -> Callable[[str], PageVisit]:
    """Return a function that loads a page once per session and returns what it showed."""

    def load(path: str) -> PageVisit:
        if path not in _VISITS:
            _VISITS[path] = _visit_page(browser, site_url, path)
        return _VISITS[path]

    return load


def _visit_page(browser: Browser, site_url: str, path: str) -> PageVisit:
    from tools.headless_chromium import record_traffic
    from tools.page_checks import inspect_math, load_images, wait_for_mathjax

    context = browser.new_context(viewport=VIEWPORT)
    try:
        page = context.new_page()
        page.set_default_timeout(PAGE_TIMEOUT_MS)
        traffic = record_traffic(page)
        response = page.goto(site_url + path, wait_until="load")

        mathjax = wait_for_mathjax(page)
        images = load_images(page)
        page.evaluate("document.fonts.ready.then(() => true)")
        page.wait_for_load_state("networkidle")
        math = inspect_math(page)
        links = page.eval_on_selector_all("a[href]", "anchors => anchors.map((anchor) => anchor.href)")

        screenshot = SCREENSHOT_DIR / Path(path).with_suffix(".png")
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(screenshot), full_page=True)
    finally:
        context.close()
    status = response.status if response is not None else 0
    return PageVisit(path, status, traffic, mathjax, math, images, links, screenshot)


@pytest.fixture(scope="session")
def fetch() -> Callable[[str], Fetched]:
    """Return a function that GETs a loopback URL once per session, without a browser."""
    cache: dict[str, Fetched] = {}

    def get(url: str) -> Fetched:
        if url not in cache:
            cache[url] = _fetch(url)
        return cache[url]

    return get


def _fetch(url: str) -> Fetched:
    from tools.headless_chromium import is_local_url

    if not is_local_url(url):
        raise ValueError(f"refusing to fetch {url}: the link checks only request 127.0.0.1")
    try:
        with urllib.request.urlopen(url, timeout=FETCH_TIMEOUT_S) as response:
            body = response.read()
            is_html = response.headers.get_content_type() == "text/html"
            ids = frozenset(unquote(match) for match in _HTML_ID.findall(body.decode("utf-8", "replace")))
            return Fetched(response.status, ids if is_html else frozenset())
    except urllib.error.HTTPError as error:
        return Fetched(error.code, frozenset())


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print how many pages, requests and screenshots the browser suite saw."""
    if not _VISITS:
        return
    requests = sum(len(visit.traffic.requests) for visit in _VISITS.values())
    external = sum(len(visit.traffic.blocked) for visit in _VISITS.values())
    screenshots = sum(visit.screenshot.is_file() for visit in _VISITS.values())
    terminalreporter.write_line(
        f"browser suite: {len(_VISITS)} pages, {requests} requests ({external} to other hosts, blocked), "
        f"{screenshots} screenshots in {SCREENSHOT_DIR.relative_to(ROOT)}"
    )
