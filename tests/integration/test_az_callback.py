"""AZ-03…AZ-08, AZ-10, AZ-11, AZ-13, AZ-14: the callback — what the app accepts from the browser
coming back from Cognito, and what it refuses without ever calling the token endpoint.

"Reject at the callback" (security-cases.md §0): a 400 page, no session cookie, the transaction
cookie deleted, no further call to the provider, and nothing secret in the logs.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import re
from urllib.parse import urlencode, urlsplit

import httpx
import pytest

from .harness import (
    APP_URL,
    ATTACKER,
    ATTACKER_PASSWORD,
    DEMO_EMAIL,
    DEMO_PASSWORD,
    World,
    ensure_attacker,
    query_of,
    set_cookies,
    whoami,
)


def tx_names(w: World) -> list[str]:
    return [n for n in w.app_cookies() if n.startswith("cg_tx_")]


def session_written(response: httpx.Response) -> bool:
    return any(c.name.startswith("cg.") and not c.deletes for c in set_cookies(response))


def assert_rejected(w: World, response: httpx.Response, *, token_calls: int = 0,
                    tx_deleted: bool = True) -> None:
    """security-cases.md §0 "Reject at the callback"."""
    assert response.status_code == 400, response.text[:300]
    assert response.headers["content-type"].startswith("text/html")
    assert "location" not in response.headers, "no automatic redirect (back to the provider)"
    assert not session_written(response), "no session cookie"
    if tx_deleted:
        assert any(c.name.startswith("cg_tx_") and c.deletes for c in set_cookies(response))
    assert len(w.calls("/oauth2/token")) == token_calls
    assert w.calls("/oauth2/userInfo") == []


def with_params(url: str, **changes: str | None) -> str:
    """``url`` with query parameters replaced (None drops one), order kept."""
    parts = urlsplit(url)
    q = query_of(url)
    for name, value in changes.items():
        if value is None:
            q.pop(name, None)
        else:
            q[name] = value
    return parts._replace(query=urlencode(q)).geturl()


async def provider_answer(w: World, authorize: str, email: str = DEMO_EMAIL,
                          password: str = DEMO_PASSWORD) -> httpx.Response:
    """Drive the provider from ``authorize`` to its answer for the app (a redirect to the
    callback, or a form_post page), without following it."""
    response = await w.get(authorize)
    while response.status_code in (302, 303):
        location = str(response.url.join(response.headers["location"]))
        if location.startswith(w.app_url):
            return response
        response = await w.get(location)
    csrf = re.search(r'name="_csrf" value="([^"]+)"', response.text)
    if csrf is None:
        return response
    return await w.browser.post(str(response.url), data={
        "username": email, "password": password, "_csrf": csrf.group(1)})


# AZ-03 ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("state", [None, "", "dup"], ids=["absent", "empty", "repeated"])
async def test_AZ_03_callback_without_usable_state_is_rejected(
        pool_world: World, state: str | None, caplog: pytest.LogCaptureFixture) -> None:
    w = pool_world
    caplog.set_level(logging.DEBUG, logger="cognito_gate")
    callback = await w.code_for(await w.start_sign_in("/protected"))
    code, real_state = query_of(callback)["code"], query_of(callback)["state"]
    if state == "dup":
        forged = f"{APP_URL}/callback/?code={code}&state={real_state}&state=other"
    else:
        forged = with_params(callback, state=state)

    refused = await w.get(forged)

    # which transaction? none can be named, so the pending one is left alone for the real return
    assert_rejected(w, refused, tx_deleted=False)
    assert all(code not in r.getMessage() for r in caplog.records), "no code in the logs"
    assert await whoami(w) is None
    done = await w.get(callback)
    assert done.headers["location"] == APP_URL + "/protected"


@pytest.mark.parametrize("query", [
    "code={code}&state=other&state={state}", "code={code}&state={state}&state=other",
    "code=x&code={code}&state={state}", "code={code}&code=x&state={state}",
], ids=["state-real-last", "state-real-first", "code-real-last", "code-real-first"])
async def test_AZ_03_a_callback_parameter_given_twice_is_refused_in_either_order(
        pool_world: World, query: str) -> None:
    """Whichever copy a parser would keep, a repeated ``state`` or ``code`` is no answer: the
    genuine values placed last must not win either, and the pending sign-in survives."""
    w = pool_world
    callback = await w.code_for(await w.start_sign_in("/protected"))
    code, state = query_of(callback)["code"], query_of(callback)["state"]

    refused = await w.get(f"{APP_URL}/callback/?" + query.format(code=code, state=state))

    assert_rejected(w, refused, tx_deleted=False)
    assert await whoami(w) is None
    done = await w.get(callback)
    assert done.headers["location"] == APP_URL + "/protected"


async def test_AZ_03_state_without_a_transaction_cookie_is_rejected(pool_world: World) -> None:
    w = pool_world
    callback = await w.code_for(await w.start_sign_in("/protected"))
    for name in tx_names(w):
        w.browser.cookies.delete(name)

    refused = await w.get(callback)

    assert_rejected(w, refused, tx_deleted=False)
    assert "expired" in refused.text
    assert await whoami(w) is None


# AZ-04 ----------------------------------------------------------------------------------------

async def test_AZ_04_another_browsers_callback_signs_nobody_in(pool_world: World) -> None:
    w = pool_world
    ensure_attacker(w)
    attacker = w.another_browser()
    try:
        lure = await attacker.code_for(await attacker.start_sign_in("/protected"),
                                       email=ATTACKER, password=ATTACKER_PASSWORD)
        refused = await w.get(lure)  # the victim follows the attacker's callback link
        assert_rejected(w, refused, tx_deleted=False)
        assert await whoami(w) is None
        assert not [n for n in w.app_cookies() if n.startswith("cg.")]
    finally:
        await attacker.browser.aclose()


async def test_AZ_04_victims_session_is_unchanged(pool_world: World) -> None:
    w = pool_world
    ensure_attacker(w)
    await w.sign_in("/protected")
    before = {n: v for n, v in w.app_cookies().items() if n.startswith("cg.")}
    attacker = w.another_browser()
    try:
        lure = await attacker.code_for(await attacker.start_sign_in("/protected"),
                                       email=ATTACKER, password=ATTACKER_PASSWORD)
        answer = await w.get(lure)
        assert answer.status_code in (303, 400)
        assert not session_written(answer)
        assert len(w.calls("/oauth2/token")) == 1, "the attacker's code was not redeemed"
        assert {n: v for n, v in w.app_cookies().items() if n.startswith("cg.")} == before
        assert await whoami(w) == DEMO_EMAIL
    finally:
        await attacker.browser.aclose()


# AZ-05 ----------------------------------------------------------------------------------------

async def test_AZ_05_replayed_callback_with_a_session_just_sends_on(pool_world: World) -> None:
    w = pool_world
    callback = await w.code_for(await w.start_sign_in("/protected"))
    assert (await w.get(callback)).status_code == 303

    again = await w.get(callback)  # reload / back button

    assert again.status_code == 303
    assert again.headers["location"] == APP_URL + "/"
    assert not session_written(again)
    assert len(w.calls("/oauth2/token")) == 1, "no second redemption of the code"
    assert await whoami(w) == DEMO_EMAIL


async def test_AZ_05_replay_is_refused_even_with_the_transaction_cookie(pool_world: World) -> None:
    """The transaction is consumed on the server when first used: putting its cookie back (a
    leaked URL plus a saved cookie) does not redeem the code a second time."""
    w = pool_world
    callback = await w.code_for(await w.start_sign_in("/protected"))
    saved = {n: w.app_cookies()[n] for n in tx_names(w)}
    assert (await w.get(callback)).status_code == 303
    w.browser.cookies.clear()
    for name, value in saved.items():
        w.browser.cookies.set(name, value, domain="localhost.local")

    replay = await w.get(callback)

    assert_rejected(w, replay, token_calls=1)
    assert "expired" in replay.text.lower()
    assert "start again" in replay.text.lower() or "try again" in replay.text.lower()


async def test_AZ_05_callback_fifteen_minutes_later_is_expired(pool_world: World) -> None:
    w = pool_world
    callback = await w.code_for(await w.start_sign_in("/protected"))
    w.advance(15 * 60)

    late = await w.get(callback)

    assert_rejected(w, late)
    assert "expired" in late.text.lower()
    retry = re.search(r'href="([^"]+)"', late.text)
    assert retry is not None
    assert retry.group(1) == "/login?return_to=/"


async def test_AZ_05_transaction_lives_about_ten_minutes(pool_world: World) -> None:
    w = pool_world
    authorize = await w.start_sign_in("/protected")
    w.advance(601)  # the transaction has expired; a code minted now would still be fresh
    callback = await w.code_for(authorize)

    late = await w.get(callback)

    assert_rejected(w, late)


async def test_AZ_05_double_submission_redeems_the_code_once(pool_world: World) -> None:
    w = pool_world
    callback = await w.code_for(await w.start_sign_in("/protected"))

    first, second = await asyncio.gather(w.get(callback), w.get(callback))

    assert sorted([first.status_code, second.status_code]) == [303, 400]
    winner = first if first.status_code == 303 else second
    assert winner.headers["location"] == APP_URL + "/protected"
    assert len(w.calls("/oauth2/token")) == 1
    assert await whoami(w) == DEMO_EMAIL


# AZ-06 ----------------------------------------------------------------------------------------

async def test_AZ_06_two_tabs_reverse_order_each_code_with_its_own_verifier(
        pool_world: World) -> None:
    w = pool_world
    tab_a = await w.start_sign_in("/protected/a")
    tab_b = await w.start_sign_in("/protected/b")
    callback_a = await w.code_for(tab_a)
    callback_b = await w.code_for(tab_b)

    done_b = await w.get(callback_b)
    done_a = await w.get(callback_a)

    assert done_b.status_code == done_a.status_code == 303
    assert done_b.headers["location"] == APP_URL + "/protected/b"
    assert done_a.headers["location"] == APP_URL + "/protected/a"
    exchange_b, exchange_a = w.calls("/oauth2/token")
    assert exchange_b.form["code"] == [query_of(callback_b)["code"]]
    assert exchange_a.form["code"] == [query_of(callback_a)["code"]]
    assert _s256(exchange_b.form["code_verifier"][0]) == query_of(tab_b)["code_challenge"]
    assert _s256(exchange_a.form["code_verifier"][0]) == query_of(tab_a)["code_challenge"]
    assert exchange_a.status == exchange_b.status == 200
    assert _nonce(exchange_a.json()["id_token"]) == query_of(tab_a)["nonce"]
    assert _nonce(exchange_b.json()["id_token"]) == query_of(tab_b)["nonce"]


async def _six_tabs(w: World) -> list[str]:
    """Six tabs start signing in; the browser keeps five pending attempts, the oldest goes."""
    tabs = [await w.start_sign_in(f"/protected/tab{i}") for i in range(6)]
    return [await w.code_for(tab) for tab in tabs]


async def test_AZ_06_superseded_tab_arriving_last_is_sent_on(pool_world: World) -> None:
    w = pool_world
    callbacks = await _six_tabs(w)

    answers = [await w.get(cb) for cb in reversed(callbacks)]

    assert [a.status_code for a in answers[:-1]] == [303] * 5
    assert [a.headers["location"] for a in answers[:-1]] == \
        [APP_URL + f"/protected/tab{i}" for i in range(5, 0, -1)]
    oldest = answers[-1]  # signed in by now: simply sent on, its code never redeemed
    assert oldest.status_code == 303
    assert oldest.headers["location"] == APP_URL + "/"
    assert not session_written(oldest)
    assert len(w.calls("/oauth2/token")) == 5
    assert query_of(callbacks[0])["code"] not in {e.form["code"][0]
                                                  for e in w.calls("/oauth2/token")}


async def test_AZ_06_superseded_tab_arriving_first_gets_the_restart_page(
        pool_world: World) -> None:
    w = pool_world
    callbacks = await _six_tabs(w)

    oldest = await w.get(callbacks[0])

    assert_rejected(w, oldest, tx_deleted=False)
    assert 'href="/login?return_to=/"' in oldest.text, "a way to start again"
    later = [await w.get(cb) for cb in callbacks[1:]]
    assert [a.status_code for a in later] == [303] * 5


def _s256(verifier: str) -> str:
    import hashlib

    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(
        b"=").decode()


def _claims(jwt: str) -> dict[str, object]:
    payload = jwt.split(".")[1]
    claims: dict[str, object] = json.loads(base64.urlsafe_b64decode(payload + "==="))
    return claims


def _nonce(jwt: str) -> object:
    return _claims(jwt)["nonce"]


# AZ-07 ----------------------------------------------------------------------------------------

async def _stolen_code_injected(w: World) -> tuple[httpx.Response, World, str]:
    """The victim (``w``) signs in up to the callback; the attacker starts their own sign-in at
    the app and swaps in the victim's code. Returns (the attacker's callback answer, attacker,
    the attacker's authorize URL)."""
    ensure_attacker(w)
    victim_callback = await w.code_for(await w.start_sign_in("/protected"))
    stolen = query_of(victim_callback)["code"]
    attacker = w.another_browser()
    own = await attacker.start_sign_in("/protected")
    own_callback = await attacker.code_for(own, email=ATTACKER, password=ATTACKER_PASSWORD)
    injected = with_params(own_callback, code=stolen)
    return await attacker.get(injected), attacker, own


async def test_AZ_07_code_injection_is_stopped_by_pkce(pool_world: World) -> None:
    w = pool_world
    answer, attacker, own = await _stolen_code_injected(w)
    try:
        assert_rejected(w, answer, token_calls=1)
        [exchange] = w.calls("/oauth2/token")
        assert _s256(exchange.form["code_verifier"][0]) == query_of(own)["code_challenge"]
        assert exchange.status == 400
        assert exchange.json()["error"] == "invalid_grant"
        assert await whoami(attacker) is None
        assert await whoami(w) is None
    finally:
        await attacker.browser.aclose()


async def test_AZ_07_with_pkce_off_the_nonce_still_stops_it(pool_world: World) -> None:
    w = pool_world
    w.lc.faults.ignore_pkce()
    answer, attacker, own = await _stolen_code_injected(w)
    try:
        assert_rejected(w, answer, token_calls=1)
        [exchange] = w.calls("/oauth2/token")
        assert exchange.status == 200, "the provider redeemed the stolen code"
        id_claims = _claims(exchange.json()["id_token"])
        assert id_claims["nonce"] != query_of(own)["nonce"]
        assert id_claims["email"] == DEMO_EMAIL
        assert await whoami(attacker) is None, "not signed in as the victim"
    finally:
        await attacker.browser.aclose()


# AZ-08 ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("error", ["access_denied", "login_required", "server_error"])
async def test_AZ_08_provider_error_with_valid_state(pool_world: World, error: str) -> None:
    w = pool_world
    w.lc.faults.authorize(error=error, times=1)
    answer = await provider_answer(w, await w.start_sign_in("/protected"))
    callback = answer.headers["location"]
    assert query_of(callback)["error"] == error
    assert "state" in query_of(callback)

    page = await w.get(callback)

    assert_rejected(w, page)
    assert error not in page.text, "the raw error code is mapped to fixed text"
    title = re.search(r"<h1>(.*?)</h1>", page.text)
    assert title is not None
    expected = "Sign-in was cancelled" if error == "access_denied" \
        else "Sign-in could not be completed"
    assert title.group(1) == expected
    assert not tx_names(w)


async def test_AZ_08_error_description_is_never_reflected(pool_world: World) -> None:
    w = pool_world
    state = query_of(await w.start_sign_in("/protected"))["state"]
    script = "<script>alert(1)</script>"
    url = f"{APP_URL}/callback/?" + urlencode(
        {"error": "invalid_scope", "error_description": script, "state": state})

    page = await w.get(url)

    assert_rejected(w, page)
    assert "alert(1)" not in page.text
    assert "<script" not in page.text.lower()
    assert "invalid_scope" not in page.text


@pytest.mark.parametrize("signed_in", [False, True], ids=["signed-out", "signed-in"])
async def test_AZ_08_error_without_state_changes_nothing(pool_world: World,
                                                         signed_in: bool) -> None:
    w = pool_world
    if signed_in:
        await w.sign_in("/protected")
    w.lc.faults.authorize(error="server_error", state=False, times=1)
    authorize = await w.start_sign_in("/protected")
    pending = dict(w.app_cookies())
    answer = await provider_answer(w, authorize)
    callback = answer.headers["location"]
    assert "state" not in query_of(callback)

    page = await w.get(callback)

    assert page.status_code == 400
    assert not set_cookies(page), "no cookie changed: no transaction cleared, no session touched"
    assert w.app_cookies() == pending
    assert await whoami(w) == (DEMO_EMAIL if signed_in else None)
    assert len(w.calls("/oauth2/token")) == int(signed_in)


async def test_AZ_08_error_with_wrong_state_changes_nothing(pool_world: World) -> None:
    w = pool_world
    await w.start_sign_in("/protected")
    pending = dict(w.app_cookies())

    page = await w.get(f"{APP_URL}/callback/?error=server_error&state=not-ours")

    assert page.status_code == 400
    assert not session_written(page)
    assert w.app_cookies() == pending
    assert w.calls("/oauth2/token") == []


# AZ-10 ----------------------------------------------------------------------------------------

def _forged_jwt(**claims: object) -> str:
    def part(obj: object) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


async def test_AZ_10_front_channel_tokens_are_never_read(pool_world: World) -> None:
    w = pool_world
    callback = await w.code_for(await w.start_sign_in("/protected"))
    forged = _forged_jwt(sub="attacker", email=ATTACKER, token_use="id")
    url = callback + "&" + urlencode({"access_token": "FORGED", "id_token": forged,
                                      "token_type": "Bearer", "expires_in": "99999"})

    done = await w.get(url)

    assert done.status_code == 303
    assert done.headers["location"] == APP_URL + "/protected"
    [exchange] = w.calls("/oauth2/token")
    me = (await w.get("/api/me", headers={"accept": "application/json"})).json()
    assert me["email"] == DEMO_EMAIL
    assert me["sub"] == _claims(exchange.json()["id_token"])["sub"]


async def test_AZ_10_unexpected_form_post_to_the_callback_is_refused(pool_world: World) -> None:
    w = pool_world
    w.lc.faults.authorize(form_post=True, times=1)
    page = await provider_answer(w, await w.start_sign_in("/protected"))
    assert page.status_code == 200
    action = re.search(r'<form[^>]*action="([^"]+)"', page.text)
    assert action is not None
    assert action.group(1) == APP_URL + "/callback/"
    fields = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', page.text))
    assert {"code", "state"} <= set(fields)

    posted = await w.post(action.group(1), data=fields)

    assert posted.status_code == 405
    assert set(posted.headers["allow"].replace(" ", "").split(",")) == {"GET", "HEAD"}
    assert not session_written(posted)
    assert w.calls("/oauth2/token") == []
    assert await whoami(w) is None


# AZ-11 ----------------------------------------------------------------------------------------

async def test_AZ_11_correct_iss_in_the_response_is_accepted(pool_world: World) -> None:
    w = pool_world
    w.lc.faults.authorize(iss=True, times=1)
    callback = await w.code_for(await w.start_sign_in("/protected"))
    assert query_of(callback)["iss"] == w.lc.issuer

    done = await w.get(callback)

    assert done.status_code == 303
    assert done.headers["location"] == APP_URL + "/protected"


@pytest.mark.parametrize("iss", ["https://evil.example", "ISSUER/", "ISSUER-evil", "ISSUER*2"])
async def test_AZ_11_foreign_iss_is_rejected(pool_world: World, iss: str) -> None:
    w = pool_world
    callback = await w.code_for(await w.start_sign_in("/protected"))
    if iss == "ISSUER*2":  # the right issuer, and a second one
        url = callback + "&" + urlencode({"iss": w.lc.issuer}) + "&iss=https%3A%2F%2Fevil.example"
    else:
        url = callback + "&" + urlencode({"iss": iss.replace("ISSUER", w.lc.issuer)})

    refused = await w.get(url)

    assert_rejected(w, refused, tx_deleted=iss != "ISSUER*2")
    assert {urlsplit(e.url).netloc for e in w.backchannel} <= {urlsplit(w.lc.base_url).netloc}


async def test_AZ_11_endpoints_come_from_configuration(pool_world: World) -> None:
    """Nothing in the callback can point the app at another token endpoint or JWKS."""
    w = pool_world
    callback = await w.code_for(await w.start_sign_in("/protected"))
    url = callback + "&" + urlencode({
        "token_endpoint": "https://evil.example/token", "jwks_uri": "https://evil.example/jwks",
        "issuer": "https://evil.example"})

    done = await w.get(url)

    assert done.status_code == 303
    assert {e.url.split("?")[0] for e in w.backchannel} <= {
        w.auth.settings.token_url, w.auth.settings.jwks_url}


# AZ-13 ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("fault", [
    {"omit": ["id_token"]},
    {"omit": ["access_token"]},
    {"token_type": "mac"},
    {"omit": ["token_type"]},
    {"expires_in": "3600"},
    {"expires_in": -5},
    {"expires_in": 0},
], ids=["no-id-token", "no-access-token", "mac", "no-token-type", "expires-in-string",
        "expires-in-negative", "expires-in-zero"])
async def test_AZ_13_unusable_token_response_fails_the_sign_in(pool_world: World,
                                                               fault: dict[str, object]) -> None:
    w = pool_world
    w.lc.faults.token_response(times=1, **fault)
    callback = await w.code_for(await w.start_sign_in("/protected"))

    page = await w.get(callback)

    assert_rejected(w, page, token_calls=1)
    assert await whoami(w) is None, "nothing partial was stored"
    assert not [n for n in w.app_cookies() if n.startswith("cg.")]


@pytest.mark.parametrize("token_type", ["bearer", "BEARER", "Bearer"])
async def test_AZ_13_bearer_is_compared_case_insensitively(pool_world: World,
                                                           token_type: str) -> None:
    w = pool_world
    w.lc.faults.token_response(times=1, token_type=token_type)
    callback = await w.code_for(await w.start_sign_in("/protected"))

    done = await w.get(callback)

    assert done.status_code == 303
    assert await whoami(w) == DEMO_EMAIL


# AZ-14 ----------------------------------------------------------------------------------------

async def test_AZ_14_successful_callback_is_a_clean_303(pool_world: World) -> None:
    w = pool_world
    callback = await w.code_for(await w.start_sign_in("/protected/x?y=1"))

    done = await w.get(callback)

    assert done.status_code == 303
    assert done.headers["location"] == APP_URL + "/protected/x?y=1"
    assert done.headers["referrer-policy"] == "no-referrer"
    assert done.headers["cache-control"] == "no-store"
    assert not re.search(r"<(script|img|link|iframe)", done.text, re.I), "nothing to load"


async def test_AZ_14_callback_error_page_loads_nothing_from_elsewhere(pool_world: World) -> None:
    w = pool_world
    callback = await w.code_for(await w.start_sign_in("/protected"))
    w.advance(15 * 60)

    page = await w.get(callback)

    assert page.status_code == 400
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["cache-control"] == "no-store"
    assert '<meta name="referrer" content="no-referrer">' in page.text
    assert not re.search(r"<(script|img|iframe)", page.text, re.I)
    assert not re.search(r'(src|href)="(https?:)?//', page.text), "no third-party resource"


@pytest.mark.parametrize("revokes", [False, True], ids=["cognito-default", "rfc6749-revokes"])
async def test_AZ_05_code_redeemed_again_elsewhere_the_app_survives_both_ways(
        world: World, revokes: bool) -> None:
    """The app's code is redeemed a second time behind its back (a double-submitting worker, a
    leaked URL). Cognito refuses the replay and keeps the first tokens (cognito-behaviour.md
    §4.4): the session lives on through its refresh. With RFC 6749 §4.1.2 revocation switched
    on, the refresh fails and the session ends cleanly, and signing in again works."""
    w = world
    if revokes:
        w.lc.faults.revoke_on_code_replay()
    callback = await w.code_for(await w.start_sign_in("/protected"))
    assert (await w.get(callback)).status_code == 303
    (first,) = w.calls("/oauth2/token")
    replay = await w.provider_http.post(
        w.lc.base_url + "/oauth2/token",
        data={k: v[0] for k, v in first.form.items()},
        auth=(w.client.client_id, w.client.client_secret or ""))
    assert replay.json() == {"error": "invalid_grant"}
    assert (await w.get("/protected")).status_code == 200

    w.advance(3600 + 61)
    later = await w.get("/protected")

    if not revokes:
        assert later.status_code == 200
        assert w.calls("/oauth2/token")[-1].status == 200
        return
    assert later.status_code in (302, 303)
    assert w.calls("/oauth2/token")[-1].json() == {"error": "invalid_grant"}
    assert await whoami(w) is None
    assert (await w.sign_in("/protected")).status_code == 200
    assert await whoami(w) == DEMO_EMAIL
