"""OP-01..OP-04, OP-08..OP-10: authorization codes are single-use, short-lived and bound to
the client, the redirect_uri and the PKCE challenge."""

from __future__ import annotations

import asyncio
import base64
import hashlib

from .conftest import OTHER
from .helpers import client_auth, exchange, pkce_pair, query_of, sign_in, tokens_for, userinfo


async def test_OP_01_codes_are_single_use(lc, http):
    auth = await sign_in(http, lc)
    first = await exchange(http, auth)
    assert first.status_code == 200
    again = await exchange(http, auth)
    assert again.status_code == 400
    assert again.json() == {"error": "invalid_grant"}
    assert again.headers["content-type"].startswith("application/json")
    lc.clock.advance(30)
    assert (await exchange(http, auth)).json() == {"error": "invalid_grant"}


async def test_OP_01_simultaneous_redemptions_exactly_one_wins(lc, http):
    auth = await sign_in(http, lc)
    results = await asyncio.gather(*(exchange(http, auth) for _ in range(8)))
    assert sorted(r.status_code for r in results) == [200] + [400] * 7


async def test_OP_01_replayed_code_revokes_the_tokens_it_produced_under_the_switch(lc, http):
    lc.faults.revoke_on_code_replay()
    auth = await sign_in(http, lc)
    tokens = (await exchange(http, auth)).json()
    assert (await userinfo(http, tokens["access_token"])).status_code == 200
    await exchange(http, auth)
    assert (await userinfo(http, tokens["access_token"])).status_code == 401
    refreshed = await http.post(
        "/oauth2/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        headers=client_auth(auth.client),
    )
    assert refreshed.json() == {"error": "invalid_grant"}


async def test_OP_01_codes_are_uuid_shaped_and_random(lc, http):
    codes = {(await sign_in(http, lc)).code for _ in range(3)}
    assert len(codes) == 3
    for code in codes:
        assert len(code) == 36
        assert code.count("-") == 4


async def test_OP_02_code_valid_one_second_before_ttl(lc, http):
    auth = await sign_in(http, lc)
    lc.clock.advance(lc.config.code_ttl_seconds - 1)
    assert (await exchange(http, auth)).status_code == 200


async def test_OP_02_code_expired_one_second_after_ttl(lc, http):
    auth = await sign_in(http, lc)
    lc.clock.advance(lc.config.code_ttl_seconds + 1)
    response = await exchange(http, auth)
    assert response.status_code == 400
    assert response.json() == {"error": "invalid_grant"}


async def test_OP_03_code_bound_to_client(lc, http):
    auth = await sign_in(http, lc)
    stolen = await http.post(
        "/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "code": auth.code,
            "redirect_uri": auth.redirect_uri,
            "code_verifier": auth.verifier,
        },
        headers=client_auth(OTHER),
    )
    assert stolen.status_code == 400
    assert stolen.json() == {"error": "invalid_grant"}
    # Deliberate choice: another client's attempt does not burn the rightful client's code.
    assert (await exchange(http, auth)).status_code == 200


async def test_OP_04_code_bound_to_redirect_uri(lc, http):
    base = "https://app.example.com/callback"
    variants = [
        base + "/",
        "https://app.example.com/Callback",
        base + "?x=1",
        "http://app.example.com/callback",
        "http://localhost:8000/callback/",
    ]
    for variant in variants:
        auth = await sign_in(http, lc, redirect_uri=base)
        response = await exchange(http, auth, redirect_uri=variant)
        assert response.json() == {"error": "invalid_grant"}, variant


async def test_OP_04_missing_redirect_uri_is_refused(lc, http):
    auth = await sign_in(http, lc)
    response = await exchange(http, auth, redirect_uri=None)
    assert response.status_code == 400
    assert response.json()["error"] in ("invalid_request", "invalid_grant")


async def test_OP_08_pkce_verifier_enforced(lc, http):
    other_verifier, _ = pkce_pair()
    for label, verifier in [("missing", None), ("wrong", other_verifier)]:
        auth = await sign_in(http, lc)
        response = await exchange(http, auth, code_verifier=verifier)
        assert response.json()["error"] == "invalid_grant", label
        # and the code is then unusable, even with the right verifier
        assert (await exchange(http, auth)).json() == {"error": "invalid_grant"}, label


async def test_OP_08_challenge_sent_as_verifier_is_refused(lc, http):
    auth = await sign_in(http, lc)
    challenge = auth.params["code_challenge"]
    assert (await exchange(http, auth, code_verifier=challenge)).json()["error"] == "invalid_grant"


async def test_OP_08_verifier_of_another_transaction_is_refused(lc, http):
    first, second = await sign_in(http, lc), await sign_in(http, lc)
    response = await exchange(http, first, code_verifier=second.verifier)
    assert response.json()["error"] == "invalid_grant"


async def test_OP_08_correct_verifier_succeeds(lc, http):
    tokens, _ = await tokens_for(http, lc)
    assert "access_token" in tokens


async def test_OP_09_plain_or_missing_method_refused_at_authorize(lc, http):
    verifier, challenge = pkce_pair()
    cases = [
        {"code_challenge": verifier, "code_challenge_method": "plain"},
        {"code_challenge": challenge},  # no method: RFC 7636 would default to plain
        {"code_challenge": "short", "code_challenge_method": "S256"},
        {"code_challenge": challenge + "x", "code_challenge_method": "S256"},
        {"code_challenge_method": "S256"},
    ]
    for extra in cases:
        params = {
            "response_type": "code",
            "client_id": "web-client",
            "state": "s1",
            "redirect_uri": "https://app.example.com/callback",
            **extra,
        }
        response = await http.get("/oauth2/authorize", params=params)
        assert response.status_code == 302, extra
        location = response.headers["location"]
        assert location.startswith("https://app.example.com/callback?"), extra
        assert query_of(location) == {"error": "invalid_request", "state": "s1"}, extra


async def test_OP_09_malformed_verifiers_rejected_at_token_under_the_switch(lc, http):
    lc.faults.strict_pkce_verifier()
    for verifier in ["a" * 42, "a" * 129, "a" * 42 + "!", "a" * 42 + " "]:
        digest = hashlib.sha256(verifier.encode()).digest()
        challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
        auth = await sign_in(
            http, lc, pkce=False, code_challenge=challenge, code_challenge_method="S256"
        )
        response = await exchange(http, auth, code_verifier=verifier)
        assert response.json()["error"] == "invalid_grant", verifier
        assert "43-128" in response.json()["error_description"], verifier


async def test_OP_10_pkce_downgrade_refused(lc, http):
    auth = await sign_in(http, lc, pkce=False)
    verifier, _ = pkce_pair()
    response = await exchange(http, auth, code_verifier=verifier)
    assert response.json()["error"] == "invalid_grant"


async def test_OP_10_code_without_pkce_redeems_without_verifier(lc, http):
    auth = await sign_in(http, lc, pkce=False)
    assert (await exchange(http, auth, code_verifier=None)).status_code == 200
