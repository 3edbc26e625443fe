"""An app served under a path prefix is protected and signs in and out like one at the root
(issue 8, point 1).

Two ways to be under ``/app``: a Starlette ``Mount("/app", app=auth.wrap(inner))``, and a server
started with ``uvicorn --root-path /app`` behind a proxy that strips the prefix (in-process, and a
real uvicorn on a loopback port behind a stripping transport). Either way the
ASGI scope's ``path`` is the whole path (``/app/protected``) and ``root_path`` is ``/app``: the
middleware must protect, and serve its routes, by the path relative to the app, and build every
URL it hands out (redirect_uri, return-to, sign-in links, the sign-out form and its landing page)
under the prefix. ``APP_URL`` stays the origin. Cookies keep ``Path=/`` (what ``__Host-``
requires), so they reach the app under any prefix.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from urllib.parse import urlsplit

import httpx
import pytest

from cognito_gate.local import ClientConfig
from cognito_gate.local.server import run_in_thread

from .harness import (
    APP_URL,
    DEMO_EMAIL,
    HostRouter,
    SharedPool,
    World,
    netloc,
    open_shared_pool,
    query_of,
    set_cookies,
    worlds_on,
)

PREFIX = "/app"
BASE = APP_URL + PREFIX
PREFIX_CLIENT = ClientConfig("prefixed-app", client_secret="prefixedappSecret1",
                             callback_urls=(BASE + "/callback/",), logout_urls=(BASE + "/",))
SETUPS = ["mount", "root_path", "uvicorn --root-path"]


class StripPrefix(httpx.AsyncBaseTransport):
    """The proxy in front of ``uvicorn --root-path /app``: forwards ``/app/…`` as ``/…`` (the
    ``Host`` header kept) to the real server on ``port``."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        raw = request.url.raw_path
        assert raw.startswith(PREFIX.encode()), raw
        url = request.url.copy_with(host="127.0.0.1", port=self.port,
                                    raw_path=raw[len(PREFIX):] or b"/")
        forwarded = httpx.Request(request.method, url, headers=request.headers,
                                  content=await request.aread())
        response = await self.inner.handle_async_request(forwarded)
        content = await response.aread()
        return httpx.Response(response.status_code, headers=response.headers, content=content)


@pytest.fixture(scope="module")
def prefix_pool() -> Iterator[SharedPool]:
    with open_shared_pool(PREFIX_CLIENT) as pool:
        yield pool


@pytest.fixture(params=SETUPS)
async def world(request: pytest.FixtureRequest, prefix_pool: SharedPool) -> AsyncIterator[World]:
    """The sample app under ``/app``: mounted, or given ``root_path`` by the server in-process,
    or served by a real uvicorn started with ``--root-path /app`` behind a stripping proxy."""
    real = request.param == "uvicorn --root-path"
    async with worlds_on(prefix_pool) as make:
        w = make(client=PREFIX_CLIENT, prefix=PREFIX,
                 prefix_by="root_path" if real else request.param)
        if not real:
            yield w
            return
        assert isinstance(w.router, HostRouter)
        with run_in_thread(w.app, root_path=PREFIX) as url:
            proxy = StripPrefix(urlsplit(url).port or 80)
            w.router.routes[netloc(APP_URL)] = proxy
            yield w
            await proxy.inner.aclose()


async def test_protected_page_under_a_prefix_needs_sign_in(world: World) -> None:
    for path in ("/protected", "/protected/x", "/PROTECTED", "//protected", "/public/../protected",
                 "/protected;x=1"):
        status, headers, body = await world.raw("GET", PREFIX + path,
                                                headers=[("accept", "text/html")])
        assert status == 303, (path, status, body[:200])
        assert headers["location"].startswith(BASE + "/login?return_to="), headers["location"]
        assert b"secret" not in body
        assert b"protected content" not in body
        world.browser.cookies.clear()
    api = await world.get("/api/me", headers={"accept": "application/json"})
    assert api.status_code == 401
    assert api.json()["error"] == "login_required"


async def test_library_routes_answer_under_the_prefix(world: World) -> None:
    login = await world.get("/login?return_to=/protected")
    assert login.status_code == 303, login.text
    authorize = query_of(login.headers["location"])
    assert authorize["redirect_uri"] == BASE + "/callback/"
    confirm = await world.get("/logout")
    assert confirm.status_code == 200
    assert 'action="/app/logout"' in confirm.text
    callback = await world.get("/callback/")
    assert callback.status_code == 400  # the library's page, not the app's 404


async def test_sign_in_protected_page_and_sign_out_under_a_prefix(world: World) -> None:
    first = await world.get("/protected?tab=2")
    assert first.status_code == 303
    assert first.headers["location"] == BASE + "/login?return_to=/protected%3Ftab%3D2"
    page = await world.sign_in("/protected?tab=2")
    assert page.status_code == 200, page.text
    assert str(page.url) == BASE + "/protected?tab=2"
    assert f"secret page for {DEMO_EMAIL}" in page.text
    cookies = [c for c in world.backchannel if c.path == "/oauth2/token"]
    assert cookies
    assert cookies[-1].form["redirect_uri"] == [BASE + "/callback/"]
    home = await world.get("/")
    assert f"Signed in as {DEMO_EMAIL}" in home.text
    again = await world.get("/protected")  # the session cache now holds this browser's cookies
    assert again.status_code == 200
    assert "secret page" in again.text

    form = await world.get("/logout")  # the hot path must leave the library's routes alone
    token = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert token is not None
    out = await world.post("/logout", data={"csrf": token.group(1)})
    assert out.status_code == 303, out.text
    assert query_of(out.headers["location"])["logout_uri"] == BASE + "/"
    for cookie in set_cookies(out):
        assert cookie.attrs.get("path") == "/", cookie.raw
    landing = await world.follow(out.headers["location"])
    assert str(landing.url) == BASE + "/"
    assert "Signed out" in landing.text
    after = await world.get("/protected")
    assert after.status_code == 303
    assert urlsplit(after.headers["location"]).path == PREFIX + "/login"


async def test_session_cookies_keep_path_root_under_a_prefix(world: World) -> None:
    login = await world.get("/login?return_to=/protected")
    written = set_cookies(login)
    assert written, login.headers
    assert all(c.attrs.get("path") == "/" for c in written), login.headers
