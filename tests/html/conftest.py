"""Fixtures for the rendered-book tests: a local HTTP server over _build/html and
headless Chromium (Debian's package, driven by Playwright) that may reach nothing
but that server."""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HTML = ROOT / "_build" / "html"
ARTIFACTS = ROOT / "tests" / "_artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep pytest output clean
        pass


@pytest.fixture(scope="session")
def site():
    if not (HTML / "index.html").exists():
        pytest.fail(
            "_build/html/index.html is missing: build the book first "
            "(bash book/build.sh)"
        )
    handler = functools.partial(_QuietHandler, directory=str(HTML))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: apt-get install -y chromium")
    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield b
        b.close()


@pytest.fixture
def page(browser, site):
    """A page that records (and blocks) every request that does not go to the local
    server."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    pg.external_requests = []
    pg.page_errors = []

    def route(r):
        if r.request.url.startswith(site) or r.request.url.startswith("data:"):
            r.continue_()
        else:
            pg.external_requests.append(r.request.url)
            r.abort()

    pg.route("**/*", route)
    pg.on("pageerror", lambda exc: pg.page_errors.append(str(exc)))
    yield pg
    context.close()
