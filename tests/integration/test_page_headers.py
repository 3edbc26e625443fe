"""Headers every page the library or the demo renders must carry (issue 8, points 5 and 9).

* No page can be framed by another site (clickjacking a sign-out or a retry): each HTML response
  sends ``Content-Security-Policy: frame-ancestors 'none'`` and ``X-Frame-Options: DENY`` — the
  library's own pages, pages the app renders through ``render_error``, and the demo's pages.
* The demo's outage page offers "Try again" only to a validated same-origin path.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from cognito_gate import AuthError
from cognito_gate.demo import create_app

from .expect import signed_in
from .harness import HostRouter, World, netloc

HTML = {"accept": "text/html"}


def assert_unframeable(response: httpx.Response, what: str) -> None:
    assert "text/html" in response.headers.get("content-type", ""), what
    assert response.headers.get("x-frame-options") == "DENY", what
    policies = response.headers.get_list("content-security-policy")
    assert any("frame-ancestors 'none'" in p for p in policies), (what, policies)


async def expired_and_provider_down(w: World) -> None:
    """A signed-in browser whose tokens expired while the token endpoint answers 503."""
    await signed_in(w)
    w.advance(3600 + 61)
    w.lc.faults.set("token", status=503)


async def test_library_pages_cannot_be_framed(pool_world: World) -> None:
    w = pool_world
    pages = {
        "sign-out confirmation, signed out": await w.get("/logout", headers=HTML),
        "callback without state (400)": await w.get("/callback/", headers=HTML),
        "POST /login (405)": await w.post("/login", headers=HTML),
    }
    await expired_and_provider_down(w)
    pages["sign-out confirmation, signed in"] = await w.get("/logout", headers=HTML)
    pages["provider outage on a protected page (503)"] = await w.get("/protected", headers=HTML)
    assert pages["provider outage on a protected page (503)"].status_code == 503
    for what, response in pages.items():
        assert_unframeable(response, what)


def _bare_page(request: Request, error: AuthError) -> Response:
    return HTMLResponse(f"<h1>{error.title}</h1>", status_code=error.status)


def _page_with_own_policy(request: Request, error: AuthError) -> Response:
    return HTMLResponse(f"<h1>{error.title}</h1>", status_code=error.status,
                        headers={"content-security-policy": "default-src 'self'"})


@pytest.mark.parametrize("renderer", [_bare_page, _page_with_own_policy],
                         ids=["no-headers", "own-csp-without-frame-ancestors"])
async def test_pages_rendered_by_the_apps_render_error_cannot_be_framed(
        worlds: Callable[..., World], renderer: Callable[[Request, AuthError], Response]) -> None:
    w = worlds(auth_kwargs={"render_error": renderer})
    callback = await w.get("/callback/", headers=HTML)
    assert callback.status_code == 400
    assert_unframeable(callback, "callback without state, app-rendered")
    assert "default-src 'self'" in callback.headers.get_list("content-security-policy") \
        or renderer is _bare_page  # the app's own policy is kept alongside
    await expired_and_provider_down(w)
    outage = await w.get("/protected", headers=HTML)
    assert outage.status_code == 503
    assert_unframeable(outage, "provider outage, app-rendered")


@pytest.fixture
def demo(pool_world: World) -> World:
    """The demo app (its own ``CognitoAuth``) in place of the sample app, on the shared pool."""
    w = pool_world
    app = create_app(w.auth.settings, http=w.provider_http, clock=w.clock)
    assert isinstance(w.router, HostRouter)
    w.app = app
    w.router.routes[netloc(w.app_url)] = httpx.ASGITransport(app=app)
    return w


async def test_demo_pages_cannot_be_framed(demo: World) -> None:
    w = demo
    pages = {
        "home, signed out": await w.get("/", headers=HTML),
        "404 page": await w.get("/no-such-page", headers=HTML),
        "callback without state (400, through render_error)": await w.get("/callback/",
                                                                          headers=HTML),
        "sign-out confirmation": await w.get("/logout", headers=HTML),
    }
    await w.sign_in("/protected")
    pages["home, signed in"] = await w.get("/", headers=HTML)
    pages["protected page"] = await w.get("/protected", headers=HTML)
    w.advance(3600 + 61)
    w.lc.faults.set("token", status=503)
    pages["provider outage (503)"] = await w.get("/protected", headers=HTML)
    assert pages["protected page"].status_code == 200
    assert pages["provider outage (503)"].status_code == 503
    for what, response in pages.items():
        assert_unframeable(response, what)


async def test_demo_outage_page_retry_link_stays_on_this_site(demo: World) -> None:
    """``//evil.example/x`` is a path to the server, an off-site link in a page."""
    w = demo
    await w.sign_in("/protected")
    w.advance(3600 + 61)
    w.lc.faults.set("token", status=503)
    # Protected (they normalise to /protected), and an off-site link if put in an href as is.
    for path in ("//evil.example/../protected", "//protected"):
        status, _, body = await w.raw("GET", path, headers=[("accept", "text/html")])
        assert status == 503, (path, status)
        retry = re.findall(r'href="([^"]*)">Try again', body.decode())
        assert retry == ["/"], (path, retry)  # not a valid return-to: the home page
    status, _, body = await w.raw("GET", "/protected?tab=1", headers=[("accept", "text/html")])
    assert status == 503
    assert re.findall(r'href="([^"]*)">Try again', body.decode()) == ["/protected?tab=1"]
