"""cognito-behaviour.md §4.3/§4.4: the token endpoint no stricter than Cognito. A replayed code
fails with invalid_grant and nothing more; any verifier whose S256 matches redeems the code."""

from __future__ import annotations

import pytest

from .helpers import client_auth, exchange, s256, sign_in, userinfo


async def test_s4_4_replayed_code_is_refused_and_the_first_tokens_stay_valid(lc, http):
    auth = await sign_in(http, lc)
    tokens = (await exchange(http, auth)).json()

    replay = await exchange(http, auth)

    assert replay.status_code == 400
    assert replay.json() == {"error": "invalid_grant"}
    assert (await userinfo(http, tokens["access_token"])).status_code == 200
    refreshed = await http.post(
        "/oauth2/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        headers=client_auth(auth.client),
    )
    assert refreshed.status_code == 200
    assert "access_token" in refreshed.json()


@pytest.mark.parametrize("length", [32, 35, 42, 129, 200])
async def test_s4_3_any_verifier_whose_s256_matches_is_accepted(lc, http, length):
    """flask-cognito-lib sends 35–43 characters; Cognito only recomputes S256 and compares."""
    verifier = ("abcDEF123-._~" * 20)[:length]
    auth = await sign_in(
        http, lc, pkce=False, code_challenge=s256(verifier), code_challenge_method="S256"
    )
    response = await exchange(http, auth, code_verifier=verifier)
    assert response.status_code == 200, response.text


async def test_s4_3_refused_verifier_says_why(lc, http):
    auth = await sign_in(http, lc)
    mismatch = await exchange(http, auth, code_verifier="x" * 50)
    assert mismatch.json() == {
        "error": "invalid_grant",
        "error_description": "code_verifier does not match the code_challenge (S256)",
    }
    missing = await exchange(http, await sign_in(http, lc), code_verifier=None)
    assert "code_verifier is required" in missing.json()["error_description"]


async def test_s4_3_strict_length_switch_refuses_a_short_matching_verifier(lc, http):
    lc.faults.strict_pkce_verifier()
    verifier = "a" * 35
    auth = await sign_in(
        http, lc, pkce=False, code_challenge=s256(verifier), code_challenge_method="S256"
    )
    response = await exchange(http, auth, code_verifier=verifier)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    assert "43-128" in response.json()["error_description"]
    assert lc.faults.active()["strict_pkce_verifier"] is True
    lc.faults.reset()
    assert "strict_pkce_verifier" not in lc.faults.active()
