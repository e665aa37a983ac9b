"""Locating Chromium and telling loopback URLs apart (tools/headless_chromium.py)."""

from __future__ import annotations

import pytest

from tools.headless_chromium import CHROMIUM_ENV, ChromiumMissingError, chromium_path, is_local_url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://127.0.0.1:8000/book/intro.html", True),
        ("http://localhost:8000/", True),
        ("http://[::1]:8000/", True),
        ("data:image/png;base64,AAAA", True),
        ("about:blank", True),
        ("https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-chtml.js", False),
        ("https://fonts.googleapis.com/css2", False),
        ("http://127.0.0.1.example.org/", False),
        ("http://10.0.0.1/", False),
    ],
)
def test_is_local_url(url, expected):
    assert is_local_url(url) is expected


def test_chromium_path_from_environment(tmp_path, monkeypatch):
    binary = tmp_path / "chromium"
    binary.write_text("#!/bin/sh\n", encoding="utf-8")
    monkeypatch.setenv(CHROMIUM_ENV, str(binary))
    assert chromium_path() == binary


def test_chromium_path_missing(tmp_path, monkeypatch):
    monkeypatch.setenv(CHROMIUM_ENV, str(tmp_path / "absent"))
    with pytest.raises(ChromiumMissingError, match="ensure_chromium.sh"):
        chromium_path()
