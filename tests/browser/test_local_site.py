"""Serving a folder on 127.0.0.1 and comparing modification times (tools/local_site.py)."""

from __future__ import annotations

import os
import urllib.error
import urllib.request

import pytest

from tools.local_site import newest_mtime, serve_directory


def test_serve_directory_serves_files(tmp_path):
    (tmp_path / "index.html").write_text("<p>感受野</p>", encoding="utf-8")
    with serve_directory(tmp_path) as base_url:
        assert base_url.startswith("http://127.0.0.1:")
        assert base_url.endswith("/")
        with urllib.request.urlopen(base_url + "index.html", timeout=5) as response:
            assert response.status == 200
            assert response.read().decode("utf-8") == "<p>感受野</p>"
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(base_url + "absent.html", timeout=5)
        assert missing.value.code == 404


def test_serve_directory_rejects_missing_folder(tmp_path):
    with pytest.raises(ValueError, match="not a folder"):
        with serve_directory(tmp_path / "absent"):
            pass


def test_newest_mtime(tmp_path):
    old, new, cached = tmp_path / "old.md", tmp_path / "sub" / "new.md", tmp_path / "__pycache__" / "x.pyc"
    for path, mtime in ((old, 100), (new, 200), (cached, 900)):
        path.parent.mkdir(exist_ok=True)
        path.write_text("x", encoding="utf-8")
        os.utime(path, (mtime, mtime))
    # __pycache__ is skipped, so the newest counted file is sub/new.md at 200 s.
    assert newest_mtime([tmp_path]) == 200
    assert newest_mtime([old]) == 100
    assert newest_mtime([tmp_path / "absent"]) == 0.0
