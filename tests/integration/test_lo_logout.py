"""LO-01…LO-06: sign-out — a protected POST that clears everything, revokes the refresh token at
the provider, ends the hosted-UI session too, and always lands on the fixed sign-out page.

LO-04, the library's choice (asgi/auth.py ``end_session``, ``load_session``): a signed-out
session id goes on a denylist in the process until the session's absolute end, so copied cookies
replayed against that process are refused (choice a). Another process does not share that list:
there the copied cookies keep working until the access token expires (an hour by Cognito's
default), when the refresh the revocation killed fails and the session ends; an access token
replayed as ``Authorization: Bearer`` is likewise accepted until it expires (choice b — AWS:
revoked Cognito JWTs still verify until ``exp``). Keep access tokens short-lived to shrink it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from cognito_gate.core.session import SessionData
from cognito_gate.local import ClientConfig

from .harness import APP_URL, DEMO_EMAIL, World, query_of, set_cookies

HTTPS_APP = "https://localhost:8443"
HTTPS_CLIENT = ClientConfig("https-app", client_secret="httpsAppSecret1",
                            callback_urls=(HTTPS_APP + "/callback/",),
                            logout_urls=(HTTPS_APP + "/",))
EVIL = "https://evil.example"


async def whoami(w: World) -> str | None:
    me = await w.get("/api/me", headers={"accept": "application/json"})
    assert me.status_code in (200, 401), me.text
    return me.json()["email"] if me.status_code == 200 else None


async def csrf_of(w: World) -> str:
    form = await w.get("/logout")
    token = re.search(r'name="csrf" value="([^"]*)"', form.text)
    assert token is not None
    return token.group(1)


def revocations(w: World) -> int:
    return len(w.calls("/oauth2/revoke"))


async def refresh_at_provider(w: World, refresh_token: str) -> httpx.Response:
    return await w.provider_http.post(
        w.lc.base_url + "/oauth2/token",
        data={"grant_type": "refresh_token", "refresh_token": refresh_token},
        auth=(w.client.client_id, w.client.client_secret or ""))


async def userinfo(w: World, access_token: str) -> httpx.Response:
    return await w.provider_http.get(w.lc.base_url + "/oauth2/userInfo",
                                     headers={"authorization": f"Bearer {access_token}"})


# LO-01 ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("headers", [
    {},
    {"sec-fetch-site": "cross-site", "sec-fetch-mode": "no-cors", "sec-fetch-dest": "image"},
    {"sec-fetch-site": "cross-site", "sec-fetch-mode": "navigate", "referer": EVIL + "/"},
], ids=["plain", "cross-site-img", "cross-site-link"])
async def test_LO_01_get_logout_has_no_side_effect(pool_world: World,
                                                   headers: dict[str, str]) -> None:
    w = pool_world
    await w.sign_in("/protected")
    before = dict(w.app_cookies())
    token = await csrf_of(w)

    page = await w.get(f"/logout?csrf={token}", headers=headers)

    assert page.status_code == 200
    assert '<form method="post" action="/logout">' in page.text
    assert not set_cookies(page)
    assert w.app_cookies() == before
    assert revocations(w) == 0
    assert await whoami(w) == DEMO_EMAIL


@pytest.mark.parametrize("headers", [
    {"origin": EVIL, "sec-fetch-site": "cross-site"},
    {"sec-fetch-site": "cross-site"},
    {"origin": EVIL},
    {"origin": "null"},
    {"origin": "http://localhost:8001"},
    {"sec-fetch-site": "same-site", "origin": "http://sub.localhost:8000"},
], ids=["cross-site", "fetch-metadata-only", "origin-only", "origin-null", "other-port",
        "same-site-sibling"])
async def test_LO_01_cross_site_post_is_refused_even_with_the_token(
        pool_world: World, headers: dict[str, str]) -> None:
    w = pool_world
    await w.sign_in("/protected")
    before = dict(w.app_cookies())
    token = await csrf_of(w)

    refused = await w.post("/logout", data={"csrf": token}, headers=headers)

    assert refused.status_code == 403
    assert not set_cookies(refused)
    assert w.app_cookies() == before
    assert revocations(w) == 0
    assert await whoami(w) == DEMO_EMAIL


@pytest.mark.parametrize("body", ["none", "wrong", "truncated", "prefix", "empty", "extended",
                                  "other-session", "text-plain", "twice"])
async def test_LO_01_same_site_post_without_a_valid_token_is_refused(pool_world: World,
                                                                    body: str) -> None:
    w = pool_world
    await w.sign_in("/protected")
    token = await csrf_of(w)
    other = w.another_browser()
    try:
        await other.sign_in("/protected")
        others_token = await csrf_of(other)
    finally:
        await other.browser.aclose()
    assert others_token != token
    requests: dict[str, dict[str, Any]] = {
        "none": {},
        "wrong": {"data": {"csrf": token[:-2] + "xx"}},
        "truncated": {"data": {"csrf": token[:-1]}},  # the real token's first n-1 characters
        "prefix": {"data": {"csrf": token[:8]}},
        "empty": {"data": {"csrf": ""}},
        "extended": {"data": {"csrf": token + "A"}},
        "other-session": {"data": {"csrf": others_token}},
        "text-plain": {"content": f"csrf={token}", "headers": {"content-type": "text/plain"}},
        "twice": {"content": f"csrf={token}&csrf={token}",
                  "headers": {"content-type": "application/x-www-form-urlencoded"}},
    }

    refused = await w.post("/logout", **requests[body])

    assert refused.status_code == 403
    assert "Request refused" in refused.text
    assert revocations(w) == 0
    assert await whoami(w) == DEMO_EMAIL


@pytest.mark.parametrize("proof", ["csrf-field", "same-origin-fetch", "same-origin-origin"])
async def test_LO_01_genuine_sign_out_is_accepted(pool_world: World, proof: str) -> None:
    w = pool_world
    await w.sign_in("/protected")
    if proof == "csrf-field":
        out = await w.post("/logout", data={"csrf": await csrf_of(w)})
    elif proof == "same-origin-fetch":
        out = await w.post("/logout", headers={"sec-fetch-site": "same-origin"})
    else:
        out = await w.post("/logout", headers={"origin": APP_URL})

    assert out.status_code == 303
    assert revocations(w) == 1
    assert await whoami(w) is None


async def test_LO_01_forced_logout_at_cognito_cannot_be_prevented_but_spares_the_app(
        pool_world: World) -> None:
    """Cognito's /logout is a plain GET: any site can end the hosted-UI session (the next
    sign-in asks for the password). It does not sign the user out of the app."""
    w = pool_world
    await w.sign_in("/protected")
    forced = await w.get(f"{w.lc.base_url}/logout?" + f"client_id={w.client.client_id}"
                         f"&logout_uri={APP_URL}/", headers={"sec-fetch-site": "cross-site"})
    assert forced.status_code == 302
    assert any(c.name == "cognito" and c.deletes for c in set_cookies(forced))

    assert await whoami(w) == DEMO_EMAIL
    authorize = await w.start_sign_in("/protected")
    form = await w.get(authorize)
    while form.status_code in (302, 303):
        form = await w.get(str(form.url.join(form.headers["location"])))
    assert 'name="password"' in form.text


# LO-02 ----------------------------------------------------------------------------------------

@pytest.fixture
def https_world(worlds: Callable[..., World]) -> World:
    return worlds(client=HTTPS_CLIENT, app_url=HTTPS_APP)


def assert_everything_cleared(w: World, response: httpx.Response, expected: set[str]) -> None:
    deletions = {c.name: c for c in set_cookies(response) if c.deletes}
    assert expected <= set(deletions), f"missing deletions: {expected - set(deletions)}"
    for name, cookie in deletions.items():
        assert cookie.value == "", name
        assert cookie.max_age == 0, name
        assert cookie.attrs.get("path") == "/", name
        assert "domain" not in cookie.attrs, name
        assert "httponly" in cookie.attrs, name
        assert cookie.attrs.get("samesite") == "Lax", name
        if name.startswith("__Host-"):
            assert "secure" in cookie.attrs, f"{name}: a __Host- deletion needs Secure"
    assert not [c for c in set_cookies(response) if not c.deletes], "nothing new is written"


async def test_LO_02_sign_out_deletes_every_auth_cookie(https_world: World) -> None:
    w = https_world
    await w.sign_in("/protected")
    await w.start_sign_in("/protected/other")  # a pending transaction
    w.browser.cookies.set("__Host-cg_rl", "1.0", domain="localhost.local")  # a loop counter
    held = set(w.app_cookies())
    assert {"__Host-cg.0", "__Host-cg_rl"} <= held
    assert any(n.startswith("__Host-cg_tx_") for n in held)

    out = await w.sign_out()

    assert out.status_code == 303
    chunks = {f"__Host-cg.{i}" for i in range(4)}
    assert_everything_cleared(w, out, chunks | held)
    assert not w.app_cookies()
    assert await whoami(w) is None


async def test_LO_02_sign_out_with_expired_tokens(pool_world: World) -> None:
    w = pool_world
    await w.sign_in("/protected")
    token = await csrf_of(w)
    w.advance(2 * 3600)  # both tokens expired, nothing refreshed them

    out = await w.post("/logout", data={"csrf": token})

    assert out.status_code == 303
    assert_everything_cleared(w, out, {f"cg.{i}" for i in range(4)})
    assert revocations(w) == 1, "the refresh token is revoked all the same"
    assert not w.app_cookies()


async def test_LO_02_sign_out_without_cookies_and_twice_is_harmless(pool_world: World) -> None:
    w = pool_world
    assert (await w.get("/logout")).status_code == 200
    anonymous = await w.post("/logout")
    assert anonymous.status_code == 303
    assert anonymous.headers["location"].startswith(w.lc.base_url + "/logout?")

    await w.sign_in("/protected")
    first = await w.sign_out()
    second = await w.post("/logout")
    third = await w.sign_out()

    assert [first.status_code, second.status_code, third.status_code] == [303, 303, 303]
    assert revocations(w) == 1
    assert_everything_cleared(w, second, {f"cg.{i}" for i in range(4)})


async def test_LO_02_other_tab_is_signed_out_and_pages_were_not_cached(pool_world: World) -> None:
    w = pool_world
    await w.sign_in("/protected")
    page = await w.get("/protected")
    api = await w.get("/api/me", headers={"accept": "application/json"})
    assert page.headers["cache-control"] == "no-store"
    assert api.headers["cache-control"] == "no-store"

    assert (await w.sign_out()).status_code == 303

    tab_b = await w.get("/protected")  # the same browser, another tab
    assert tab_b.status_code == 303
    assert tab_b.headers["location"].startswith(APP_URL + "/login?return_to=/protected")
    assert await whoami(w) is None


# LO-03 ----------------------------------------------------------------------------------------

async def test_LO_03_refresh_token_is_revoked_at_the_provider(pool_world: World) -> None:
    w = pool_world
    await w.sign_in("/protected")
    tokens = w.calls("/oauth2/token")[0].json()
    assert (await refresh_at_provider(w, tokens["refresh_token"])).status_code == 200
    assert (await userinfo(w, tokens["access_token"])).status_code == 200

    assert (await w.sign_out()).status_code == 303

    [revoke] = w.calls("/oauth2/revoke")
    assert revoke.method == "POST"
    assert revoke.url == w.auth.settings.revoke_url
    assert revoke.headers["content-type"] == "application/x-www-form-urlencoded"
    assert revoke.basic_auth() == (w.client.client_id, w.client.client_secret)
    assert revoke.form == {"token": [tokens["refresh_token"]]}
    assert revoke.status == 200
    refused = await refresh_at_provider(w, tokens["refresh_token"])
    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_grant"
    assert (await userinfo(w, tokens["access_token"])).status_code == 401


@pytest.mark.parametrize("fault", [{"status": 503}, {"body": "html", "status": 500},
                                   {"drop": True}, {"error": "invalid_client"}],
                         ids=["503", "html-500", "dropped", "invalid_client"])
async def test_LO_03_local_sign_out_completes_when_revocation_fails(
        pool_world: World, fault: dict[str, Any], caplog: pytest.LogCaptureFixture) -> None:
    w = pool_world
    caplog.set_level(logging.WARNING, logger="cognito_gate")
    await w.sign_in("/protected")
    w.lc.faults.set("revoke", **fault)

    out = await w.sign_out()

    assert out.status_code == 303
    assert out.headers["location"].startswith(w.lc.base_url + "/logout?")
    assert_everything_cleared(w, out, {f"cg.{i}" for i in range(4)})
    assert await whoami(w) is None
    assert any("revoke: failed" in r.getMessage() for r in caplog.records), "logged for follow-up"
    refresh = w.calls("/oauth2/token")[0].json()["refresh_token"]
    assert all(refresh not in r.getMessage() for r in caplog.records)


# LO-04 ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("later_sign_outs", [0, 100_001])
async def test_LO_04_copied_cookies_replayed_after_sign_out_are_refused(
        pool_world: World, later_sign_outs: int) -> None:
    """However many sessions sign out after it: the signed-out list holds every session that
    could still be used (a list bounded by size forgot the oldest after 100,000)."""
    w = pool_world
    await w.sign_in("/protected")
    assert (await w.get("/protected")).status_code == 200  # warm: the verified session is cached
    copied = dict(w.app_cookies())

    assert (await w.sign_out()).status_code == 303
    now = w.clock.now()
    for i in range(later_sign_outs):
        await w.auth.end_session(SessionData(f"other-{i}", "id", "access", "refresh", now))
    for name, value in copied.items():
        w.browser.cookies.set(name, value, domain="localhost.local")

    page = await w.get("/protected")
    assert page.status_code == 303
    assert "secret page" not in page.text
    assert await whoami(w) is None


async def test_LO_04_another_process_accepts_them_until_the_access_token_expires(
        worlds: Callable[..., World]) -> None:
    """The documented residual window (choice b) where the denylist is not shared."""
    w = worlds()
    other_process = worlds()  # same SESSION_SECRET and pool, its own caches
    await w.sign_in("/protected")
    copied = dict(w.app_cookies())
    assert (await w.sign_out()).status_code == 303
    for name, value in copied.items():
        other_process.browser.cookies.set(name, value, domain="localhost.local")

    assert (await other_process.get("/protected")).status_code == 200, "the window is real"
    other_process.advance(3600 - 30)  # access token due: the refresh fails (revoked)

    page = await other_process.get("/protected")
    assert page.status_code == 303
    assert other_process.calls("/oauth2/token")[-1].json()["error"] == "invalid_grant"


async def test_LO_04_bearer_access_token_lives_until_exp(pool_world: World) -> None:
    w = pool_world
    await w.sign_in("/protected")
    access = w.calls("/oauth2/token")[0].json()["access_token"]
    assert (await w.sign_out()).status_code == 303
    bearer = {"authorization": f"Bearer {access}", "accept": "application/json"}
    assert (await userinfo(w, access)).status_code == 401, "Cognito refuses it"

    api = w.another_browser()
    try:
        assert (await api.get("/api/me", headers=bearer)).status_code == 200  # choice (b)
        api.advance(3600 + w.auth.settings.leeway + 1)
        assert (await api.get("/api/me", headers=bearer)).status_code == 401
    finally:
        await api.browser.aclose()


# LO-05 ----------------------------------------------------------------------------------------

async def test_LO_05_sign_out_ends_the_cognito_session_too(pool_world: World) -> None:
    w = pool_world
    await w.sign_in("/protected")

    out = await w.sign_out()

    location = out.headers["location"]
    assert out.status_code == 303, "a top-level navigation, not a fetch"
    assert location.split("?")[0] == w.lc.base_url + "/logout"
    assert query_of(location) == {"client_id": w.client.client_id, "logout_uri": APP_URL + "/"}
    assert APP_URL + "/" in w.client.logout_urls
    bye = await w.get(location)
    assert bye.status_code == 302
    assert bye.headers["location"] == APP_URL + "/"
    assert any(c.name == "cognito" and c.deletes for c in set_cookies(bye))

    again = await w.get("/protected")
    page = await w.get(str(again.url.join(again.headers["location"])))
    while page.status_code in (302, 303):
        target = str(page.url.join(page.headers["location"]))
        assert not target.startswith(APP_URL + "/callback/"), "signed back in silently"
        page = await w.get(target)
    assert 'name="password"' in page.text


async def test_LO_05_without_cognito_logout_the_next_sign_in_is_silent(pool_world: World) -> None:
    """The negative control: the hosted-UI session is what /logout ends."""
    w = pool_world
    await w.sign_in("/protected")
    for name in [n for n in w.app_cookies() if n.startswith("cg.")]:
        w.browser.cookies.delete(name, domain="localhost.local")

    final = await w.follow("/protected")

    assert final.status_code == 200
    assert w.lc.requests["login"] == 2  # only the first sign-in showed the form


# LO-06 ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("query", ["next=https://evil.example", "return_to=//evil.example",
                                   "logout_uri=https://evil.example/",
                                   "redirect_uri=https://evil.example/"])
async def test_LO_06_post_logout_destination_is_fixed(pool_world: World, query: str) -> None:
    w = pool_world
    await w.sign_in("/protected")
    form = await w.get(f"/logout?{query}")
    assert '<form method="post" action="/logout">' in form.text
    assert "evil" not in form.text
    token = re.search(r'name="csrf" value="([^"]*)"', form.text)
    assert token is not None

    out = await w.post(f"/logout?{query}", data={"csrf": token.group(1)})

    assert out.status_code == 303
    assert out.headers["location"] == (
        f"{w.lc.base_url}/logout?client_id={w.client.client_id}"
        "&logout_uri=http%3A%2F%2Flocalhost%3A8000%2F")


@pytest.mark.parametrize("query", ["state=RANDOM", "", "error=access_denied",
                                   "code=abc&state=xyz", "error=server_error&state=RANDOM"])
async def test_LO_06_landing_page_is_neutral(pool_world: World, query: str) -> None:
    w = pool_world
    await w.sign_in("/protected/deep")
    await w.start_sign_in("/protected/pending")  # a stored return-to that must not be followed
    out = await w.sign_out()
    bye = await w.get(out.headers["location"])
    landing = bye.headers["location"] + (f"?{query}" if query else "")

    page = await w.get(landing)

    assert page.status_code == 200
    assert "Signed out" in page.text
    assert not set_cookies(page)
    assert w.calls("/oauth2/token")[-1].form["grant_type"] == ["authorization_code"]
    assert len(w.calls("/oauth2/token")) == 1, "no code redeemed from the landing page"
