"""OP-14, OP-17, OP-18, OP-19, OP-21: discovery and keys, revocation, userInfo, /logout, and
Local Cognito staying a test tool."""

from __future__ import annotations

import base64
import itertools
import json

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from .conftest import OTHER, WEB
from .helpers import basic, peek, refresh, sign_in, tokens_for, userinfo

DISCOVERY_KEYS = {
    "authorization_endpoint",
    "end_session_endpoint",
    "id_token_signing_alg_values_supported",
    "issuer",
    "jwks_uri",
    "response_types_supported",
    "revocation_endpoint",
    "scopes_supported",
    "subject_types_supported",
    "token_endpoint",
    "token_endpoint_auth_methods_supported",
    "userinfo_endpoint",
}


def verifies(token: str, jwks: dict) -> bool:
    try:
        jws.deserialize_compact(token, KeySet.import_key_set(jwks), algorithms=["RS256"])
    except (JoseError, ValueError):
        return False
    return True


async def get_jwks(http, lc) -> dict:
    return (await http.get(f"/{lc.pool_id}/.well-known/jwks.json")).json()


async def test_OP_14_discovery_has_exactly_cognitos_keys(lc, http):
    doc = (await http.get(f"/{lc.pool_id}/.well-known/openid-configuration")).json()
    assert set(doc) == DISCOVERY_KEYS
    assert doc["issuer"] == lc.issuer
    assert doc["jwks_uri"] == lc.jwks_url
    assert doc["token_endpoint"] == f"{lc.base_url}/oauth2/token"
    assert doc["userinfo_endpoint"] == f"{lc.base_url}/oauth2/userInfo"
    assert doc["scopes_supported"] == ["openid", "email", "phone", "profile"]
    tokens, _ = await tokens_for(http, lc)
    assert peek(tokens["id_token"])[1]["iss"] == doc["issuer"]
    assert (await http.get(doc["jwks_uri"].removeprefix(lc.base_url))).status_code == 200


async def test_OP_14_issuer_base_url_can_be_aws_shaped(http):
    from cognito_gate.local import LocalCognito

    aws = "https://cognito-idp.us-east-1.amazonaws.com"
    lc = LocalCognito(issuer_base_url=aws)
    assert lc.issuer == f"{aws}/us-east-1_LocalDemo"
    assert lc.jwks_url == f"{aws}/us-east-1_LocalDemo/.well-known/jwks.json"


async def test_OP_14_unknown_pool_is_404(lc, http):
    response = await http.get("/us-east-1_Other/.well-known/jwks.json")
    assert response.status_code == 404


async def test_OP_14_jwks_lists_only_rs256_signing_keys(lc, http):
    jwks = await get_jwks(http, lc)
    assert len(jwks["keys"]) == 2
    for key in jwks["keys"]:
        assert key["kty"] == "RSA"
        assert key["alg"] == "RS256"
        assert key["use"] == "sig"
        assert key["e"] == "AQAB"
        assert key["kid"]
        assert "d" not in key
        assert len(base64.urlsafe_b64decode(key["n"] + "==")) == 256


async def test_OP_14_rotation_with_overlap_then_removal(lc, http):
    old, _ = await tokens_for(http, lc)
    lc.rotate_keys(overlap=True)
    jwks = await get_jwks(http, lc)
    assert len(jwks["keys"]) == 4
    new, _ = await tokens_for(http, lc)
    assert peek(new["id_token"])[0]["kid"] != peek(old["id_token"])[0]["kid"]
    assert verifies(old["id_token"], jwks)
    assert verifies(new["id_token"], jwks)
    lc.drop_retired_keys()
    jwks = await get_jwks(http, lc)
    assert len(jwks["keys"]) == 2
    assert not verifies(old["id_token"], jwks)
    assert verifies(new["id_token"], jwks)


async def test_OP_14_rotation_without_overlap(lc, http):
    old, _ = await tokens_for(http, lc)
    lc.rotate_keys(overlap=False)
    jwks = await get_jwks(http, lc)
    assert len(jwks["keys"]) == 2
    assert not verifies(old["access_token"], jwks)


async def test_OP_14_keys_persist_in_the_data_file(tmp_path):
    from cognito_gate.local import LocalCognito

    path = str(tmp_path / "pool.sqlite3")
    first = LocalCognito(data=path)
    kids = [k.kid for k in first.keys.published()]
    secret = first.demo_client.client_secret
    first.rotate_keys()
    first.close()
    again = LocalCognito(data=path)
    assert set(kids) <= {k.kid for k in again.keys.published()}
    assert again.demo_client.client_secret == secret
    assert again.user("demo@example.com") is not None


async def revoke(http, client, token: str):
    return await http.post(
        "/oauth2/revoke",
        data={"token": token},
        headers=basic(client.client_id, client.client_secret),
    )


async def test_OP_17_revoke_kills_the_lineage(lc, http):
    tokens, _ = await tokens_for(http, lc)
    response = await revoke(http, WEB, tokens["refresh_token"])
    assert response.status_code == 200
    assert response.content == b""
    assert (await refresh(http, WEB, tokens["refresh_token"])).json() == {"error": "invalid_grant"}
    assert (await userinfo(http, tokens["access_token"])).status_code == 401
    # Parity with Cognito: the revoked JWT still verifies locally until it expires.
    assert verifies(tokens["access_token"], await get_jwks(http, lc))


async def test_OP_17_other_sign_ins_survive(lc, http):
    first, _ = await tokens_for(http, lc)
    http.cookies.clear()
    second, _ = await tokens_for(http, lc)
    await revoke(http, WEB, first["refresh_token"])
    assert (await refresh(http, WEB, second["refresh_token"])).status_code == 200


async def test_OP_17_unknown_or_revoked_token_is_200(lc, http):
    tokens, _ = await tokens_for(http, lc)
    assert (await revoke(http, WEB, "not-a-token")).status_code == 200
    await revoke(http, WEB, tokens["refresh_token"])
    assert (await revoke(http, WEB, tokens["refresh_token"])).status_code == 200


async def test_OP_17_access_token_is_unsupported(lc, http):
    tokens, _ = await tokens_for(http, lc)
    response = await revoke(http, WEB, tokens["access_token"])
    assert response.status_code == 400
    assert response.json() == {"error": "unsupported_token_type"}


async def test_OP_17_other_clients_token_is_refused_and_stays_valid(lc, http):
    tokens, _ = await tokens_for(http, lc)
    response = await revoke(http, OTHER, tokens["refresh_token"])
    assert response.status_code == 400
    assert (await refresh(http, WEB, tokens["refresh_token"])).status_code == 200


async def test_OP_17_missing_client_auth_or_token(lc, http):
    tokens, _ = await tokens_for(http, lc)
    response = await http.post("/oauth2/revoke", data={"token": tokens["refresh_token"]})
    assert response.status_code == 401
    assert response.json() == {"error": "invalid_client"}
    assert (await revoke(http, WEB, "")).json() == {"error": "invalid_request"}
    assert (await refresh(http, WEB, tokens["refresh_token"])).status_code == 200


async def test_OP_18_userinfo_returns_claims_with_string_flags(lc, http):
    tokens, _ = await tokens_for(http, lc, scope="openid")
    response = await userinfo(http, tokens["access_token"])
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json;charset=UTF-8"
    body = response.json()
    assert body["sub"] == peek(tokens["id_token"])[1]["sub"]
    assert body["email_verified"] == "true"
    assert body["custom:tenant"] == "acme"
    assert body["name"] == "Demo User"
    assert body["username"] == lc.user("demo@example.com").username


async def test_OP_18_scopes_narrow_userinfo(lc, http):
    tokens, _ = await tokens_for(http, lc, scope="openid email")
    body = (await userinfo(http, tokens["access_token"])).json()
    assert set(body) == {"sub", "email", "email_verified", "username"}


def assert_invalid_token(response) -> None:
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith('error="invalid_token", ')


async def test_OP_18_bad_tokens_are_401(lc, http):
    tokens, _ = await tokens_for(http, lc)
    access = tokens["access_token"]
    tampered = access[:-4] + ("AAAA" if not access.endswith("AAAA") else "BBBB")
    header, payload, signature = access.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    forged_payload = (
        base64.urlsafe_b64encode(json.dumps({**claims, "sub": "someone-else"}).encode())
        .rstrip(b"=")
        .decode()
    )
    for bad in (
        tampered,
        f"{header}.{forged_payload}.{signature}",
        tokens["id_token"],
        "garbage",
        "a.b.c",
    ):
        assert_invalid_token(await userinfo(http, bad))


async def test_OP_18_expired_and_revoked_are_401(lc, http):
    tokens, _ = await tokens_for(http, lc)
    lc.clock.advance(3601)
    assert_invalid_token(await userinfo(http, tokens["access_token"]))
    lc.clock.advance(-3601)
    await revoke(http, WEB, tokens["refresh_token"])
    assert_invalid_token(await userinfo(http, tokens["access_token"]))


async def test_OP_18_token_without_openid_is_refused(lc, http):
    tokens, _ = await tokens_for(http, lc, scope="email profile")
    response = await userinfo(http, tokens["access_token"])
    assert response.status_code == 401
    assert "openid" in response.headers["www-authenticate"]


async def test_OP_18_query_string_token_is_refused(lc, http):
    tokens, _ = await tokens_for(http, lc)
    response = await http.get("/oauth2/userInfo", params={"access_token": tokens["access_token"]})
    assert response.status_code == 400
    assert 'error="invalid_request"' in response.headers["www-authenticate"]
    both = await http.get(
        "/oauth2/userInfo",
        params={"access_token": tokens["access_token"]},
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
    )
    assert both.status_code == 400


async def logout(http, **params):
    return await http.get("/logout", params=params)


def session_cleared(response) -> bool:
    return any(
        h.startswith("cognito=") and "Max-Age=0" in h
        for h in response.headers.get_list("set-cookie")
    )


async def test_OP_19_registered_logout_uri(lc, http):
    await sign_in(http, lc)
    response = await logout(
        http, client_id="web-client", logout_uri="https://app.example.com/signed-out"
    )
    assert response.status_code == 302
    assert response.headers["location"] == "https://app.example.com/signed-out"
    assert session_cleared(response)
    assert not any(h.startswith("access-control-") for h in response.headers)


async def test_OP_19_bad_logout_requests_show_error_page(lc, http):
    bad = [
        {"client_id": "web-client", "logout_uri": "https://evil.example/"},
        {"client_id": "web-client", "logout_uri": "https://app.example.com/signed-out/extra"},
        {"client_id": "web-client", "logout_uri": "https://app.example.com/signed-out?x=1"},
        {"client_id": "web-client", "logout_uri": "https%3A%2F%2Fapp.example.com%2Fsigned-out"},
        {"logout_uri": "https://app.example.com/signed-out"},
        {"client_id": "no-such", "logout_uri": "https://app.example.com/signed-out"},
        {"client_id": "other-client", "logout_uri": "https://app.example.com/signed-out"},
    ]
    for params in bad:
        response = await logout(http, **params)
        assert response.status_code == 400, params
        assert "location" not in response.headers
        assert "Required String parameter &#39;redirect_uri&#39; is not present" in response.text


async def test_OP_19_redirect_uri_form_needs_response_type(lc, http):
    response = await logout(
        http, client_id="web-client", redirect_uri="https://app.example.com/callback"
    )
    assert response.status_code == 400
    assert "response_type" in response.text
    ok = await logout(
        http,
        client_id="web-client",
        redirect_uri="https://app.example.com/callback",
        response_type="code",
        state="s",
    )
    assert ok.status_code == 302
    assert ok.headers["location"].startswith("/login?")
    assert "scope=" in ok.headers["location"]
    assert session_cleared(ok)


async def test_OP_19_after_logout_authorize_asks_again(lc, http):
    await sign_in(http, lc)
    silent = await sign_in(http, lc)  # the session answers without the form
    assert silent.location.startswith("https://app.example.com/callback?code=")
    await logout(http, client_id="web-client", logout_uri="https://app.example.com/signed-out")
    response = await http.get(
        "/oauth2/authorize",
        params={
            "response_type": "code",
            "client_id": "web-client",
            "redirect_uri": "https://app.example.com/callback",
        },
    )
    assert response.headers["location"].startswith("/login?")


async def test_OP_19_logout_is_get_only(lc, http):
    response = await http.post("/logout", params={"client_id": "web-client"})
    assert response.status_code == 405
    assert not any(h.startswith("access-control-") for h in response.headers)


def test_OP_21_defaults_are_safe(lc):
    import inspect

    from cognito_gate.local import LocalCognito, cli

    assert lc.faults.active() == {"replay_detection": False, "clock_offset": 0.0}
    assert inspect.signature(LocalCognito.serve).parameters["host"].default == "127.0.0.1"
    assert inspect.signature(LocalCognito).parameters["admin_api"].default is False
    parser = __import__("argparse").ArgumentParser()
    cli.add_parser(parser.add_subparsers())
    assert parser.parse_args(["local"]).host == "127.0.0.1"


async def test_OP_21_admin_api_off_by_default(http):
    from cognito_gate.local import LocalCognito

    plain = LocalCognito()
    import httpx

    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=plain.app), base_url=plain.base_url
    ) as client:
        response = await client.post("/_local/faults", json={"switch": "reset"})
        assert response.status_code == 404


async def test_OP_21_keys_are_per_pool_and_codes_random(lc, http):
    from cognito_gate.local import LocalCognito

    other = LocalCognito()
    ours = {k.kid for k in lc.keys.published()}
    assert ours.isdisjoint({k.kid for k in other.keys.published()})
    codes = [(await sign_in(http, lc)).code for _ in range(3)]
    as_ints = [int(code.replace("-", ""), 16) for code in codes]
    assert len(set(as_ints)) == 3
    assert all(abs(a - b) > 2**64 for a, b in itertools.pairwise(as_ints))
