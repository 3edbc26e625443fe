"""FT-10: the provider is down during sign-in, or the callback keeps failing — no redirect loop
between the app and Cognito, pending sign-ins expire by themselves, and users who are already
signed in keep working without the provider."""

from __future__ import annotations

import re

import httpx

from integration.harness import World, netloc, query_of, set_cookies

from .helpers import JSON, SESSION_CHUNKS

LOOP = "Sign-in keeps failing"
REDIRECTS = (301, 302, 303, 307, 308)


def _drop_session_cookies(world: World) -> None:
    """The browser keeps no session cookie (blocked, or evicted): what makes a real loop."""
    jar = world.browser.cookies.jar
    for cookie in list(jar):
        if cookie.name in SESSION_CHUNKS:
            jar.clear(cookie.domain, cookie.path, cookie.name)


async def _browse(world: World, url: str, *, limit: int = 40,
                  keep_session: bool = True) -> tuple[httpx.Response, list[str]]:
    """Follow redirects like a browser until a page is shown (or ``limit`` hops: a loop)."""
    hops = [url]
    response = await world.get(url)
    while response.status_code in REDIRECTS and len(hops) < limit:
        if not keep_session:
            _drop_session_cookies(world)
        url = str(response.url.join(response.headers["location"]))
        hops.append(url)
        response = await world.get(url)
    return response, hops


async def test_FT_10_hosted_ui_down_no_loop_and_signed_in_users_keep_working(
        world: World) -> None:
    lc = world.lc
    signed_in = world.another_browser()
    assert (await signed_in.sign_in("/protected")).status_code == 200
    for endpoint in ("authorize", "login", "token", "jwks", "revoke", "userinfo", "logout"):
        lc.faults.set(endpoint, status=503)  # the whole provider is down
    calls = sum(lc.requests.values())

    # A signed-out browser tries again and again: a few automatic trips, then a page that
    # stops sending it away, with a manual link; the provider's 503 is all it saw meanwhile.
    shown = []
    for _ in range(5):
        page, hops = await _browse(world, "/protected")
        assert len(hops) <= 3, hops
        shown.append(page)
    assert [p.status_code for p in shown[:3]] == [503, 503, 503]
    assert all(netloc(str(p.url)) == netloc(lc.base_url) for p in shown[:3])
    assert shown[3].status_code == 429
    assert LOOP in shown[3].text
    assert shown[4].status_code == 429
    manual = re.search(r'href="(/login\?return_to=[^"]+)"', shown[3].text)
    assert manual is not None
    assert (await world.get(manual.group(1))).status_code == 303  # a click still starts one

    # Pending sign-ins expire by themselves (the cookie's Max-Age, and the server's own clock).
    start = await world.get("/login?return_to=/protected")
    tx = [c for c in set_cookies(start) if c.name.startswith("cg_tx_")]
    assert len(tx) == 1
    assert tx[0].max_age == 600
    state = query_of(start.headers["location"])["state"]
    world.advance(601)
    stale = await world.get(f"/callback/?code=anything&state={state}")
    assert stale.status_code == 400
    assert "expired" in stale.text
    assert len([n for n in world.app_cookies() if n.startswith("cg_tx_")]) <= 5

    # Later (outside the breaker's window) automatic redirects resume.
    page, hops = await _browse(world, "/protected")
    assert len(hops) == 3
    assert page.status_code == 503

    # The signed-in user worked through all of it without one provider call.
    for _ in range(10):
        world.advance(120)
        assert (await signed_in.get("/protected")).status_code == 200
        assert (await signed_in.get("/api/me", headers=JSON)).status_code == 200
    assert sum(lc.requests.values()) - calls == 4  # the other browser's 4 trips to authorize
    assert lc.requests["token"] + lc.requests["jwks"] == 2  # from signed_in's own sign-in


async def test_FT_10_callback_failing_every_time_never_loops(world: World) -> None:
    """Persistent ``invalid_grant`` with a live hosted-UI session (Cognito sends the browser
    straight back): each attempt ends on a page; only a click starts the next one."""
    assert (await world.sign_in("/protected")).status_code == 200
    _drop_session_cookies(world)
    world.lc.faults.set("token", error="invalid_grant")
    tokens = world.lc.requests["token"]
    page, hops = await _browse(world, "/protected")
    assert len(hops) == 4, hops  # /protected → /login → authorize → /callback/
    assert page.status_code == 400
    for _ in range(3):
        link = re.search(r'href="(/login\?return_to=[^"]+)"', page.text)
        assert link is not None
        page, hops = await _browse(world, link.group(1).replace("&amp;", "&"))
        assert len(hops) == 3
        assert page.status_code == 400
    assert world.lc.requests["token"] == tokens + 4  # one exchange per click, no retries


async def test_FT_10_browser_that_keeps_no_session_cookie_is_stopped(world: World) -> None:
    """The callback succeeds but the browser never sends the session back (cookie blocked or
    dropped): /protected → sign-in → Cognito → callback → /protected … must be broken."""
    assert (await world.sign_in("/protected")).status_code == 200
    _drop_session_cookies(world)
    tokens = world.lc.requests["token"]
    page, hops = await _browse(world, "/protected", keep_session=False)
    assert page.status_code == 429, hops[-8:]
    assert LOOP in page.text
    assert len(hops) <= 16
    assert world.lc.requests["token"] - tokens <= 3
