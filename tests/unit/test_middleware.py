"""The whole flow in-process: middleware + routes + fake Cognito (AZ-*, CK-*, RF-*, LO-*, FT-10)."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from cognito_gate import CognitoAuth, ManualClock, get_user
from conftest import FakeCognito, make_settings

APP = "https://app.example.com"


async def whoami(request: Request) -> JSONResponse:
    user = get_user(request)
    return JSONResponse({"email": user.email if user else None,
                         "csrf": bool(request.scope.get("cognito_gate.csrf"))})


class Browser:
    """An httpx client with a cookie jar that honours Max-Age=0, talking to the wrapped app."""

    def __init__(self, app: Any, cognito: FakeCognito) -> None:
        self.client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=APP)
        self.cognito = cognito

    async def get(self, url: str, **kw: Any) -> httpx.Response:
        return await self.client.get(url, **kw)

    async def sign_in(self, return_to: str = "/protected") -> httpx.Response:
        login = await self.get("/login", params={"return_to": return_to})
        assert login.status_code == 303
        code, state = self.cognito.issue_code(login.headers["location"])
        return await self.get("/callback/", params={"code": code, "state": state})


@pytest.fixture
def auth(http: httpx.AsyncClient, clock: ManualClock) -> CognitoAuth:
    return CognitoAuth(make_settings(), http=http, clock=clock, protect=("/protected", "/api"))


@pytest.fixture
def browser(auth: CognitoAuth, cognito: FakeCognito) -> Browser:
    routes = [Route(p, whoami) for p in ("/", "/protected", "/protected/x", "/api/me")]
    return Browser(auth.wrap(Starlette(routes=routes)), cognito)


def set_cookies(response: httpx.Response) -> list[str]:
    return response.headers.get_list("set-cookie")


async def test_sign_in_round_trip(browser: Browser, cognito: FakeCognito):
    anonymous = await browser.get("/")
    assert anonymous.json()["email"] is None
    done = await browser.sign_in("/protected?x=1")
    assert done.status_code == 303
    assert done.headers["location"] == APP + "/protected?x=1"
    assert done.headers["cache-control"] == "no-store"
    assert done.headers["referrer-policy"] == "no-referrer"
    page = await browser.get("/protected")
    assert page.json() == {"email": "demo@example.com", "csrf": True}
    assert page.headers["cache-control"] == "no-store"
    assert cognito.requests["token"] == 1


async def test_AZ_01_authorization_request_shape(browser: Browser):
    login = await browser.get("/login", params={"return_to": "/x"})
    query = parse_qs(urlsplit(login.headers["location"]).query)
    assert query["response_type"] == ["code"]
    assert query["redirect_uri"] == [APP + "/callback/"]
    assert query["code_challenge_method"] == ["S256"]
    assert "openid" in query["scope"][0].split()
    assert len(query["state"][0]) >= 43
    assert len(query["nonce"][0]) >= 43
    assert "client_secret" not in login.headers["location"]
    cookie = set_cookies(login)[0]
    assert cookie.startswith("__Host-cg_tx_")
    assert "HttpOnly" in cookie
    assert "Max-Age=600" in cookie


async def test_AZ_03_callback_without_state_or_transaction(browser: Browser,
                                                           cognito: FakeCognito):
    for params in ({"code": "c"}, {"code": "c", "state": ""}, {"code": "c", "state": "unknown"}):
        response = await browser.get("/callback/", params=params)
        assert response.status_code == 400
    assert cognito.requests["token"] == 0


async def test_AZ_05_replayed_callback_makes_no_second_token_call(browser: Browser,
                                                                  cognito: FakeCognito):
    login = await browser.get("/login")
    code, state = cognito.issue_code(login.headers["location"])
    tx_cookie = set_cookies(login)[0].split(";")[0]
    first = await browser.get("/callback/", params={"code": code, "state": state})
    assert first.status_code == 303
    replay = await browser.get("/callback/", params={"code": code, "state": state},
                               headers={"cookie": tx_cookie})
    assert replay.status_code == 400
    assert "expired" in replay.text
    assert cognito.requests["token"] == 1


async def test_AZ_06_two_tabs_sign_in_in_reverse_order(browser: Browser, cognito: FakeCognito):
    a = await browser.get("/login", params={"return_to": "/a"})
    b = await browser.get("/login", params={"return_to": "/b"})
    code_a, state_a = cognito.issue_code(a.headers["location"])
    code_b, state_b = cognito.issue_code(b.headers["location"])
    done_b = await browser.get("/callback/", params={"code": code_b, "state": state_b})
    done_a = await browser.get("/callback/", params={"code": code_a, "state": state_a})
    assert done_b.headers["location"].endswith("/b")
    assert done_a.headers["location"].endswith("/a")


async def test_AZ_08_error_at_callback_needs_state_and_is_not_reflected(browser: Browser,
                                                                        cognito: FakeCognito):
    login = await browser.get("/login")
    _, state = cognito.issue_code(login.headers["location"])
    response = await browser.get("/callback/", params={
        "error": "invalid_scope", "error_description": "<script>alert(1)</script>",
        "state": state})
    assert response.status_code == 400
    assert "<script>alert" not in response.text
    cancelled = await browser.get("/callback/", params={"error": "access_denied", "state": "x"})
    assert cancelled.status_code == 400
    assert cognito.requests["token"] == 0


async def test_AZ_10_post_to_callback_is_405(browser: Browser):
    response = await browser.client.post("/callback/", data={"code": "c", "state": "s"})
    assert response.status_code == 405


async def test_AZ_11_wrong_iss_parameter_rejected(browser: Browser, cognito: FakeCognito):
    login = await browser.get("/login")
    code, state = cognito.issue_code(login.headers["location"])
    response = await browser.get("/callback/", params={
        "code": code, "state": state, "iss": "https://evil.example"})
    assert response.status_code == 400
    assert cognito.requests["token"] == 0


async def test_AZ_12_token_request_uses_basic_only(browser: Browser, cognito: FakeCognito):
    await browser.sign_in()
    request = cognito.last_token_request
    assert request is not None
    body = parse_qs(request.content.decode())
    assert request.headers["authorization"].startswith("Basic ")
    assert "client_secret" not in body
    assert "client_id" not in body
    assert body["redirect_uri"] == [APP + "/callback/"]
    assert body["code_verifier"]


async def test_IDT_15_nonce_mismatch_rejected_at_callback(browser: Browser,
                                                          cognito: FakeCognito):
    cognito.id_over = {"nonce": "someone-elses-nonce"}
    login = await browser.get("/login")
    code, state = cognito.issue_code(login.headers["location"])
    cognito.codes[code] = ("someone-elses-nonce", cognito.codes[code][1])
    response = await browser.get("/callback/", params={"code": code, "state": state})
    assert response.status_code == 400
    assert not any(c.startswith("__Host-cg.0=1") or c.startswith("__Host-cg.0=2")
                   for c in set_cookies(response))


async def test_FT_09_invalid_grant_page_and_no_retry(browser: Browser, cognito: FakeCognito):
    cognito.token_override = lambda form: httpx.Response(400, json={"error": "invalid_grant"})
    response = await browser.sign_in()
    assert response.status_code == 400
    assert "code_rejected" in response.text
    assert cognito.requests["token"] == 1


async def test_FT_07_token_timeout_is_503_and_not_retried(browser: Browser,
                                                          cognito: FakeCognito):
    def boom(form: dict[str, str]) -> httpx.Response:
        raise httpx.ReadTimeout("slow")

    cognito.token_override = boom
    response = await browser.sign_in()
    assert response.status_code == 503
    assert cognito.requests["token"] == 1


async def test_CK_09_path_tricks_and_api_callers(browser: Browser):
    for path in ("/protected", "/protected/", "/PROTECTED", "//protected", "/protected;x=1",
                 "/%70rotected", "/public/../protected", "/protected.json"):
        browser.client.cookies.clear()  # no loop-breaker state between variants
        response = await browser.get(APP + path)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith(APP + "/login?return_to=")
    api = await browser.get("/api/me", headers={"accept": "application/json"})
    assert api.status_code == 401
    assert api.json()["error"] == "login_required"
    assert api.headers["www-authenticate"].startswith("Bearer")


async def test_bearer_access_token_accepted_for_apis(browser: Browser, cognito: FakeCognito):
    tokens = cognito.tokens(None, None)
    ok = await browser.get("/api/me", headers={"authorization": f"Bearer {tokens['access_token']}"})
    assert ok.status_code == 200
    bad = await browser.get("/api/me", headers={"authorization": f"Bearer {tokens['id_token']}"})
    assert bad.status_code == 401
    assert bad.json()["error"] == "token_invalid"


async def test_CK_07_tampered_cookie_is_no_session_and_cleared(browser: Browser):
    await browser.sign_in()
    jar = browser.client.cookies
    value = jar.get("__Host-cg.0")
    assert value
    jar.set("__Host-cg.0", value[:-3] + ("AAA" if not value.endswith("AAA") else "BBB"),
            domain="app.example.com")
    response = await browser.get("/protected")
    assert response.status_code == 303
    assert any(c.startswith("__Host-cg.0=; Max-Age=0") for c in set_cookies(response))


async def test_RF_01_refresh_before_expiry_writes_new_cookies(browser: Browser,
                                                              cognito: FakeCognito,
                                                              clock: ManualClock):
    await browser.sign_in()
    clock.advance(3600 - 30)
    response = await browser.get("/protected")
    assert response.status_code == 200
    assert cognito.requests["token"] == 2
    assert any(c.startswith("__Host-cg.0=") and "Max-Age=0" not in c
               for c in set_cookies(response))


async def test_RF_05_concurrent_requests_refresh_once(browser: Browser, cognito: FakeCognito,
                                                      clock: ManualClock):
    cognito.rotate = True
    await browser.sign_in()
    clock.advance(3600 + 120)
    responses = await asyncio.gather(*(browser.get("/protected") for _ in range(10)))
    assert all(r.status_code == 200 for r in responses)
    assert cognito.requests["token"] == 2


async def test_RF_04_invalid_grant_ends_session(browser: Browser, cognito: FakeCognito,
                                                clock: ManualClock):
    await browser.sign_in()
    cognito.revoked.update(cognito.revoked | {r for r in []})
    cognito.token_override = lambda form: httpx.Response(400, json={"error": "invalid_grant"})
    clock.advance(3600 + 120)
    page = await browser.get("/protected")
    assert page.status_code == 303
    assert any(c.startswith("__Host-cg.0=; Max-Age=0") for c in set_cookies(page))


async def test_RF_07_transient_failure_keeps_session_and_answers_503(
    browser: Browser, cognito: FakeCognito, clock: ManualClock
):
    await browser.sign_in()
    cognito.token_override = lambda form: httpx.Response(502, text="<html>bad gateway</html>")
    clock.advance(3600 - 30)  # early refresh window: old token still serves
    early = await browser.get("/protected")
    assert early.status_code == 200
    clock.advance(200)  # now expired
    late = await browser.get("/protected")
    assert late.status_code == 503
    assert "retry-after" in late.headers
    assert not any("Max-Age=0" in c for c in set_cookies(late))


async def test_CK_08_absolute_lifetime_forces_sign_in(browser: Browser, auth: CognitoAuth,
                                                      clock: ManualClock):
    await browser.sign_in()
    clock.advance(auth.settings.session_lifetime + 1)
    assert (await browser.get("/protected")).status_code == 303


async def test_FT_10_redirect_loop_breaker(browser: Browser):
    statuses = [(await browser.get("/protected")).status_code for _ in range(5)]
    assert statuses[:3] == [303, 303, 303]
    assert statuses[3] == 429


@pytest.mark.parametrize("value", [
    "9" * 5000 + ".{now}", "1." + "9" * 5000, "\u00b2.{now}", "1.\u00b2", "\u0663.{now}",
    "-1.{now}", "1.-5", "1e9.{now}", " 1.{now}", ".", "", "1.{now}.1", "9" * 30 + ".{now}",
])
async def test_FT_10_a_garbled_loop_breaker_cookie_is_a_fresh_count_never_a_500(
        browser: Browser, auth: CognitoAuth, clock: ManualClock, value: str):
    name, value = auth.loop_cookie, value.replace("{now}", str(int(clock.now())))
    first = await browser.get("/protected", headers=[(b"cookie", f"{name}={value}".encode())])
    assert first.status_code == 303
    rewritten = browser.client.cookies.get(name)
    assert rewritten is not None
    assert len(rewritten) <= 24  # "<count>.<window start>", small whatever came in
    statuses = [(await browser.get("/protected")).status_code for _ in range(3)]
    assert 429 in statuses  # the loop breaker still stops the loop


async def test_LO_01_logout_get_has_no_effect_and_cross_site_post_refused(
    browser: Browser, cognito: FakeCognito
):
    await browser.sign_in()
    confirm = await browser.get("/logout")
    assert confirm.status_code == 200
    assert 'name="csrf"' in confirm.text
    cross = await browser.client.post("/logout", headers={"origin": "https://evil.example"})
    assert cross.status_code == 403
    no_token = await browser.client.post("/logout", data={"csrf": "wrong"})
    assert no_token.status_code == 403
    assert (await browser.get("/protected")).status_code == 200
    assert cognito.requests["revoke"] == 0


async def test_LO_02_LO_03_logout_revokes_clears_and_goes_to_cognito(
    browser: Browser, cognito: FakeCognito, auth: CognitoAuth
):
    await browser.sign_in()
    stolen = dict(browser.client.cookies)
    confirm = await browser.get("/logout")
    csrf = confirm.text.split('name="csrf" value="')[1].split('"')[0]
    out = await browser.client.post("/logout", data={"csrf": csrf})
    assert out.status_code == 303
    location = out.headers["location"]
    assert location.startswith("https://auth.example.com/logout?client_id=")
    assert "logout_uri=https%3A%2F%2Fapp.example.com%2F" in location
    assert cognito.requests["revoke"] == 1
    cleared = [c for c in set_cookies(out) if "Max-Age=0" in c]
    assert len(cleared) >= 4
    again = await browser.client.post("/logout", headers={"origin": APP})
    assert again.status_code == 303  # idempotent without cookies
    browser.client.cookies.clear()
    replay = await browser.get("/protected", headers={
        "cookie": "; ".join(f"{k}={v}" for k, v in stolen.items())})
    assert replay.status_code == 303  # this process refuses the signed-out session (LO-04)


async def test_LO_04_signed_out_cookie_refused_on_the_hot_path_too(browser: Browser):
    """A session served from the verified-session cache is refused once signed out (the cache
    is keyed by cookie bytes; the sign-out must not be bypassed by a warm entry)."""
    await browser.sign_in()
    stolen = "; ".join(f"{k}={v}" for k, v in browser.client.cookies.items())
    for _ in range(2):  # the second request is answered from the cache
        assert (await browser.get("/protected", headers={"cookie": stolen})).status_code == 200
    confirm = await browser.get("/logout")
    csrf = confirm.text.split('name="csrf" value="')[1].split('"')[0]
    assert (await browser.client.post("/logout", data={"csrf": csrf})).status_code == 303
    browser.client.cookies.clear()
    replay = await browser.get("/protected", headers={"cookie": stolen})
    assert replay.status_code == 303
