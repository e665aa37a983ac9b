"""Reading pages and titles from a table of contents (tools/book_pages.py)."""

from __future__ import annotations

import json

import pytest

from tools.book_pages import GENERATED_PAGES, page_markdown, page_title, plain_title, site_pages, toc_docnames

NESTED_TOC = """
format: jb-book
root: book/intro
chapters:
  - file: book/one
    sections:
      - file: book/one_a
      - url: https://example.org/outside
  - file: book/two
"""
PARTS_TOC = """
format: jb-book
root: index
parts:
  - caption: First
    chapters:
      - file: a
  - caption: Second
    chapters:
      - file: b
"""


@pytest.mark.parametrize(
    ("toc", "expected"),
    [
        (NESTED_TOC, ["book/intro", "book/one", "book/one_a", "book/two"]),
        (PARTS_TOC, ["index", "a", "b"]),
        ("root: only\n", ["only"]),
    ],
)
def test_toc_docnames_reading_order(tmp_path, toc, expected):
    path = tmp_path / "_toc.yml"
    path.write_text(toc, encoding="utf-8")
    assert toc_docnames(path) == expected


@pytest.mark.parametrize(
    ("toc", "message"),
    [
        ("chapters:\n  - file: a\n", "no 'root' entry"),
        ("root: index\nchapters:\n  - glob: book/*\n", "glob entry 'book/\\*' is not supported"),
    ],
)
def test_toc_docnames_rejects_invalid_toc(tmp_path, toc, message):
    path = tmp_path / "_toc.yml"
    path.write_text(toc, encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        toc_docnames(path)


def test_site_pages_adds_generated_pages(tmp_path):
    path = tmp_path / "_toc.yml"
    path.write_text(PARTS_TOC, encoding="utf-8")
    assert site_pages(path) == ["index.html", "a.html", "b.html", *GENERATED_PAGES]


def test_page_title_of_markdown(tmp_path):
    (tmp_path / "page.md").write_text("(label)=\n# 背景与动机\n\n正文 # 不是标题\n## 小节\n", encoding="utf-8")
    assert page_title("page", tmp_path) == "背景与动机"


def test_page_title_of_notebook(tmp_path):
    cells = [
        {"cell_type": "code", "source": ["# comment, not a title\n"], "metadata": {}},
        {"cell_type": "markdown", "source": ["(ch-x)=\n", "# $7\\times7$ 详解\n", "text"], "metadata": {}},
    ]
    (tmp_path / "chapter.ipynb").write_text(json.dumps({"cells": cells}), encoding="utf-8")
    assert page_title("chapter", tmp_path) == "$7\\times7$ 详解"
    assert "comment" not in page_markdown("chapter", tmp_path)


def test_page_title_missing(tmp_path):
    (tmp_path / "page.md").write_text("## only a section\n", encoding="utf-8")
    with pytest.raises(ValueError, match="no level-1 heading"):
        page_title("page", tmp_path)
    with pytest.raises(FileNotFoundError, match="expected absent.md or absent.ipynb"):
        page_title("absent", tmp_path)


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("$7\\times7\\to1\\times7+7\\times1$ 详解", "详解"),
        ("代价为何随 $k^2$ 增长", "代价为何随 增长"),
        ("为什么 Inception-v3 要分解卷积", "为什么 Inception-v3 要分解卷积"),
        ("$k$", ""),
    ],
)
def test_plain_title_drops_math(title, expected):
    assert plain_title(title) == expected
