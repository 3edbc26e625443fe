"""security-cases.md §A, claims (IDT-10…IDT-17): Local Cognito signs correctly but puts the wrong
claims in; the app must refuse them at the callback, on refresh, in the cookie and as a bearer
token — and accept the boundary values it should."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from .conftest import OTHER_CLIENT
from .expect import (
    bearer_rejected,
    callback,
    calls_now,
    cookie_rejected,
    drop_session,
    forget_redirects,
    provider_calls,
    rejected_at_callback,
    signed_in,
)
from .forge import DirectClient, bearer, peek, session_of
from .harness import World, query_of

TOKEN_FAULTS = ("id_token", "access_token")


async def _reject_each(world: World, slot: str, variants: dict[str, dict[str, Any]]) -> None:
    """Arm each fault on ``slot`` in turn and expect the callback to refuse the sign-in."""
    for what, fault in variants.items():
        world.lc.faults.reset()
        getattr(world.lc.faults, slot)(**fault)
        response, before = await callback(world)
        await rejected_at_callback(world, response, before, what=f"{slot}: {what}")
    world.lc.faults.reset()


async def _accepted(world: World, slot: str, fault: dict[str, Any], what: str) -> None:
    world.lc.faults.reset()
    getattr(world.lc.faults, slot)(**fault)
    response, _ = await callback(world)
    assert response.status_code == 303, f"[{slot}: {what}] {response.text[:300]}"
    world.lc.faults.reset()
    forget_redirects(world)
    page = await world.follow(str(response.url.join(response.headers["location"])))
    assert page.status_code == 200, f"[{slot}: {what}] {page.status_code}"
    drop_session(world)


# IDT-10 ──────────────────────────────────────────────────────────────────────────────────────


def _issuer_variants(issuer: str) -> dict[str, str]:
    base, _, pool = issuer.rpartition("/")
    return {
        "another pool": f"{base}/us-east-1_OTHER",
        "trailing slash": issuer + "/",
        "other scheme": issuer.replace("http://", "https://", 1),
        "other letter case": f"{base}/{pool.upper()}",
        "superstring": issuer + "x",
        "substring": issuer[:-1],
        "other Cognito issuer format": issuer.replace("://", "://issuer-cognito-idp.", 1),
    }


async def test_IDT_10_issuer_must_match_exactly_at_the_callback(pool_world: World) -> None:
    variants = _issuer_variants(pool_world.lc.issuer)
    assert len(set(variants.values()) | {pool_world.lc.issuer}) == len(variants) + 1
    for slot in TOKEN_FAULTS:
        await _reject_each(pool_world, slot,
                           {what: {"claims": {"iss": iss}} for what, iss in variants.items()})


async def test_IDT_10_issuer_must_match_exactly_on_the_bearer_path(
        pool_world: World, direct: DirectClient) -> None:
    for what, iss in _issuer_variants(pool_world.lc.issuer).items():
        pool_world.lc.faults.access_token(claims={"iss": iss})
        token = (await direct.tokens(pool_world.client))["access_token"]
        pool_world.lc.faults.reset()
        await bearer_rejected(pool_world, token, what=what)
    good = (await direct.tokens(pool_world.client))["access_token"]
    assert (await bearer(pool_world, good)).status_code == 200


# IDT-11 ──────────────────────────────────────────────────────────────────────────────────────


async def test_IDT_11_id_token_audience(pool_world: World) -> None:
    ours = pool_world.client.client_id
    await _reject_each(pool_world, "id_token", {
        "another app client of the pool": {"claims": {"aud": OTHER_CLIENT.client_id}},
        "ours plus an untrusted id": {"claims": {"aud": [ours, "untrusted-client"]}},
        "missing": {"remove": ["aud"]},
        "empty array": {"claims": {"aud": []}},
        "empty string": {"claims": {"aud": ""}},
    })
    # An array holding only our client id is fine.
    await _accepted(pool_world, "id_token", {"claims": {"aud": [ours]}}, "aud [ours]")


async def test_IDT_11_tokens_minted_for_another_app_client_are_refused(
        pool_world: World, direct: DirectClient) -> None:
    theirs = await direct.tokens(OTHER_CLIENT)
    assert peek(theirs["id_token"])[1]["aud"] == OTHER_CLIENT.client_id
    await cookie_rejected(pool_world, id_token=theirs["id_token"],
                          access_token=theirs["access_token"],
                          refresh_token=theirs["refresh_token"], what="other client's tokens")
    await bearer_rejected(pool_world, theirs["access_token"], what="other client's access token")


# IDT-12 ──────────────────────────────────────────────────────────────────────────────────────


async def test_IDT_12_required_claims_missing_or_empty_are_rejected(pool_world: World) -> None:
    for slot in TOKEN_FAULTS:
        variants: dict[str, dict[str, Any]] = {}
        for claim in ("sub", "iat", "exp", "iss"):
            variants[f"{claim} missing"] = {"remove": [claim]}
            variants[f'{claim} ""'] = {"claims": {claim: ""}}
            variants[f"{claim} null"] = {"claims": {claim: None}}
        await _reject_each(pool_world, slot, variants)


# IDT-13 ──────────────────────────────────────────────────────────────────────────────────────


async def test_IDT_13_expiry_and_not_before_at_the_callback(pool_world: World) -> None:
    """Tokens live 3600 s, so ``shift exp -3661`` is ``exp = now - 61``. One 60 s leeway for
    ``exp``, ``nbf`` and ``iat``."""
    for slot in TOKEN_FAULTS:
        await _reject_each(pool_world, slot, {
            "exp = now - 61": {"shift": {"exp": -3661}},
            "nbf = now + 120": {"shift": {"nbf": 120}},
            'exp "9999999999"': {"claims": {"exp": "9999999999"}},
            "exp true": {"claims": {"exp": True}},
            "exp 1e300": {"claims": {"exp": 1e300}},
            "exp missing": {"remove": ["exp"]},
        })
        await _accepted(pool_world, slot, {"shift": {"exp": -3630}}, "exp = now - 30")
        await _accepted(pool_world, slot, {"shift": {"nbf": 30}}, "nbf = now + 30")


async def test_IDT_13_expiry_on_the_bearer_path_uses_the_same_leeway(
        pool_world: World, direct: DirectClient) -> None:
    token = (await direct.tokens(pool_world.client))["access_token"]
    assert (await bearer(pool_world, token)).status_code == 200
    pool_world.advance(3600 + 30)  # expired 30 s ago: within the leeway
    assert (await bearer(pool_world, token)).status_code == 200
    pool_world.advance(31)  # expired 61 s ago (the verified-claims cache must not hide it)
    await bearer_rejected(pool_world, token, what="exp = now - 61")


async def test_IDT_13_an_expired_access_token_in_the_cookie_is_refreshed_not_accepted(
        pool_world: World) -> None:
    world = pool_world
    await signed_in(world)
    world.advance(3600 + 61)
    before = provider_calls(world)
    world.lc.faults.set("token", status=503)  # the refresh cannot happen...
    page = await world.get("/protected")
    assert page.status_code == 503, page.status_code  # ...so the expired token is not accepted
    assert "secret" not in page.text
    assert (provider_calls(world) - before)["/oauth2/token"] == 1
    world.lc.faults.reset()
    world.advance(11)  # past the refresh cool-off
    page = await world.get("/protected")
    assert page.status_code == 200, page.status_code
    assert (provider_calls(world) - before)["/oauth2/token"] == 2


# IDT-14 ──────────────────────────────────────────────────────────────────────────────────────


async def test_IDT_14_iat_must_be_fresh_at_sign_in(pool_world: World) -> None:
    """Bound: ``iat`` no older than the code lifetime plus leeway (300 + 60 s), and not in the
    future beyond the leeway."""
    await _reject_each(pool_world, "id_token", {
        "iat 2 hours old": {"shift": {"iat": -7200}},
        "iat 10 minutes in the future": {"shift": {"iat": 600}},
        "iat 361 s old": {"shift": {"iat": -361}},
    })
    await _accepted(pool_world, "id_token", {"shift": {"iat": -240}}, "iat 4 minutes old")


async def test_IDT_14_tokens_in_cookies_are_governed_by_exp_not_iat(pool_world: World) -> None:
    world = pool_world
    await signed_in(world)
    world.advance(2 * 3600)  # the ID token's iat is now two hours old
    before = provider_calls(world)
    page = await world.get("/protected")
    assert page.status_code == 200  # refreshed, not refused for its age
    assert (provider_calls(world) - before)["/oauth2/token"] == 1


# IDT-15 ──────────────────────────────────────────────────────────────────────────────────────


async def test_IDT_15_nonce_is_sent_and_must_match_exactly(pool_world: World) -> None:
    world = pool_world
    await signed_in(world)
    session = await session_of(world)
    assert session is not None
    old_nonce = peek(session.id_token)[1]["nonce"]
    drop_session(world)
    for what in ("no nonce", "a different nonce", "an older login's nonce", "other case"):
        world.lc.faults.reset()
        authorize_url = await world.start_sign_in("/protected")
        sent = query_of(authorize_url).get("nonce")
        assert sent, "no nonce in the authorization request"
        assert sent != old_nonce
        faults: dict[str, dict[str, Any]] = {
            "no nonce": {"remove": ["nonce"]},
            "a different nonce": {"claims": {"nonce": sent[:-2] + "xy"}},
            "an older login's nonce": {"claims": {"nonce": old_nonce}},
            "other case": {"claims": {"nonce": sent.swapcase()}},
        }
        world.lc.faults.id_token(**faults[what])
        code_url = await world.code_for(authorize_url)
        before = calls_now(world)
        await rejected_at_callback(world, await world.get(code_url), before, what=what)


async def test_IDT_15_a_rejected_callback_logs_a_reason_code_never_tokens_or_the_code(
        pool_world: World, caplog: pytest.LogCaptureFixture) -> None:
    world = pool_world
    caplog.set_level(logging.DEBUG)
    world.lc.faults.id_token(claims={"nonce": "not-the-nonce-we-sent"})
    code_url = await world.code_for(await world.start_sign_in("/protected"))
    before = calls_now(world)
    await rejected_at_callback(world, await world.get(code_url), before)
    answer = world.calls("/oauth2/token")[-1].json()
    secrets = [query_of(code_url)["code"], answer["id_token"], answer["access_token"],
               answer["refresh_token"], world.client.client_secret or "?"]
    ours = [r.getMessage() for r in caplog.records if r.name.startswith("cognito_gate.")
            and not r.name.startswith("cognito_gate.local")]
    assert any("nonce_mismatch" in message for message in ours), ours
    for message in ours:
        assert not any(secret in message for secret in secrets), message


# IDT-16 ──────────────────────────────────────────────────────────────────────────────────────


async def test_IDT_16_token_use_mismatch_at_the_callback(pool_world: World) -> None:
    ours = pool_world.client.client_id
    await _reject_each(pool_world, "id_token", {
        "token_use access": {"claims": {"token_use": "access"}},
        "token_use access with client_id too": {
            "claims": {"token_use": "access", "client_id": ours}},
        "token_use missing": {"remove": ["token_use"]},
        "token_use refresh": {"claims": {"token_use": "refresh"}},
    })
    await _reject_each(pool_world, "access_token", {
        "token_use id": {"claims": {"token_use": "id"}},
        "token_use id with aud too": {"claims": {"token_use": "id", "aud": ours}},
        "token_use missing": {"remove": ["token_use"]},
        "token_use ID": {"claims": {"token_use": "ID"}},
    })


async def test_IDT_16_tokens_in_the_wrong_slot_are_rejected(pool_world: World) -> None:
    world = pool_world
    await signed_in(world)
    session = await session_of(world)
    assert session is not None
    id_token, access_token, refresh = session.id_token, session.access_token, \
        session.refresh_token
    await cookie_rejected(world, id_token=access_token, access_token=access_token,
                          refresh_token=refresh, what="access token as the ID token")
    await cookie_rejected(world, id_token=id_token, access_token=id_token,
                          refresh_token=refresh, what="ID token as the access token")
    await cookie_rejected(world, id_token=access_token, access_token=id_token,
                          refresh_token=refresh, what="swapped")
    await bearer_rejected(world, id_token, what="ID token as a bearer token")


# IDT-17 ──────────────────────────────────────────────────────────────────────────────────────


async def test_IDT_17_access_token_of_another_app_client_is_rejected(
        pool_world: World, direct: DirectClient) -> None:
    world = pool_world
    await _reject_each(world, "access_token",
                       {"client_id of another client": {"claims": {"client_id": "other-app"}},
                        "client_id missing": {"remove": ["client_id"]}})
    theirs = (await direct.tokens(OTHER_CLIENT))["access_token"]
    assert peek(theirs)[1]["client_id"] == OTHER_CLIENT.client_id
    await bearer_rejected(world, theirs, what="another client's access token")
    # ...and paired with our own ID token of the same user in a cookie.
    await signed_in(world)
    ours = await session_of(world)
    assert ours is not None
    await cookie_rejected(world, id_token=ours.id_token, access_token=theirs,
                          refresh_token=ours.refresh_token, what="another client's access token")


async def test_IDT_17_a_missing_scope_is_403_on_a_route_that_needs_it(
        pool_world: World, direct: DirectClient) -> None:
    """The app authorises on ``User.scopes``, built from the verified access token."""
    world = pool_world
    await signed_in(world)  # the app asks for openid email phone profile
    answer = await world.get("/api/admin", headers={"accept": "application/json"})
    assert answer.status_code == 403, answer.text
    assert answer.json() == {"error": "insufficient_scope"}
    admin = await direct.tokens(world.client, scope="openid aws.cognito.signin.user.admin")
    assert (await bearer(world, admin["access_token"], "/api/admin")).status_code == 200
    plain = await direct.tokens(world.client, scope="openid email")
    assert (await bearer(world, plain["access_token"], "/api/admin")).status_code == 403
    # User.scopes is exactly the verified access token's scope claim.
    user = (await bearer(world, admin["access_token"], "/api/user")).json()
    assert set(user["scopes"]) == {"openid", "aws.cognito.signin.user.admin"}
