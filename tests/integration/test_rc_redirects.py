"""RC-01…RC-05: open redirects and cross-site requests — the final redirect after sign-in never
leaves the app's origin, ``return_to`` can't be changed in flight, cross-site requests change
nothing, and no origin gets credentialed CORS access."""

from __future__ import annotations

from urllib.parse import quote, urlencode, urlsplit

import httpx
import pytest

from .harness import APP_URL, DEMO_EMAIL, World, query_of, set_cookies

EVIL = "https://evil.example"


async def whoami(w: World) -> str | None:
    me = await w.get("/api/me", headers={"accept": "application/json"})
    assert me.status_code in (200, 401), me.text
    return me.json()["email"] if me.status_code == 200 else None


async def final_redirect(w: World, return_to: str) -> httpx.Response:
    """Sign in from ``/login?return_to=<value>``; the callback's answer (not followed)."""
    login = await w.get("/login?" + urlencode({"return_to": return_to}))
    assert login.status_code == 303, login.text
    assert return_to not in login.headers["location"] or return_to in ("/", "")
    return await w.get(await w.code_for(login.headers["location"]))


# RC-01 ----------------------------------------------------------------------------------------

UNSAFE = {
    "absolute": "https://evil.example",
    "scheme-relative": "//evil.example",
    "slash-backslash": "/\\evil.example",
    "backslashes": "\\\\evil.example",
    "encoded-slashes": "/%2F%2Fevil.example",
    "double-encoded-slashes": "/%252F%252Fevil.example",
    "encoded-backslash": "/%5Cevil.example",
    "scheme-no-slashes": "https:evil.example",
    "javascript": "javascript:alert(1)",
    "data": "data:text/html,<script>alert(1)</script>",
    "userinfo": "https://app.example@evil.example",
    "lookalike-host": "https://app.example.evil.example",
    "own-origin-userinfo": "http://localhost:8000@evil.example",
    "encoded-crlf": "/path%0d%0aSet-Cookie:x=1",
    "raw-crlf": "/path\r\nSet-Cookie:x=1",
    "tab-before": "\t//evil.example",
    "space-before": " //evil.example",
    "tab-inside": "/\t/evil.example",
    "encoded-tab-inside": "/%09/evil.example",
    "fullwidth-solidus": "\uff0f\uff0fevil.example",
    "slash-fullwidth": "/\uff0fevil.example",
    "triple-slash": "///evil.example",
    "no-leading-slash": "evil.example",
    "10KB": "/" + "a" * 10 * 1024,
}


@pytest.mark.parametrize("value", list(UNSAFE.values()), ids=list(UNSAFE))
async def test_RC_01_unsafe_return_to_falls_back_to_the_home_page(pool_world: World,
                                                                 value: str) -> None:
    w = pool_world
    done = await final_redirect(w, value)

    assert done.status_code == 303
    location = done.headers["location"]
    assert location == APP_URL + "/"
    assert urlsplit(location).netloc == urlsplit(APP_URL).netloc
    assert not [c for c in set_cookies(done) if c.name == "x"]
    assert await whoami(w) == DEMO_EMAIL


@pytest.mark.parametrize("value", ["/protected", "/protected/a?b=1&c=%2F%2F", "/a%20b",
                                   "/search?q=caf%C3%A9", "/100%25", "/p#frag"])
async def test_RC_01_same_origin_paths_are_kept(pool_world: World, value: str) -> None:
    done = await final_redirect(pool_world, value)

    assert done.headers["location"] == APP_URL + value


# RC-02 ----------------------------------------------------------------------------------------

def _flip(text: str, index: int) -> str:
    return text[:index] + ("A" if text[index] != "A" else "B") + text[index + 1:]


def tx_cookies(w: World) -> dict[str, str]:
    return {n: v for n, v in w.app_cookies().items() if n.startswith("cg_tx_")}


async def test_RC_02_return_to_is_not_in_the_url(pool_world: World) -> None:
    w = pool_world
    authorize = await w.start_sign_in("/protected/settings")
    assert "settings" not in authorize
    callback = await w.code_for(authorize)
    assert "settings" not in callback
    assert (await w.get(callback)).headers["location"] == APP_URL + "/protected/settings"


@pytest.mark.parametrize("where", [1, 30, -3], ids=["head", "middle", "tail"])
async def test_RC_02_tampered_transaction_cookie_fails_the_callback(pool_world: World,
                                                                   where: int) -> None:
    w = pool_world
    callback = await w.code_for(await w.start_sign_in("/protected/settings"))
    [(name, value)] = tx_cookies(w).items()
    w.browser.cookies.set(name, _flip(value, where % len(value)), domain="localhost.local")

    refused = await w.get(callback)

    assert refused.status_code == 400
    assert "location" not in refused.headers
    assert w.calls("/oauth2/token") == []
    assert await whoami(w) is None


async def test_RC_02_swapped_transaction_cookie_fails_the_callback(pool_world: World) -> None:
    """Attempt B's sealed transaction under attempt A's cookie name: genuine, but not A's."""
    w = pool_world
    authorize_a = await w.start_sign_in("/protected/a")
    name_a = next(iter(tx_cookies(w)))
    await w.start_sign_in("/protected/b")
    [(name_b, value_b)] = [(n, v) for n, v in tx_cookies(w).items() if n != name_a]
    callback_a = await w.code_for(authorize_a)
    w.browser.cookies.set(name_a, value_b, domain="localhost.local")
    w.browser.cookies.delete(name_b, domain="localhost.local")

    refused = await w.get(callback_a)

    assert refused.status_code == 400
    assert w.calls("/oauth2/token") == []


@pytest.mark.parametrize("state", ["other", "APPEND"])
async def test_RC_02_altered_state_fails_the_callback(pool_world: World, state: str) -> None:
    w = pool_world
    callback = await w.code_for(await w.start_sign_in("/protected/settings"))
    real = query_of(callback)["state"]
    altered = real + "x" if state == "APPEND" else state
    url = callback.replace(f"state={real}", f"state={quote(altered)}")

    refused = await w.get(url)

    assert refused.status_code == 400
    assert w.calls("/oauth2/token") == []
    done = await w.get(callback)  # the genuine return still works, to the saved page
    assert done.headers["location"] == APP_URL + "/protected/settings"


async def test_RC_02_session_cookie_as_transaction_fails(pool_world: World) -> None:
    """A value sealed for another purpose (the session) does not open as a transaction."""
    w = pool_world
    await w.sign_in("/protected")
    session = w.app_cookies()["cg.0"].split(".", 1)[1]
    callback = await w.code_for(await w.start_sign_in("/protected/settings"))
    [name] = tx_cookies(w)
    w.browser.cookies.set(name, session, domain="localhost.local")
    calls = len(w.calls("/oauth2/token"))

    answer = await w.get(callback)

    assert answer.status_code in (303, 400)
    assert answer.headers.get("location") in (None, APP_URL + "/")
    assert len(w.calls("/oauth2/token")) == calls


# RC-03 ----------------------------------------------------------------------------------------

CROSS_SITE = [
    {"origin": EVIL, "sec-fetch-site": "cross-site", "sec-fetch-mode": "navigate"},
    {"origin": EVIL, "sec-fetch-site": "cross-site", "sec-fetch-mode": "cors"},
    {"sec-fetch-site": "same-site", "origin": "http://sub.localhost:8000"},
    {"origin": EVIL},
    {"origin": "null"},
]
CROSS_IDS = ["form", "fetch", "sibling-subdomain", "origin-only", "origin-null"]


@pytest.mark.parametrize("headers", CROSS_SITE, ids=CROSS_IDS)
async def test_RC_03_cross_site_unsafe_request_to_an_app_route_is_refused(
        pool_world: World, headers: dict[str, str]) -> None:
    w = pool_world
    await w.sign_in("/protected")
    for kind, body in (("application/x-www-form-urlencoded", "action=delete"),
                       ("text/plain", "action=delete"),
                       ("application/json", '{"action": "delete"}')):
        refused = await w.post("/protected", content=body,
                               headers={**headers, "content-type": kind})

        assert refused.status_code == 403, f"{kind}: {refused.status_code}"
        assert "secret page" not in refused.text
        assert "location" not in refused.headers
        assert not [c for c in set_cookies(refused) if c.name.startswith("cg.")]
    assert await whoami(w) == DEMO_EMAIL, "the session is untouched"


async def test_RC_03_cross_site_api_call_gets_403_json(pool_world: World) -> None:
    w = pool_world
    await w.sign_in("/protected")
    refused = await w.post("/protected", json={"action": "delete"}, headers={
        "origin": EVIL, "sec-fetch-site": "cross-site", "sec-fetch-mode": "cors",
        "accept": "application/json"})

    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("application/json")
    assert refused.json()["error"] == "csrf_failed"


async def test_RC_03_same_origin_unsafe_request_is_served(pool_world: World) -> None:
    w = pool_world
    await w.sign_in("/protected")
    for headers in ({"origin": APP_URL, "sec-fetch-site": "same-origin"},
                    {"origin": APP_URL}, {}):
        served = await w.post("/protected", data={"action": "x"}, headers=headers)
        assert served.status_code == 200, headers
        assert "secret page" in served.text


async def test_RC_03_cross_site_unsafe_request_does_not_see_the_user(pool_world: World) -> None:
    """On a route the app leaves public, a cross-site POST is not signed in either."""
    w = pool_world
    await w.sign_in("/protected")
    same = await w.post("/public", data={"x": "1"}, headers={"origin": APP_URL})
    assert "Signed in as" in same.text
    cross = await w.post("/public", data={"x": "1"},
                         headers={"origin": EVIL, "sec-fetch-site": "cross-site"})
    assert cross.status_code == 200
    assert "Signed out" in cross.text


async def test_RC_03_no_get_changes_state(pool_world: World) -> None:
    w = pool_world
    await w.sign_in("/protected")
    session = {n: v for n, v in w.app_cookies().items() if n.startswith("cg.")}
    cross = {"sec-fetch-site": "cross-site", "referer": EVIL + "/"}
    for path in ("/logout", "/login?return_to=/protected", "/callback/?state=x&code=y",
                 "/callback/?error=access_denied&state=x", "/protected", "/"):
        response = await w.get(path, headers=cross)
        assert response.status_code < 500, path
        assert not [c for c in set_cookies(response) if c.name.startswith("cg.")], path
    assert {n: v for n, v in w.app_cookies().items() if n.startswith("cg.")} == session
    assert w.calls("/oauth2/revoke") == []
    assert len(w.calls("/oauth2/token")) == 1
    assert await whoami(w) == DEMO_EMAIL


# RC-05 ----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/api/me"), ("GET", "/protected"), ("GET", "/logout"), ("POST", "/logout"),
    ("GET", "/login"), ("GET", "/"), ("OPTIONS", "/api/me"), ("OPTIONS", "/logout"),
])
async def test_RC_05_no_credentialed_cors_for_any_origin(pool_world: World, method: str,
                                                         path: str) -> None:
    w = pool_world
    await w.sign_in("/protected")
    headers = {"origin": EVIL, "sec-fetch-mode": "cors", "sec-fetch-site": "cross-site",
               "access-control-request-method": "POST",
               "access-control-request-headers": "content-type"}

    response = await w.browser.request(method, APP_URL + path, headers=headers)

    allowed = response.headers.get("access-control-allow-origin")
    assert allowed in (None, APP_URL), f"{method} {path}: {allowed}"
    assert allowed != "*" or response.headers.get("access-control-allow-credentials") != "true"
    assert response.headers.get("access-control-allow-credentials") is None
    assert await whoami(w) == DEMO_EMAIL
