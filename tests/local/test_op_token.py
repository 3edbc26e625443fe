"""OP-11, OP-12, OP-13, OP-15, OP-16: the token endpoint — client authentication, protocol
hygiene, token contents, refresh continuity and rotation."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest
from joserfc import jws
from joserfc.jwk import KeySet

from .conftest import OTHER, ROTATING, SPA, WEB
from .helpers import basic, exchange, peek, refresh, sign_in, tokens_for, userinfo


async def code_form(http, lc, client=WEB) -> dict[str, str]:
    auth = await sign_in(http, lc, client=client)
    return {
        "grant_type": "authorization_code",
        "code": auth.code,
        "redirect_uri": auth.redirect_uri,
        "code_verifier": auth.verifier or "",
    }


@pytest.mark.parametrize(
    ("headers", "extra"),
    [
        ({}, {}),
        (basic("web-client", "wrongSecret1"), {}),
        (basic("web-client", "x"), {}),
        (basic("web-client", "wrongSecret1wrongSecret1wrongSecret1"), {}),
        (basic("no-such-client", "webSecret123"), {}),
        ({}, {"client_id": "web-client"}),
        ({}, {"client_id": "web-client", "client_secret": "nope"}),
        (basic("web-client", "webSecret123"), {"client_secret": "different"}),
        (basic("web-client", "webSecret123"), {"client_id": "other-client"}),
        ({"Authorization": "Basic !!!notbase64"}, {}),
        ({"Authorization": "Basic d2ViLWNsaWVudA=="}, {}),  # no colon
        ({"Authorization": "Bearer abc"}, {}),
        (basic("spa-client", "a-secret"), {}),  # a public client never takes a secret
    ],
)
async def test_OP_11_client_authentication_failures(lc, http, headers, extra):
    form = await code_form(http, lc)
    response = await http.post("/oauth2/token", data={**form, **extra}, headers=headers)
    assert response.status_code == 400
    assert response.json() == {"error": "invalid_client"}


async def test_OP_11_basic_with_line_breaks_is_invalid_client(lc):
    form = (await code_form_via_new_client(lc)).encode()
    raw = base64.b64encode(b"web-client:webSecret123").decode()
    wrapped = (raw[:10] + "\r\n" + raw[10:]).encode()
    status, body = await raw_post(
        lc, "/oauth2/token", form, [(b"authorization", b"Basic " + wrapped)]
    )
    assert status == 400
    assert json.loads(body) == {"error": "invalid_client"}


async def code_form_via_new_client(lc) -> str:
    from urllib.parse import urlencode

    import httpx

    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=lc.app), base_url=lc.base_url
    ) as http:
        return urlencode(await code_form(http, lc))


async def raw_post(lc, path: str, body: bytes, headers: list[tuple[bytes, bytes]]):
    """POST through the ASGI interface directly (httpx refuses malformed header values)."""
    sent: list[dict] = []
    messages = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive():
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "http_version": "1.1",
        "scheme": "http",
        "server": ("127.0.0.1", 9229),
        "client": ("127.0.0.1", 5000),
        "root_path": "",
        "headers": [(b"content-type", b"application/x-www-form-urlencoded"), *headers],
    }
    await lc.app(scope, receive, send)
    body_out = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return sent[0]["status"], body_out


async def test_OP_11_basic_secret_form_encoded_or_raw_both_work(lc, http):
    from dataclasses import replace

    lc.add_client(replace(WEB, client_secret="web+Secret~1"))
    for secret in ("web+Secret~1", "web%2BSecret~1"):
        form = await code_form(http, lc)
        response = await http.post("/oauth2/token", data=form, headers=basic("web-client", secret))
        assert response.status_code == 200, secret
    form = await code_form(http, lc)
    posted = await http.post(
        "/oauth2/token", data={**form, "client_id": "web-client", "client_secret": "web+Secret~1"}
    )
    assert posted.status_code == 200  # httpx form-encodes the "+" correctly


async def test_OP_11_secret_in_body_and_basic_agreeing_is_accepted(lc, http):
    form = await code_form(http, lc)
    response = await http.post(
        "/oauth2/token",
        data={**form, "client_id": "web-client", "client_secret": "webSecret123"},
        headers=basic("web-client", "webSecret123"),
    )
    assert response.status_code == 200


async def test_OP_11_public_client_needs_no_secret(lc, http):
    auth = await sign_in(http, lc, client=SPA)
    assert (await exchange(http, auth)).status_code == 200


async def test_OP_11_secret_compared_in_constant_time(monkeypatch, lc, http):
    import hmac as hmac_module

    from cognito_gate.local import client_auth

    calls = []
    real = hmac_module.compare_digest
    monkeypatch.setattr(
        client_auth.hmac,
        "compare_digest",
        lambda a, b: calls.append((len(a), len(b))) or real(a, b),
    )
    form = await code_form(http, lc)
    calls.clear()
    await http.post("/oauth2/token", data=form, headers=basic("web-client", "short"))
    assert calls
    assert all(a == b == 32 for a, b in calls)


async def test_OP_11_refresh_and_revoke_need_client_auth(lc, http):
    tokens, _ = await tokens_for(http, lc)
    rt = tokens["refresh_token"]
    response = await http.post(
        "/oauth2/token", data={"grant_type": "refresh_token", "refresh_token": rt}
    )
    assert response.json() == {"error": "invalid_client"}
    revoked = await http.post("/oauth2/revoke", data={"token": rt})
    assert revoked.status_code == 401
    assert revoked.json() == {"error": "invalid_client"}


async def test_OP_12_get_is_refused_with_json(lc, http):
    response = await http.get("/oauth2/token")
    assert response.status_code == 405
    assert response.json() == {"error": "invalid_request"}


async def test_OP_12_json_body_is_invalid_request(lc, http):
    form = await code_form(http, lc)
    response = await http.post(
        "/oauth2/token", json=form, headers=basic("web-client", "webSecret123")
    )
    assert response.status_code == 400
    assert response.json() == {"error": "invalid_request"}


@pytest.mark.parametrize("name", ["code", "grant_type"])
async def test_OP_12_duplicated_parameters_are_invalid_request(lc, http, name):
    from urllib.parse import urlencode

    form = await code_form(http, lc)
    body = urlencode(form) + "&" + urlencode({name: form[name]})
    response = await http.post(
        "/oauth2/token",
        content=body,
        headers={
            **basic("web-client", "webSecret123"),
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    assert response.json() == {"error": "invalid_request"}


async def test_OP_12_unknown_grant_type(lc, http):
    response = await http.post(
        "/oauth2/token",
        data={"grant_type": "password"},
        headers=basic("web-client", "webSecret123"),
    )
    assert response.json() == {"error": "unsupported_grant_type"}


async def test_OP_12_success_is_json_no_store_and_cors(lc, http):
    auth = await sign_in(http, lc)
    response = await exchange(http, auth)
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["pragma"] == "no-cache"
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.headers["content-type"] == "application/json;charset=UTF-8"
    assert set(response.json()) == {
        "id_token",
        "access_token",
        "refresh_token",
        "expires_in",
        "token_type",
    }
    assert response.json()["token_type"] == "Bearer"
    assert response.json()["expires_in"] == 3600


async def test_OP_13_token_contents_match_cognito(lc, http):
    tokens, auth = await tokens_for(http, lc)
    id_header, id_claims = peek(tokens["id_token"])
    access_header, access = peek(tokens["access_token"])
    jwks = (await http.get(lc.jwks_url.removeprefix(lc.base_url))).json()
    kids = {k["kid"] for k in jwks["keys"]}
    assert id_header == {"kid": id_header["kid"], "alg": "RS256"}
    assert access_header["alg"] == "RS256"
    assert {id_header["kid"], access_header["kid"]} <= kids
    assert id_header["kid"] != access_header["kid"]
    for kid in kids:
        assert len(kid) == 44
        assert kid.endswith("=")
        assert len(base64.b64decode(kid)) == 32
    user = lc.user("demo@example.com")
    assert id_claims["iss"] == lc.issuer
    assert id_claims["aud"] == "web-client"
    assert id_claims["token_use"] == "id"
    # an e-mail sign-in pool names its users by their sub (issue 15, cognito-json-api.md §3.1)
    assert id_claims["sub"] == user.sub == user.username == id_claims["cognito:username"]
    for claim in ("auth_time", "iat", "exp", "jti", "origin_jti", "event_id"):
        assert claim in id_claims
    assert id_claims["exp"] - id_claims["iat"] == 3600
    assert id_claims["nonce"] == auth.nonce
    digest = hashlib.sha256(tokens["access_token"].encode()).digest()[:16]
    assert id_claims["at_hash"] == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    assert id_claims["email_verified"] is True
    assert id_claims["cognito:groups"] == ["readers"]
    assert id_claims["custom:tenant"] == "acme"
    assert access["token_use"] == "access"
    assert access["client_id"] == "web-client"
    assert "aud" not in access
    assert access["scope"] == "openid email profile"
    assert access["username"] == user.username
    assert access["version"] == 2
    assert access["origin_jti"] == id_claims["origin_jti"]
    assert access["cognito:groups"] == ["readers"]


async def test_OP_13_tokens_verify_against_published_jwks(lc, http):
    tokens, _ = await tokens_for(http, lc)
    jwks = (await http.get(f"/{lc.pool_id}/.well-known/jwks.json")).json()
    keyset = KeySet.import_key_set(jwks)
    for token in (tokens["id_token"], tokens["access_token"]):
        jws.deserialize_compact(token, keyset, algorithms=["RS256"])


async def test_OP_13_no_groups_claim_when_user_has_none(lc, http):
    tokens, _ = await tokens_for(
        http, lc, email="nogroups@example.com", password="Other-password-2"
    )
    assert "cognito:groups" not in peek(tokens["id_token"])[1]
    assert "cognito:groups" not in peek(tokens["access_token"])[1]


async def test_OP_13_no_nonce_when_none_sent_and_no_id_token_without_openid(lc, http):
    auth = await sign_in(http, lc, scope="email", nonce=None)
    response = await exchange(http, auth)
    assert set(response.json()) == {"access_token", "refresh_token", "expires_in", "token_type"}
    assert peek(response.json()["access_token"])[1]["scope"] == "email"


async def test_OP_15_refresh_token_bound_to_client(lc, http):
    tokens, _ = await tokens_for(http, lc)
    response = await refresh(http, OTHER, tokens["refresh_token"])
    assert response.json() == {"error": "invalid_grant"}


async def test_OP_15_refresh_keeps_identity_and_never_widens_scope(lc, http):
    tokens, _auth = await tokens_for(http, lc, scope="openid email")
    lc.clock.advance(120)
    response = await refresh(http, WEB, tokens["refresh_token"], scope="openid email profile phone")
    assert response.status_code == 200
    body = response.json()
    assert "refresh_token" not in body  # rotation is off
    old, new = peek(tokens["id_token"])[1], peek(body["id_token"])[1]
    for claim in ("iss", "sub", "aud", "auth_time", "origin_jti", "event_id"):
        assert new[claim] == old[claim], claim
    assert old["iat"] + 120 <= new["iat"] <= old["iat"] + 130  # wall time moves on too
    assert new["jti"] != old["jti"]
    assert "nonce" not in new
    assert peek(body["access_token"])[1]["scope"] == "openid email"


async def test_OP_16_rotation_grace_then_invalid(lc, http):
    tokens, _ = await tokens_for(http, lc, client=ROTATING)
    rt1 = tokens["refresh_token"]
    first = await refresh(http, ROTATING, rt1)
    rt2 = first.json()["refresh_token"]
    assert rt2 != rt1
    lc.clock.advance(ROTATING.rotation_grace_seconds - 1)
    assert (await refresh(http, ROTATING, rt1)).status_code == 200  # a retry in the grace period
    lc.clock.advance(2)
    assert (await refresh(http, ROTATING, rt1)).json() == {"error": "invalid_grant"}
    assert (await refresh(http, ROTATING, rt2)).status_code == 200  # no replay detection


async def test_OP_16_replay_detection_revokes_lineage(lc, http):
    lc.faults.detect_refresh_replay()
    tokens, _ = await tokens_for(http, lc, client=ROTATING)
    rt1 = tokens["refresh_token"]
    rt2 = (await refresh(http, ROTATING, rt1)).json()["refresh_token"]
    lc.clock.advance(ROTATING.rotation_grace_seconds + 1)
    assert (await refresh(http, ROTATING, rt1)).json() == {"error": "invalid_grant"}
    assert (await refresh(http, ROTATING, rt2)).json() == {"error": "invalid_grant"}
    assert (await userinfo(http, tokens["access_token"])).status_code == 401


async def test_OP_16_zero_grace_invalidates_immediately(lc, http):
    from dataclasses import replace

    client = lc.add_client(replace(ROTATING, rotation_grace_seconds=0))
    tokens, _ = await tokens_for(http, lc, client=client)
    assert (await refresh(http, client, tokens["refresh_token"])).status_code == 200
    assert (await refresh(http, client, tokens["refresh_token"])).json()["error"] == "invalid_grant"


async def test_OP_16_without_rotation_same_token_works_repeatedly(lc, http):
    tokens, _ = await tokens_for(http, lc)
    for _ in range(3):
        response = await refresh(http, WEB, tokens["refresh_token"])
        assert response.status_code == 200
        assert "refresh_token" not in response.json()


async def test_OP_16_absolute_expiry(lc, http):
    tokens, _ = await tokens_for(http, lc)
    lc.clock.advance(WEB.refresh_token_validity - 10)
    assert (await refresh(http, WEB, tokens["refresh_token"])).status_code == 200
    lc.clock.advance(20)
    assert (await refresh(http, WEB, tokens["refresh_token"])).json() == {"error": "invalid_grant"}


async def test_client_credentials_grant(lc, http):
    headers = basic("machine-client", "machineSecret1")
    response = await http.post(
        "/oauth2/token",
        data={"grant_type": "client_credentials", "scope": "orders/read"},
        headers=headers,
    )
    assert set(response.json()) == {"access_token", "expires_in", "token_type"}
    claims = peek(response.json()["access_token"])[1]
    assert claims["scope"] == "orders/read"
    assert claims["client_id"] == "machine-client"
    assert "username" not in claims
    bad = await http.post(
        "/oauth2/token",
        data={"grant_type": "client_credentials", "scope": "openid"},
        headers=headers,
    )
    assert bad.json() == {"error": "invalid_scope"}
    wrong_flow = await http.post(
        "/oauth2/token",
        data={"grant_type": "client_credentials"},
        headers=basic("web-client", "webSecret123"),
    )
    assert wrong_flow.json() == {"error": "unauthorized_client"}
    default = await http.post(
        "/oauth2/token", data={"grant_type": "client_credentials"}, headers=headers
    )
    assert peek(default.json()["access_token"])[1]["scope"] == "orders/read orders/write"


async def test_refresh_token_is_jwe_shaped_and_stored_hashed(lc, http):
    tokens, _ = await tokens_for(http, lc)
    rt = tokens["refresh_token"]
    parts = rt.split(".")
    assert len(parts) == 5
    assert 1700 <= len(rt) <= 1900
    header = json.loads(base64.urlsafe_b64decode(parts[0] + "=="))
    assert header == {"cty": "JWT", "enc": "A256GCM", "alg": "RSA-OAEP"}
    dump = "\n".join(lc.store._db.iterdump())
    assert rt not in dump
    assert tokens["access_token"] not in dump
