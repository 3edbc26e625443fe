"""Every fault switch of Appendix B does what faults.py documents, and only when switched on."""

from __future__ import annotations

import base64
import json
import time

import httpx
import pytest
from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from cognito_gate.local import DroppedConnection, FaultError

from .conftest import WEB
from .helpers import exchange, peek, refresh, sign_in, tokens_for, userinfo

JWKS = "/eu-west-1_TestPool1/.well-known/jwks.json"


def _parses(content: bytes) -> bool:
    try:
        json.loads(content)
    except ValueError:
        return False
    return True


async def published(http) -> KeySet:
    return KeySet.import_key_set((await http.get(JWKS)).json())


def verifies(token: str, keys: KeySet) -> bool:
    try:
        jws.deserialize_compact(token, keys, algorithms=["RS256"])
    except (JoseError, ValueError):
        return False
    return True


async def test_faults_are_off_by_default_and_reset(lc, http):
    tokens, _ = await tokens_for(http, lc)
    assert verifies(tokens["id_token"], await published(http))
    lc.faults.set("token", status=503)
    lc.faults.id_token(sign="none")
    lc.faults.detect_refresh_replay()
    lc.faults.clock_offset(30)
    lc.faults.reset()
    assert lc.faults.active() == {"replay_detection": False, "clock_offset": 0.0}
    assert (await exchange(http, await sign_in(http, lc))).status_code == 200


@pytest.mark.parametrize("endpoint", ["token", "revoke", "userinfo", "jwks"])
async def test_endpoint_status_fault(lc, http, endpoint):
    lc.faults.set(endpoint, status=503, times=1)
    paths = {
        "token": "/oauth2/token",
        "revoke": "/oauth2/revoke",
        "userinfo": "/oauth2/userInfo",
        "jwks": JWKS,
    }
    method = "GET" if endpoint in ("userinfo", "jwks") else "POST"
    response = await http.request(method, paths[endpoint])
    assert response.status_code == 503
    assert response.json() == {"error": "server_error"}
    assert (await http.request(method, paths[endpoint])).status_code != 503  # times=1


@pytest.mark.parametrize(
    ("body", "check"),
    [
        ("html", lambda r: r.headers["content-type"].startswith("text/html") and "<h1>" in r.text),
        ("invalid_json", lambda r: not _parses(r.content)),
        ("huge", lambda r: len(r.content) > 4_000_000 and r.json()["keys"] == []),
        ("empty", lambda r: r.content == b""),
        ("custom text", lambda r: r.text == "custom text"),
    ],
)
async def test_endpoint_body_faults(lc, http, body, check):
    lc.faults.set("jwks", body=body)
    response = await http.get(JWKS)
    assert check(response)


async def test_raw_answer_fault_sends_status_headers_and_bytes_verbatim(lc, http):
    body = b'{"error": "invalid_grant"}\xff\x00'
    lc.faults.set("token", status=418, body=body, times=1,
                  headers={"Content-Type": "application/json; charset=latin-1",
                           "retry-after": "\u00b2", "x-raw": b"\x80\x81"})
    response = await http.post("/oauth2/token")
    assert response.status_code == 418
    assert response.content == body
    assert response.headers.get_list("content-type") == ["application/json; charset=latin-1"]
    assert response.headers.raw[-2:] == [(b"retry-after", "\u00b2".encode()),
                                         (b"x-raw", b"\x80\x81")]
    assert response.headers["content-length"] == str(len(body))


async def test_headers_fault_overrides_the_real_answer_and_a_bytes_body_has_no_content_type(
        lc, http):
    lc.faults.set("jwks", headers={"content-type": "text/html", "content-length": "999999"},
                  times=1)
    real = await http.get(JWKS)
    assert real.headers.get_list("content-type") == ["text/html"]
    assert real.headers.get_list("content-length") == ["999999"]
    assert b'"keys"' in real.content
    lc.faults.set("jwks", status=200, body=b"{}", times=1)
    bare = await http.get(JWKS)
    assert "content-type" not in bare.headers
    assert bare.content == b"{}"


@pytest.mark.parametrize("bad", [
    {"headers": {"x": 5}}, {"headers": {"é": "v"}}, {"headers": ["x"]}, {"body": 5},
])
def test_raw_answer_fault_refuses_what_it_cannot_send(lc, bad):
    with pytest.raises(FaultError):
        lc.faults.set("token", **bad)


async def test_429_with_retry_after(lc, http):
    lc.faults.set("token", status=429, retry_after=7)
    response = await http.post("/oauth2/token")
    assert response.status_code == 429
    assert response.headers["retry-after"] == "7"


@pytest.mark.parametrize(("error", "status"), [("invalid_grant", 400), ("invalid_client", 400)])
async def test_oauth_error_on_demand(lc, http, error, status):
    auth = await sign_in(http, lc)
    lc.faults.set("token", error=error, times=1)
    response = await exchange(http, auth)
    assert response.status_code == status
    assert response.json() == {"error": error}
    assert (await exchange(http, auth)).status_code == 200  # the code was not consumed


async def test_revoke_invalid_client_on_demand_is_401(lc, http):
    lc.faults.set("revoke", error="invalid_client")
    assert (await http.post("/oauth2/revoke")).status_code == 401


async def test_jwks_cross_host_redirect(lc, http):
    lc.faults.set("jwks", redirect="https://evil.example/jwks.json")
    response = await http.get(JWKS)
    assert response.status_code == 302
    assert response.headers["location"] == "https://evil.example/jwks.json"


async def test_delay_and_trickle(lc, http):
    lc.faults.set("jwks", delay=0.3, times=1)
    start = time.monotonic()
    response = await http.get(JWKS)
    assert time.monotonic() - start >= 0.3
    assert response.status_code == 200
    assert len(response.json()["keys"]) == 2  # the real answer, late
    lc.faults.set("jwks", body="abcdef", trickle=0.05)
    start = time.monotonic()
    assert (await http.get(JWKS)).text == "abcdef"
    assert time.monotonic() - start >= 0.25


async def test_consume_the_code_then_fail(lc, http):
    auth = await sign_in(http, lc)
    lc.faults.set("token", status=502, after=True, times=1)
    assert (await exchange(http, auth)).status_code == 502
    assert (await exchange(http, auth)).json() == {"error": "invalid_grant"}


async def test_consume_the_code_then_drop_the_connection(lc, http):
    auth = await sign_in(http, lc)
    lc.faults.set("token", drop=True, after=True, times=1)
    with pytest.raises(httpx.RemoteProtocolError):
        await exchange(http, auth)
    assert (await exchange(http, auth)).json() == {"error": "invalid_grant"}


async def test_drop_is_a_dropped_connection(lc, http):
    lc.faults.set("userinfo", drop=True)
    with pytest.raises(DroppedConnection):
        await http.get("/oauth2/userInfo")


async def test_unknown_switch_values_are_refused(lc):
    with pytest.raises(FaultError):
        lc.faults.set("nowhere", status=500)
    with pytest.raises(FaultError):
        lc.faults.set("token", stauts=500)
    with pytest.raises(FaultError):
        lc.faults.id_token(sign="rot13")
    with pytest.raises(FaultError):
        lc.faults.jwks(extra_keys=["weird"])
    with pytest.raises(FaultError):
        lc.faults.id_token(claims={}, times=0)


@pytest.mark.parametrize(
    ("sign", "alg"),
    [
        ("none", "none"),
        ("hs256_public_key", "HS256"),
        ("corrupt", "RS256"),
        ("foreign_key", "RS256"),
        ("es256", "ES256"),
        ("ps256", "PS256"),
        ("rs384", "RS384"),
    ],
)
async def test_signature_faults_fail_verification(lc, http, sign, alg):
    lc.faults.id_token(sign=sign, times=1)
    tokens, _ = await tokens_for(http, lc)
    header, claims = peek(tokens["id_token"])
    assert header["alg"] == alg
    assert claims["token_use"] == "id"
    keys = await published(http)
    assert not verifies(tokens["id_token"], keys)
    assert verifies(tokens["access_token"], keys)
    if sign == "none":
        assert tokens["id_token"].endswith(".")
    if sign == "foreign_key":
        assert header["kid"] in {k["kid"] for k in (await http.get(JWKS)).json()["keys"]}


async def test_hs256_fault_is_keyed_with_the_public_key(lc, http):
    import hashlib
    import hmac

    lc.faults.access_token(sign="hs256_public_key")
    tokens, _ = await tokens_for(http, lc)
    head, body, signature = tokens["access_token"].split(".")
    pem = lc.keys.signing_key("access").public_pem
    expected = hmac.new(pem, f"{head}.{body}".encode(), hashlib.sha256).digest()
    assert base64.urlsafe_b64decode(signature + "=") == expected


async def test_header_faults(lc, http):
    hostile = {
        "kid": "../../../../dev/null",
        "jku": "https://evil.example/jwks",
        "x5u": "https://evil.example/cert",
        "jwk": {"kty": "RSA", "n": "AQAB", "e": "AQAB"},
        "x5c": ["MIIB"],
        "crit": ["exp"],
    }
    lc.faults.id_token(header=hostile)
    tokens, _ = await tokens_for(http, lc)
    header = peek(tokens["id_token"])[0]
    assert header == {"alg": "RS256", **hostile}
    lc.faults.id_token(remove_header=["kid"])
    tokens, _ = await tokens_for(http, lc)
    assert "kid" not in peek(tokens["id_token"])[0]
    assert verifies(tokens["access_token"], await published(http))


async def test_claim_faults(lc, http):
    lc.faults.id_token(
        claims={
            "iss": "https://evil.example",
            "aud": ["web-client", "other"],
            "nonce": "forged",
            "at_hash": "AAAA",
            "token_use": "access",
            "email_verified": "true",
        },
        remove=["sub", "iat"],
        shift={"exp": -7200, "nbf": 600},
    )
    tokens, _ = await tokens_for(http, lc)
    claims = peek(tokens["id_token"])[1]
    assert claims["iss"] == "https://evil.example"
    assert claims["aud"] == ["web-client", "other"]
    assert claims["nonce"] == "forged"
    assert claims["at_hash"] == "AAAA"
    assert claims["token_use"] == "access"
    assert claims["email_verified"] == "true"
    assert "sub" not in claims
    assert "iat" not in claims
    assert claims["exp"] < lc.clock.now()
    assert claims["nbf"] > lc.clock.now()
    assert verifies(tokens["id_token"], await published(http))  # signed: only the claims lie


async def test_access_token_claim_faults(lc, http):
    lc.faults.access_token(claims={"client_id": "other-client"}, remove=["exp"])
    tokens, _ = await tokens_for(http, lc)
    claims = peek(tokens["access_token"])[1]
    assert claims["client_id"] == "other-client"
    assert "exp" not in claims


async def test_aud_removed_and_nonce_removed(lc, http):
    lc.faults.id_token(remove=["aud", "nonce"])
    tokens, _ = await tokens_for(http, lc)
    claims = peek(tokens["id_token"])[1]
    assert "aud" not in claims
    assert "nonce" not in claims


async def test_refresh_id_token_faults_apply_only_to_refreshed_tokens(lc, http):
    lc.faults.refresh_id_token(claims={"sub": "changed", "azp": "someone", "auth_time": 1})
    tokens, _ = await tokens_for(http, lc)
    assert peek(tokens["id_token"])[1]["sub"] != "changed"
    refreshed = (await refresh(http, WEB, tokens["refresh_token"])).json()
    claims = peek(refreshed["id_token"])[1]
    assert claims["sub"] == "changed"
    assert claims["azp"] == "someone"
    assert claims["auth_time"] == 1


async def test_bulk_claims_make_tokens_big(lc, http):
    lc.faults.id_token(bulk_groups=150, bulk_attributes=40)
    lc.faults.access_token(bulk_groups=150)
    tokens, _ = await tokens_for(http, lc)
    assert len(tokens["id_token"]) > 8000
    assert len(tokens["access_token"]) > 4000
    claims = peek(tokens["id_token"])[1]
    assert claims["cognito:groups"][0] == "readers"
    assert len(claims["cognito:groups"]) == 151


async def test_token_response_faults(lc, http):
    lc.faults.token_response(omit=["id_token"], token_type="mac", expires_in="3600")
    response = await exchange(http, await sign_in(http, lc))
    body = response.json()
    assert "id_token" not in body
    assert body["token_type"] == "mac"
    assert body["expires_in"] == "3600"
    lc.faults.token_response(expires_in=None)
    assert "expires_in" not in (await exchange(http, await sign_in(http, lc))).json()


async def test_userinfo_faults(lc, http):
    tokens, _ = await tokens_for(http, lc)
    lc.faults.userinfo(claims={"sub": "someone-else"}, remove=["email"])
    body = (await userinfo(http, tokens["access_token"])).json()
    assert body["sub"] == "someone-else"
    assert "email" not in body


async def test_authorize_faults(lc, http):
    lc.faults.authorize(iss=True, times=1)
    auth = await sign_in(http, lc)
    assert auth.location.count("iss=") == 1
    assert f"iss={__import__('urllib.parse').parse.quote(lc.issuer, safe='')}" in auth.location
    for keep_state in (True, False):
        lc.faults.authorize(error="access_denied", state=keep_state, times=1)
        response = await http.get(
            "/oauth2/authorize",
            params={
                "response_type": "code",
                "client_id": "web-client",
                "state": "s1",
                "redirect_uri": "https://app.example.com/callback",
            },
        )
        location = response.headers["location"]
        assert "error=access_denied" in location
        assert ("state=s1" in location) is keep_state


async def test_form_post_delivery(lc, http):
    await sign_in(http, lc)  # a live session, so authorize answers at once
    lc.faults.authorize(form_post=True)
    response = await http.get(
        "/oauth2/authorize",
        params={
            "response_type": "code",
            "client_id": "web-client",
            "state": "s1",
            "redirect_uri": "https://app.example.com/callback",
        },
    )
    assert response.status_code == 200
    assert '<form method="post" action="https://app.example.com/callback"' in response.text
    assert 'name="code"' in response.text
    assert 'name="state" value="s1"' in response.text
    nonce = response.headers["content-security-policy"].split("'nonce-")[1].split("'")[0]
    assert f'<script nonce="{nonce}">' in response.text


async def test_jwks_with_unparseable_keys(lc, http):
    lc.faults.jwks(times=1)
    keys = (await http.get(JWKS)).json()["keys"]
    assert len(keys) == 5
    kinds = {k["kid"]: k for k in keys}
    assert kinds["unknown-kty-key"]["kty"] == "XYZ"
    assert kinds["encryption-key"]["use"] == "enc"
    assert kinds["broken-rsa-key"]["n"] == "!!not-base64url!!"
    assert len((await http.get(JWKS)).json()["keys"]) == 2


async def test_weak_rsa_fault_signs_with_a_published_1024_bit_key(lc, http):
    """The key is genuine and the signature real: only its size makes a verifier refuse it."""
    lc.faults.jwks(extra_keys=["weak_rsa"], times=1)
    lc.faults.id_token(sign="weak_rsa", times=1)
    tokens, _ = await tokens_for(http, lc)
    header, claims = peek(tokens["id_token"])
    keys = await published(http)
    weak = keys.get_by_kid(header["kid"])
    assert weak.public_key.key_size == 1024
    assert (header["alg"], claims["token_use"]) == ("RS256", "id")
    assert verifies(tokens["id_token"], keys)
    assert header["kid"] not in {k["kid"] for k in (await http.get(JWKS)).json()["keys"]}


async def test_clock_offset_moves_token_times(lc, http):
    lc.faults.clock_offset(-120)
    tokens, _ = await tokens_for(http, lc)
    lc.faults.clock_offset(0)
    assert peek(tokens["id_token"])[1]["iat"] <= time.time() - 119


async def test_admin_api_controls_faults_users_clock_and_codes(lc, http):
    response = await http.post(
        "/_local/faults", json={"switch": "set", "endpoint": "jwks", "status": 503, "times": 1}
    )
    assert response.status_code == 200
    assert "endpoint:jwks" in response.json()
    assert (await http.get(JWKS)).status_code == 503
    bad = await http.post("/_local/faults", json={"switch": "explode"})
    assert bad.status_code == 400
    assert (await http.post("/_local/faults", content=b"[1,2]")).status_code == 400
    await http.post("/_local/faults", json={"switch": "id_token", "remove": ["sub"]})
    tokens, _ = await tokens_for(http, lc)
    assert "sub" not in peek(tokens["id_token"])[1]
    await http.post("/_local/faults", json={"switch": "reset"})

    created = await http.post(
        "/_local/users", json={"email": "api@example.com", "password": "Api-password-1"}
    )
    assert created.status_code == 201
    assert created.json()["sub"] == lc.user("api@example.com").sub
    again = await http.post("/_local/users", json={"email": "api@example.com", "password": "x"})
    assert again.status_code == 409
    assert (await http.post("/_local/users", json={"email": 3})).status_code == 400

    before = lc.clock.now()
    clock = await http.post("/_local/clock", json={"advance": 100})
    assert clock.json()["now"] >= before + 100
    assert (await http.post("/_local/clock", json={"offset": "soon"})).status_code == 400

    lc.new_confirmation_code("pending@example.com")
    code = await http.get("/_local/confirmation-code", params={"email": "pending@example.com"})
    assert code.json()["code"] == lc.last_confirmation_code("pending@example.com")
    assert (await http.get("/_local/confirmation-code")).status_code == 404

    rotated = await http.post("/_local/keys", json={"rotate": True, "overlap": False})
    assert len(rotated.json()["keys"]) == 2
