"""Problems that keep a printed page from being a correct PDF (tools/build_pdf.py)."""

from __future__ import annotations

import os
from pathlib import Path

from tools.build_pdf import pdf_is_stale, print_problems, report_path
from tools.headless_chromium import PageTraffic
from tools.page_checks import ImageLoad, MathReport

CLEAN_MATH = MathReport(count=2, untypeset=[], errors=0, raw_tex=[])


def test_print_problems_clean_page():
    images = [ImageLoad(src="http://127.0.0.1/_images/a.png", width=640)]
    assert print_problems("typeset", CLEAN_MATH, images, PageTraffic()) == []


def test_print_problems_lists_each_cause():
    math = MathReport(count=2, untypeset=["\\(k\\)"], errors=1, raw_tex=["小于 $10^{-4}$"])
    images = [ImageLoad(src="http://127.0.0.1/_images/a.png", width=0)]
    traffic = PageTraffic(blocked=["https://unpkg.com/x.js"], failed=["http://127.0.0.1/b.css (HTTP 404)"])
    assert print_problems("failed", math, images, traffic) == [
        "MathJax did not run (status 'failed') but the page has 2 formulas",
        "formula not typeset: \\(k\\)",
        "TeX left in the text: 小于 $10^{-4}$",
        "1 MathJax error boxes (mjx-merror)",
        "image did not load: http://127.0.0.1/_images/a.png",
        "request to another host blocked: https://unpkg.com/x.js",
        "request failed: http://127.0.0.1/b.css (HTTP 404)",
    ]


def test_report_path():
    assert report_path(Path("_build/pdf/book.pdf")) == Path("_build/pdf/book.report.json")


def test_pdf_is_stale(tmp_path):
    pdf = tmp_path / "book.pdf"
    assert pdf_is_stale(pdf)
    pdf.write_bytes(b"%PDF-1.7\n")
    assert pdf_is_stale(pdf)  # no report yet
    report_path(pdf).write_text("{}", encoding="utf-8")
    far_future = 2**33
    os.utime(pdf, (far_future, far_future))
    assert not pdf_is_stale(pdf)
