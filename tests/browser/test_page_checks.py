"""Finding TeX that MathJax left in a page's text (tools/page_checks.py)."""

from __future__ import annotations

import pytest

from tools.page_checks import find_raw_tex


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7×7 卷积拆成 1×7 与 7×1", []),
        ("把一个 \\(7\\times 7\\) 卷积", ["把一个 \\(7\\times 7\\) 卷积"]),
        ("误差小于 $10^{-4}$。", ["误差小于 $10^{-4}$。"]),
        ("见第 7\\times7\\to1 详解 章", ["见第 7\\times7\\to1 详解 章"]),
        ("公式 \\[ r = 1 \\]", ["公式 \\[ r = 1 \\]"]),
        ("价格 $5 与 6$", ["价格 $5 与 6$"]),
        ("两行 $a\n$ 不算", []),
    ],
)
def test_find_raw_tex(text, expected):
    assert find_raw_tex(text) == expected


def test_find_raw_tex_context():
    text = "甲" * 50 + "$x$" + "乙" * 50
    # 30 characters of context each side of the 3-character match: 30 + 3 + 30.
    (snippet,) = find_raw_tex(text)
    assert len(snippet) == 63
