"""The built site, served on 127.0.0.1, opened in Debian's Chromium through Playwright."""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import sys
import threading
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
# The built site: `nox -s docs` writes docs/_build/html; another build can be checked
# by pointing PADGUIDE_SITE at it.
SITE = Path(
    os.environ.get("PADGUIDE_SITE", ROOT / "docs" / "_build" / "html")
).resolve()
ARTIFACTS = Path(
    os.environ.get("PADGUIDE_E2E_ARTIFACTS", ROOT / "docs" / "_build" / "e2e")
)
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def chromium_path() -> str:
    found = (
        os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    )
    if not Path(found).exists():
        pytest.exit(
            "no Chromium: apt-get install chromium, or set $CHROMIUM", returncode=2
        )
    return found


def site_pages() -> list[str]:
    return sorted(
        p.relative_to(SITE).as_posix()
        for p in SITE.rglob("*.html")
        if not any(part.startswith("_") for part in p.relative_to(SITE).parts)
    )


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # A browser that drops a connection it no longer needs is not an error of the site.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


@pytest.fixture(scope="session")
def base_url():
    if not (SITE / "index.html").exists():
        pytest.exit(f"no built site in {SITE}: run `nox -s docs` first", returncode=2)
    handler = functools.partial(_Quiet, directory=str(SITE))
    server = _Server(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser):
    """A page in a fresh context; records console errors and failed requests."""
    contexts = []

    def make(**context_options):
        context = browser.new_context(
            **{"viewport": {"width": 1280, "height": 900}, **context_options}
        )
        contexts.append(context)
        page = context.new_page()
        page.errors, page.failed = [], []
        page.on(
            "console",
            lambda m: page.errors.append(m.text) if m.type == "error" else None,
        )
        page.on("pageerror", lambda e: page.errors.append(str(e)))
        page.on("requestfailed", lambda r: page.failed.append(r.url))
        page.on(
            "response",
            lambda r: (
                page.failed.append(f"{r.status} {r.url}") if r.status >= 400 else None
            ),
        )
        return page

    yield make
    for context in contexts:
        context.close()


@pytest.fixture(scope="session")
def artifacts():
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
