"""AZ-01, AZ-02, AZ-12: what the app sends — the authorization request the browser carries to
Cognito, the transaction it keeps meanwhile, and the code exchange it makes server to server."""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import logging
import re
import ssl
from urllib.parse import urlsplit

import httpx
import pytest

from cognito_gate import CognitoAuth

from .harness import APP_URL, World, query_of, set_cookies

B64URL = re.compile(r"^[A-Za-z0-9_-]+$")
UNRESERVED = re.compile(r"^[A-Za-z0-9._~-]{43,128}$")
AUTHORIZE_PARAMS = {"response_type", "client_id", "redirect_uri", "scope", "state", "nonce",
                    "code_challenge", "code_challenge_method"}



def _is_json(raw: bytes) -> bool:
    """Whether ``raw`` parses as JSON (random bytes may start with ``[`` or ``{`` by chance)."""
    try:
        json.loads(raw)
    except ValueError:
        return False
    return True

def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def b64decode(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


# AZ-01 ----------------------------------------------------------------------------------------

async def test_AZ_01_authorization_request_shape(pool_world: World) -> None:
    w = pool_world
    login = await w.get("/login?return_to=/protected")
    assert login.status_code == 303
    location = login.headers["location"]
    parts = urlsplit(location)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == w.lc.base_url + "/oauth2/authorize"
    raw_pairs = [p.split("=", 1)[0] for p in parts.query.split("&")]
    assert sorted(raw_pairs) == sorted(AUTHORIZE_PARAMS), "each parameter exactly once"
    q = query_of(location)

    assert q["response_type"] == "code"
    assert q["client_id"] == w.client.client_id
    scopes = q["scope"].split(" ")
    assert scopes == list(w.auth.settings.scopes)
    assert "openid" in scopes
    assert set(scopes) <= set(w.client.allowed_scopes)
    assert q["redirect_uri"] == APP_URL + "/callback/" == w.auth.settings.redirect_uri
    assert q["redirect_uri"] in w.client.callback_urls
    for name in ("state", "nonce"):
        value = q[name]
        assert B64URL.match(value), f"{name} is opaque base64url"
        assert len(b64decode(value)) * 8 >= 128, f"{name} carries at least 128 bits"
        assert not _is_json(b64decode(value)), f"no JSON in {name}"
        assert not value.startswith("ey")
    assert q["state"] != q["nonce"]
    assert q["code_challenge_method"] == "S256"
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", q["code_challenge"])
    secret = w.client.client_secret or ""
    assert secret
    assert secret not in location
    assert "secret" not in location.lower()
    assert "verifier" not in location.lower()


async def test_AZ_01_code_challenge_is_s256_of_the_verifier_sent_later(pool_world: World) -> None:
    w = pool_world
    authorize = await w.start_sign_in("/protected")
    challenge = query_of(authorize)["code_challenge"]
    callback = await w.code_for(authorize)
    assert (await w.get(callback)).status_code == 303

    [exchange] = w.calls("/oauth2/token")
    verifier = exchange.form["code_verifier"][0]
    assert s256(verifier) == challenge
    assert verifier not in authorize
    assert verifier not in callback
    assert all(verifier not in url for url in w.visited), "the verifier never reaches a browser"


# AZ-02 ----------------------------------------------------------------------------------------

async def test_AZ_02_a_thousand_logins_get_fresh_unrelated_values(pool_world: World) -> None:
    w = pool_world
    states, nonces, challenges, tx_values = set(), set(), set(), set()
    for _ in range(1000):
        status, headers, _ = await w.raw("GET", "/login?return_to=/protected")
        assert status == 303
        q = query_of(headers["location"])
        states.add(q["state"])
        nonces.add(q["nonce"])
        challenges.add(q["code_challenge"])
        [tx] = headers.get_list("set-cookie")
        tx_values.add(tx.split(";")[0].split("=", 1)[1])
    assert len(states) == len(nonces) == len(challenges) == len(tx_values) == 1000
    assert not states & nonces
    assert not states & challenges
    assert not nonces & challenges
    # 256 random bits each: about half of all the bits are ones, and no two share a long prefix
    bits = "".join(f"{byte:08b}" for s in states | nonces for byte in b64decode(s))
    assert 0.49 < bits.count("1") / len(bits) < 0.51
    ordered = sorted(states)
    assert max(len(_common_prefix(a, b)) for a, b in itertools.pairwise(ordered)) < 8
    assert all(len(b64decode(s)) == 32 for s in states | nonces)


def _common_prefix(a: str, b: str) -> str:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return a[:n]


async def test_AZ_02_verifiers_are_43_to_128_unreserved_and_distinct(pool_world: World) -> None:
    w = pool_world
    await w.sign_in("/protected")
    for _ in range(9):  # silent sign-ins on the hosted-UI session
        callback = await w.code_for(await w.start_sign_in("/protected"))
        assert (await w.get(callback)).status_code == 303
    verifiers = [e.form["code_verifier"][0] for e in w.calls("/oauth2/token")]
    assert len(verifiers) == len(set(verifiers)) == 10
    assert all(UNRESERVED.match(v) for v in verifiers)


async def test_AZ_02_transaction_cookie_is_sealed_httponly_and_bound(pool_world: World) -> None:
    w = pool_world
    response = await w.get("/login?return_to=/protected/secret-place")
    q = query_of(response.headers["location"])
    [tx] = [c for c in set_cookies(response) if c.name.startswith("cg_tx_")]

    assert "httponly" in tx.attrs, "JavaScript cannot read the transaction"
    assert tx.attrs["samesite"] == "Lax"
    assert tx.attrs["path"] == "/"
    assert "domain" not in tx.attrs
    assert tx.max_age is not None
    assert 0 < tx.max_age <= 600
    for clear in (q["state"], q["nonce"], "secret-place", "/protected"):
        assert clear not in tx.value, "the transaction is sealed, not readable"
    assert B64URL.match(tx.value)
    # tied to this browser: the same callback from another browser is refused
    callback = await w.code_for(response.headers["location"])
    other = w.another_browser()
    try:
        refused = await other.get(callback)
        assert refused.status_code == 400
        assert w.lc.requests["token"] == 0
        done = await w.get(callback)
        assert done.headers["location"] == APP_URL + "/protected/secret-place"
    finally:
        await other.browser.aclose()


# AZ-12 ----------------------------------------------------------------------------------------

async def test_AZ_12_code_exchange_request_shape(pool_world: World,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    w = pool_world
    seen: list[httpx.Response] = []

    async def keep(response: httpx.Response) -> None:
        await response.aread()
        seen.append(response)

    w.browser.event_hooks["response"].append(keep)
    caplog.set_level(logging.DEBUG)
    authorize = await w.start_sign_in("/protected")
    callback = await w.code_for(authorize)
    done = await w.get(callback)
    assert done.status_code == 303

    [exchange] = w.calls("/oauth2/token")
    assert exchange.method == "POST"
    assert exchange.url == w.auth.settings.token_url == w.lc.base_url + "/oauth2/token"
    assert exchange.headers["content-type"] == "application/x-www-form-urlencoded"
    form = exchange.form
    assert sorted(form) == ["code", "code_verifier", "grant_type", "redirect_uri"]
    assert all(len(values) == 1 for values in form.values())
    assert form["grant_type"] == ["authorization_code"]
    assert form["code"] == [query_of(callback)["code"]]
    assert form["redirect_uri"] == [query_of(authorize)["redirect_uri"]]
    assert exchange.basic_auth() == (w.client.client_id, w.client.client_secret)
    assert "client_secret" not in form, "one client authentication method only"
    assert "client_id" not in form
    assert exchange.status == 200

    secret = w.client.client_secret or ""
    assert all(secret not in url for url in w.visited)
    for response in seen:
        assert secret not in response.text
        assert all(secret not in value for value in response.headers.values())
    assert all(secret not in record.getMessage() for record in caplog.records)
    basic = exchange.headers["authorization"].split(" ", 1)[1]
    assert all(basic not in record.getMessage() for record in caplog.records)


async def test_AZ_12_default_http_client_checks_tls_certificates(pool_world: World) -> None:
    auth = CognitoAuth(pool_world.auth.settings)
    try:
        pool = auth.http._transport._pool  # type: ignore[attr-defined]
        context: ssl.SSLContext = pool._ssl_context
        assert context.verify_mode == ssl.CERT_REQUIRED
        assert context.check_hostname is True
        assert auth.http.follow_redirects is False
    finally:
        await auth.aclose()
