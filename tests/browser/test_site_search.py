"""Chinese search on the built site, driven through search.html?q=... in Chromium.

Sphinx's zh search segments the text with jieba when it builds the index.
``tools/search_terms_zh.txt`` adds the book's terms to jieba's dictionary, so
a whole term such as 感受野 is an index entry of its own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import quote, urldefrag

import pytest

from tools.book_pages import toc_docnames

if TYPE_CHECKING:
    from playwright.sync_api import Browser

# Term -> the page that defines it:
#   感受野: book/03_factorize_7x7, section 感受野 (the analytic formula r = 1 + sum (k_i - 1) prod s_j).
#   深度可分离卷积: book/02_why_factorize, the bold definition in 代价公式的一般形式.
#   分解卷积: book/02_why_factorize, the chapter 为什么分解卷积.
DEFINING_PAGES = {
    "感受野": "book/03_factorize_7x7",
    "深度可分离卷积": "book/02_why_factorize",
    "分解卷积": "book/02_why_factorize",
}
TOP_RESULTS = 3
# No page of the book contains this string, so it must return no result.
ABSENT_TERM = "量子退火调度器"
SUMMARY = "#search-results .search-summary"
WAIT_FOR_SUMMARY = f"() => (document.querySelector('{SUMMARY}')?.innerText ?? '').length > 0"


def search(browser: Browser, site_url: str, query: str) -> list[str]:
    """Return the pages that search.html lists for ``query``, best first, each once."""
    from tools.headless_chromium import record_traffic

    context = browser.new_context()
    try:
        page = context.new_page()
        traffic = record_traffic(page)
        page.goto(f"{site_url}search.html?q={quote(query)}")
        page.wait_for_function(WAIT_FOR_SUMMARY)
        hrefs = page.eval_on_selector_all("#search-results ul.search li a", "links => links.map((a) => a.href)")
    finally:
        context.close()
    assert traffic.blocked == []
    assert traffic.console_errors == []
    pages = []
    for href in hrefs:
        path = urldefrag(href)[0].removeprefix(site_url)
        if path not in pages:
            pages.append(path)
    return pages


@pytest.mark.parametrize(("term", "docname"), DEFINING_PAGES.items())
def test_search_finds_defining_page(browser, site_url, term, docname):
    if docname not in toc_docnames():
        pytest.fail(f"{docname}, which defines {term}, is not in _toc.yml; update DEFINING_PAGES", pytrace=False)
    results = search(browser, site_url, term)
    assert f"{docname}.html" in results[:TOP_RESULTS], f"{term}: {results}"


def test_search_absent_term_finds_nothing(browser, site_url):
    assert search(browser, site_url, ABSENT_TERM) == []
