"""Drive Debian's headless Chromium with Playwright, confined to loopback.

Playwright's Python client launches the system binary (``/usr/bin/chromium``
from Debian's ``chromium`` package, or the path in ``$CHROMIUM``); it never
downloads a browser of its own. Each launch gets a fresh temporary profile
(Playwright passes its own ``--user-data-dir``).

Two fences keep the browser off the network:

- Chromium's own background traffic (component updates, sync, variations)
  is switched off by flags, and ``--host-resolver-rules`` makes every host
  name except 127.0.0.1 unresolvable, so nothing Chromium starts by itself
  can leave the machine.
- Every request a page makes goes through :func:`record_traffic`'s route
  handler, which lets loopback requests through and aborts the rest.

Only requests that Playwright attributes to a page reach that page's
``request`` event, so the browser process's own traffic is never counted as
the page's.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Playwright, Request, Response, Route

CHROMIUM_ENV = "CHROMIUM"
DEFAULT_CHROMIUM = Path("/usr/bin/chromium")
INSTALL_HINT = "run tools/ensure_chromium.sh as root (apt-get install chromium fonts-noto-cjk)"

# Playwright adds --headless and a fresh --user-data-dir itself.
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
)

LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
LOCAL_SCHEMES = frozenset({"data", "blob", "about"})

log = logging.getLogger(__name__)


class ChromiumMissingError(RuntimeError):
    """Raised when no Chromium binary is installed where the tools look for it."""


@dataclass
class PageTraffic:
    """Network requests and console errors of one page.

    Attributes:
        requests: URL of every request the page made, in order, blocked ones included.
        blocked: URLs to hosts other than loopback, aborted before they left the browser.
        failed: ``"URL (reason)"`` for each request that failed or got an HTTP status >= 400.
        console_errors: Text of each console error and uncaught exception.
    """

    requests: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)


def chromium_path() -> Path:
    """Return the Chromium binary to drive: ``$CHROMIUM`` if set, else ``/usr/bin/chromium``.

    Raises:
        ChromiumMissingError: If that file does not exist.
    """
    path = Path(os.environ.get(CHROMIUM_ENV, str(DEFAULT_CHROMIUM)))
    if not path.is_file():
        raise ChromiumMissingError(f"Chromium not found at {path}; {INSTALL_HINT}, or set ${CHROMIUM_ENV}")
    return path


def launch_chromium(playwright: Playwright) -> Browser:
    """Launch headless Chromium from :func:`chromium_path` with the loopback-only flags."""
    path = chromium_path()
    log.info("launching %s", path)
    return playwright.chromium.launch(executable_path=str(path), headless=True, args=list(CHROMIUM_ARGS))


def is_local_url(url: str) -> bool:
    """Return whether ``url`` stays on this machine (loopback host, or a data/blob/about URL)."""
    parts = urlsplit(url)
    return parts.scheme in LOCAL_SCHEMES or parts.hostname in LOCAL_HOSTS


def record_traffic(page: Page) -> PageTraffic:
    """Record ``page``'s requests, failures and console errors, and abort non-loopback requests.

    Call before the first navigation. The returned record fills in as the page runs.
    """
    traffic = PageTraffic()

    def on_route(route: Route) -> None:
        url = route.request.url
        if is_local_url(url):
            route.continue_()
            return
        traffic.blocked.append(url)
        route.abort("blockedbyclient")

    def on_response(response: Response) -> None:
        if response.status >= 400:
            traffic.failed.append(f"{response.url} (HTTP {response.status})")

    def on_request_failed(request: Request) -> None:
        traffic.failed.append(f"{request.url} ({request.failure})")

    page.route("**/*", on_route)
    page.on("request", lambda request: traffic.requests.append(request.url))
    page.on("response", on_response)
    page.on("requestfailed", on_request_failed)
    page.on("console", lambda message: message.type == "error" and traffic.console_errors.append(message.text))
    page.on("pageerror", lambda error: traffic.console_errors.append(f"uncaught exception: {error}"))
    return traffic

