"""Serve a built site on 127.0.0.1 from a background thread.

The browser tests and the PDF build open the book over HTTP rather than
``file://`` so that search, relative links and MathJax's font loading behave
as they do on a web server. The server binds the loopback address only, on a
port the operating system picks, so parallel runs never collide.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import threading
from collections.abc import Iterable, Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

LOOPBACK = "127.0.0.1"

log = logging.getLogger(__name__)


class _LoggingHandler(SimpleHTTPRequestHandler):
    """Static file handler that logs each request at debug level, not to stderr."""

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (base name)
        log.debug("%s %s", self.address_string(), format % args)


@contextlib.contextmanager
def serve_directory(root: Path) -> Iterator[str]:
    """Serve the files under ``root`` on 127.0.0.1 until the block exits.

    Args:
        root: Folder to serve, usually ``_build/html``.

    Yields:
        The base URL, for example ``http://127.0.0.1:41234/`` (always ending in ``/``).

    Raises:
        ValueError: If ``root`` is not a folder.
    """
    if not root.is_dir():
        raise ValueError(f"cannot serve {root}: not a folder; build the book first (make html)")
    handler = functools.partial(_LoggingHandler, directory=str(root))
    server = ThreadingHTTPServer((LOOPBACK, 0), handler)
    thread = threading.Thread(target=server.serve_forever, name=f"serve-{root.name}", daemon=True)
    thread.start()
    base_url = f"http://{LOOPBACK}:{server.server_port}/"
    log.info("serving %s at %s", root, base_url)
    try:
        yield base_url
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
        log.info("stopped serving %s", root)


def newest_mtime(paths: Iterable[Path]) -> float:
    """Return the latest modification time of the given files and the files below given folders.

    ``__pycache__`` and ``.ipynb_checkpoints`` folders are skipped. Missing
    paths are ignored; with no file at all the result is 0.0.
    """
    newest = 0.0
    for path in paths:
        if path.is_file():
            newest = max(newest, path.stat().st_mtime)
            continue
        for child in path.rglob("*"):
            skipped = {"__pycache__", ".ipynb_checkpoints"} & set(child.parts)
            if child.is_file() and not skipped:
                newest = max(newest, child.stat().st_mtime)
    return newest
