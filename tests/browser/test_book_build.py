"""Rendering the book only when its output is stale (tools/book_build.py)."""

from __future__ import annotations

import os

import pytest

from tools.book_build import jupyter_book_command, is_stale


@pytest.mark.parametrize("builder", ["html", "singlehtml"])
def test_jupyter_book_command_matches_make_html(builder):
    command = jupyter_book_command(builder)
    assert command[0].endswith("jupyter-book")
    assert command[1:] == ["build", ".", "--builder", builder, "--warningiserror", "--nitpick", "--keep-going"]


def test_jupyter_book_command_rejects_unknown_builder():
    with pytest.raises(ValueError, match="unknown builder 'latex'"):
        jupyter_book_command("latex")


def test_is_stale(tmp_path):
    assert is_stale(tmp_path)
    index = tmp_path / "index.html"
    index.write_text("<html></html>", encoding="utf-8")
    os.utime(index, (0, 0))
    assert is_stale(tmp_path)
    far_future = 2**33
    os.utime(index, (far_future, far_future))
    assert not is_stale(tmp_path)
