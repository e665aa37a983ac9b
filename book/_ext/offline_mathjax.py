"""Sphinx extension: serve MathJax 3 from the built site instead of a CDN.

The MathJax files come from the pinned ``django-static-mathjax`` wheel (a
plain copy of MathJax's ``es5`` build; Django itself is not needed). They are
copied into ``_static/mathjax`` after the HTML build, and ``mathjax_path``
points there, so formulas render without any request to another host.
"""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.errors import ExtensionError

MATHJAX_ENTRY = "mathjax/tex-chtml.js"


def mathjax_source_dir() -> Path:
    """Return the ``es5`` folder of the installed MathJax copy."""
    source = Path(str(resources.files("mathjax"))) / "static" / "mathjax" / "es5"
    if not (source / "tex-chtml.js").is_file():
        raise ExtensionError(
            f"MathJax files not found under {source}; "
            "install the pinned requirements (pip install -r requirements.txt)"
        )
    return source


def _use_local_path(app: Sphinx, config) -> None:
    config.mathjax_path = MATHJAX_ENTRY


def _copy_mathjax(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    target = Path(app.outdir) / "_static" / "mathjax"
    shutil.copytree(mathjax_source_dir(), target, dirs_exist_ok=True)


def setup(app: Sphinx) -> dict[str, object]:
    mathjax_source_dir()  # fail before the build, not after it
    app.connect("config-inited", _use_local_path)
    app.connect("build-finished", _copy_mathjax)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
