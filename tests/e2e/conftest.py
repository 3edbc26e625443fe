"""Browser-test fixtures: Local Cognito and the demo app on loopback, Debian Chromium, screenshots.

Local Cognito listens on 127.0.0.1 and the app on localhost: two sites, as in production, so
SameSite rules apply to the return from the hosted UI exactly as they would for real.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import NoReturn
from urllib.parse import parse_qsl, urlsplit

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, sync_playwright
from starlette.types import ASGIApp

from cognito_gate.demo import create_app
from cognito_gate.demo.launch import local_settings
from cognito_gate.local import LocalClock, LocalCognito

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
SESSION_SECRET = "e2e-session-secret-0123456789abcdef0123456789"


@pytest.fixture(scope="package")
def browser(missing_tool: Callable[[str], NoReturn]) -> Iterator[Browser]:
    # Package scope, not session: the sync API keeps an event loop running in this thread until
    # it stops, which would break every pytest-asyncio test collected after tests/e2e.
    chromium = shutil.which("chromium") or CHROMIUM
    if not Path(chromium).exists():
        missing_tool("Chromium is missing: scripts/test installs Debian's chromium as root, "
                     "or: sudo apt-get install chromium")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1100, "height": 800})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


class Shots:
    """Numbered full-page screenshots under test-artifacts/screenshots/<test>/."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.count = 0
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("*.png"):
            old.unlink()

    def __call__(self, page: Page, step: str) -> None:
        self.count += 1
        page.screenshot(path=self.folder / f"{self.count:02d}-{step}.png", full_page=True)


@pytest.fixture
def shots(request: pytest.FixtureRequest) -> Shots:
    return Shots(ARTIFACTS / re.sub(r"[^\w.-]+", "_", request.node.name))


@pytest.fixture
def lc() -> Iterator[LocalCognito]:
    provider = LocalCognito()
    with provider.serve():
        yield provider
    provider.close()


def free_socket(host: str = "127.0.0.1") -> socket.socket:
    """A listening socket on a free port, bound before anyone needs to know the port."""
    return socket.create_server((host, 0))


@dataclass
class ServedApp:
    url: str
    clock: LocalClock  # wall clock + offset like Local Cognito's, so the two never drift apart


@contextlib.contextmanager
def serve_in_thread(app: ASGIApp, sock: socket.socket) -> Iterator[None]:
    """Run `app` on `sock` with uvicorn in a daemon thread for the duration of the block."""
    server = uvicorn.Server(uvicorn.Config(app, lifespan="off", log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the app server did not start")
        time.sleep(0.02)
    try:
        yield
    finally:
        server.should_exit = True
        thread.join(10)


@contextlib.contextmanager
def running_demo(
    lc: LocalCognito, wrap: Callable[[ASGIApp], ASGIApp] | None = None
) -> Iterator[ServedApp]:
    """The demo app on http://localhost:<free port>, registered with Local Cognito's demo client;
    `wrap` puts a test-only ASGI layer around it (e.g. to rewrite cookie flags)."""
    sock = free_socket()
    url = f"http://localhost:{sock.getsockname()[1]}"
    clock = LocalClock()
    settings = local_settings(lc, url, {"SESSION_SECRET": SESSION_SECRET}, dotenv=None)
    app = create_app(settings, clock=clock)
    with serve_in_thread(wrap(app) if wrap else app, sock):
        yield ServedApp(url, clock)


@pytest.fixture
def demo(lc: LocalCognito) -> Iterator[ServedApp]:
    with running_demo(lc) as served:
        yield served


class Loopback:
    """A tiny site on 127.0.0.1 (another site than the app's localhost): it records the path and
    query of every GET and answers with `pages[path]`, or a plain "received" page."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        self.pages: dict[str, str] = {}
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                site.requests.append(self.path)
                body = site.pages.get(urlsplit(self.path).path, RECEIVED).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass  # the query holds authorization codes: keep it out of the output

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"

    def last_query(self, path: str) -> dict[str, str]:
        """The query of the latest request to `path` (fails if there was none)."""
        hits = [p for p in self.requests if urlsplit(p).path == path]
        assert hits, f"nothing arrived at {path}"
        return dict(parse_qsl(urlsplit(hits[-1]).query))


RECEIVED = (
    "<!doctype html><title>Received</title><body style='font:18px system-ui;padding:40px'>"
    "<h1>Loopback callback</h1><p>The test's loopback server received this request.</p>"
)


@pytest.fixture
def loopback() -> Iterator[Loopback]:
    site = Loopback()
    thread = threading.Thread(target=site.server.serve_forever, daemon=True)
    thread.start()
    yield site
    site.server.shutdown()
    site.server.server_close()


def sign_up_and_confirm(page: Page, lc: LocalCognito, shots: Shots, *, email: str,
                        password: str, shot_prefix: str = "") -> None:
    """From the hosted sign-in page: follow "Sign up", create the account, then confirm it with
    the code Local Cognito would have mailed (read through its test API)."""
    page.get_by_role("link", name="Sign up").click()
    page.locator("#email").fill(email)
    page.locator("#password").fill(password)
    shots(page, f"{shot_prefix}sign-up")
    page.locator("button[name=signUpButton]").click()
    page.locator("#code").wait_for(state="visible")
    shots(page, f"{shot_prefix}confirm")
    code = lc.last_confirmation_code(email)
    assert code is not None
    page.locator("#code").fill(code)
    page.locator("button[name=confirm]").click()
