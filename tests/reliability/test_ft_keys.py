"""FT-01, FT-02, FT-05, FT-06: the signing keys — JWKS down cold and warm, key rotation with and
without overlap, removed keys, and a flood of unknown ``kid``s. Faults only through Local
Cognito's switches (``jwks`` endpoint faults, ``rotate_keys``, ``drop_retired_keys``)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest

from integration.forge import forge, peek
from integration.harness import World

from .helpers import (
    JSON,
    SESSION_CHUNKS,
    another_process,
    app_client,
    session_cookies,
    session_deleted,
    session_writes,
    stored_session,
)

UNAVAILABLE = "Sign-in service unavailable"

JWKS_DOWN = [
    pytest.param({"status": 503}, id="503"),
    pytest.param({"drop": True}, id="connection-dropped"),
    pytest.param({"body": "html"}, id="html-page"),
    pytest.param({"body": "invalid_json"}, id="invalid-json"),
    pytest.param({"body": "empty"}, id="empty"),
    pytest.param({"redirect": "http://127.0.0.1:1/jwks.json"}, id="cross-host-redirect"),
]


@pytest.mark.parametrize("fault", JWKS_DOWN)
async def test_FT_01_jwks_unreachable_at_cold_start(world: World, fault: dict[str, Any],
                                                   caplog: pytest.LogCaptureFixture) -> None:
    """No cached keys and no JWKS: nothing is accepted unverified, sessions are kept (503),
    sign-in fails with a clear page, outbound calls are bounded, and it recovers by itself."""
    assert (await world.sign_in("/protected")).status_code == 200  # a session from before
    world.lc.faults.set("jwks", **fault)
    cold = another_process(world)  # a process (re)started during the outage: no keys at all
    jwks_before = world.lc.requests["jwks"]

    with caplog.at_level(logging.WARNING, logger="cognito_gate"):
        page = await cold.get("/protected")
        api = await cold.get("/api/me", headers=JSON)
        home = await cold.get("/")
    assert page.status_code == 503
    assert UNAVAILABLE in page.text
    assert api.status_code == 503
    assert api.json()["error"] == "provider_unavailable"
    assert api.headers.get("retry-after")
    assert home.status_code == 200
    assert "Signed out" in home.text
    for response in (page, api, home):
        assert not session_deleted(response), "a transient fault must not end the session"
        assert not session_writes(response)
    assert any(r.levelno >= logging.ERROR and r.name == "cognito_gate.jwks"
               for r in caplog.records), "no alert-level log for the JWKS outage"

    # A bearer token is not accepted either.
    access = (await cold.auth.sessions.load(cold.auth.session_values(
        session_cookies(world)) or "")).access_token
    bearer = await cold.another_browser().get(
        "/api/me", headers={**JSON, "authorization": f"Bearer {access}"})
    assert bearer.status_code == 503

    # A new sign-in during the outage: the code is exchanged once, then a clear 503 page.
    fresh = cold.another_browser()
    tokens_before = world.lc.requests["token"]
    final = await fresh.sign_in("/protected")
    assert final.status_code == 503
    assert UNAVAILABLE in final.text
    assert 'href="/login?return_to=/protected"' in final.text  # manual retry, a new flow
    assert not any(n in fresh.app_cookies() for n in SESSION_CHUNKS)
    assert world.lc.requests["token"] == tokens_before + 1

    # Bounded: every request above (and more) cost at most one JWKS fetch (backed off).
    for _ in range(5):
        assert (await cold.get("/protected")).status_code == 503
    assert world.lc.requests["jwks"] - jwks_before == 1

    # Recovery without a restart once the JWKS answers again (after the back-off).
    world.lc.faults.reset()
    world.advance(11)
    again = await cold.get("/protected")
    assert again.status_code == 200
    assert "secret page" in again.text
    assert world.lc.requests["jwks"] - jwks_before == 2


async def test_FT_02_jwks_unreachable_with_a_warm_cache(world: World) -> None:
    """Cached keys keep verifying (new tokens too) for the stale period, refetches back off, an
    unknown kid is not accepted and does not end a session, and past the stale limit new
    verifications fail closed."""
    lc = world.lc
    assert (await world.sign_in("/protected")).status_code == 200
    assert lc.requests["jwks"] == 1
    lc.faults.set("jwks", status=503)

    # Two hours later: the cache is past its max age and the JWKS is down. The session's
    # tokens expired; the refresh brings new tokens that verify with the stale cached keys.
    world.advance(2 * 3600)
    page = await world.get("/protected")
    assert page.status_code == 200
    assert session_writes(page)
    assert lc.requests["token"] == 2
    assert lc.requests["jwks"] == 2
    other = world.another_browser()
    assert (await other.sign_in("/protected")).status_code == 200  # a new sign-in, stale keys
    for _ in range(5):
        world.advance(1)
        assert (await other.get("/api/me", headers=JSON)).status_code == 200
    assert lc.requests["jwks"] == 2  # back-off: no refetch per request

    # The keys rotate while the JWKS is still down: tokens under the new kid cannot be checked.
    lc.rotate_keys(overlap=True)
    world.advance(3600)  # everyone's tokens are due for refresh again
    third = world.another_browser()
    failed = await third.sign_in("/protected")
    assert failed.status_code == 503  # "try again later", not "your sign-in is invalid"
    assert "Try again" in failed.text
    assert not any(n in third.app_cookies() for n in SESSION_CHUNKS)
    kept = await world.get("/protected")  # its refreshed tokens carry the unknown kid
    assert kept.status_code == 503
    assert UNAVAILABLE in kept.text
    assert not session_deleted(kept), "an outage plus a rotation must not sign anyone out"

    # Past the stale limit (24 h after the last good fetch) nothing new verifies: fail closed.
    world.advance(24 * 3600)
    late = world.another_browser()
    closed = await late.sign_in("/protected")
    assert closed.status_code == 503
    assert UNAVAILABLE in closed.text
    assert not any(n in late.app_cookies() for n in SESSION_CHUNKS)

    # And it all recovers once the JWKS is back (the next attempt after the back-off).
    lc.faults.reset()
    world.advance(301)
    assert (await late.follow("/protected")).status_code == 200  # hosted-UI session: no form


@pytest.mark.parametrize("overlap", [True, False], ids=["overlap", "no-overlap"])
async def test_FT_05_key_rotation_between_and_just_before_signing(world: World,
                                                                  overlap: bool) -> None:
    """(a) login 1 under K1, rotation, login 2 under K2; (b) the only token of a sign-in uses a
    key the cache lacks (the old one already unpublished). Both succeed after one refetch."""
    lc = world.lc
    assert (await world.sign_in("/protected")).status_code == 200
    assert lc.requests["jwks"] == 1
    lc.rotate_keys(overlap=overlap)
    second = world.another_browser()
    assert (await second.sign_in("/protected")).status_code == 200
    assert lc.requests["jwks"] == 2  # exactly one refetch for the new kid
    assert (await second.get("/api/me", headers=JSON)).status_code == 200
    assert (await world.get("/protected")).status_code == 200  # login 1 is still verified
    third = world.another_browser()
    assert (await third.sign_in("/protected")).status_code == 200
    assert lc.requests["jwks"] == 2


@pytest.mark.parametrize("idle", [8 * 3600, 24 * 3600], ids=["idle-8h", "idle-24h"])
async def test_FT_05_removed_key_stops_verifying_within_the_cache_max_age(
        make_world: Callable[..., World], idle: int) -> None:
    """Once K1 leaves the JWKS, tokens signed with it are refused within the JWKS cache's max
    age — also in the process that verified them before (no verified-result cache outlives
    the key), even though the tokens themselves are valid for a day."""
    day = app_client("day-tokens", id_token_validity=86400, access_token_validity=86400)
    world = make_world(client=day, settings_overrides={"session_idle_timeout": idle})
    lc = world.lc
    assert (await world.sign_in("/protected")).status_code == 200
    access = (await world.auth.sessions.load(world.auth.session_values(
        session_cookies(world)) or "")).access_token
    bearer = {**JSON, "authorization": f"Bearer {access}"}
    api = world.another_browser()
    assert (await api.get("/api/me", headers=bearer)).status_code == 200

    lc.rotate_keys(overlap=True)
    lc.drop_retired_keys()  # K1 is gone from the JWKS
    world.advance(600)
    assert (await world.get("/protected")).status_code == 200  # within the cache's max age

    world.advance(3600)  # past jwks_max_age (3600 s): the set is refetched, K1 is not in it
    refused = await api.get("/api/me", headers=bearer)
    assert refused.status_code == 401
    page = await world.get("/protected")
    assert page.status_code == 303
    assert session_deleted(page)
    assert "/login" in page.headers["location"]


async def test_FT_06_unknown_kid_flood_costs_one_fetch_per_cooldown(world: World) -> None:
    """Tokens under a kid the JWKS does not hold (signed with the real key): each is refused,
    and a flood of them costs one refetch per cooldown, not one per request.

    security-cases.md has no FT-06 entry (section H skips FT-03, FT-06 and FT-08); this is the
    behaviour IDT-06 refers to as "see FT-06": a repeated unknown kid within the cooldown
    causes no further outbound requests."""
    lc = world.lc
    assert (await world.sign_in("/protected")).status_code == 200
    fetches = lc.requests["jwks"]
    lc.faults.id_token(header={"kid": "not-a-published-kid"})
    for i in range(4):
        attempt = world.another_browser()
        final = await attempt.sign_in("/protected")
        assert final.status_code == 400
        assert "Try again" in final.text
        assert not any(n in attempt.app_cookies() for n in SESSION_CHUNKS)
        if i == 0:
            assert lc.requests["jwks"] == fetches + 1
    assert lc.requests["jwks"] == fetches + 1  # inside the 10 s cooldown: no more fetches
    world.advance(11)
    final = await world.another_browser().sign_in("/protected")
    assert final.status_code == 400
    assert lc.requests["jwks"] == fetches + 2
    assert (await world.get("/protected")).status_code == 200  # real sessions unaffected


ROTATING = app_client("rotating-keys-app", rotation=True, rotation_grace_seconds=0)


async def test_FT_06_a_forged_kid_cannot_turn_a_key_rotation_into_sign_outs(
        make_world: Callable[..., World]) -> None:
    """One anonymous request with a random kid starts the unknown-kid cooldown; the keys rotate
    inside it. The refresh that follows (rotation on, grace 0: the old refresh token is spent)
    brings tokens under the new kid: they come from the token endpoint, so they refetch the JWKS
    past the attacker's cooldown and the session goes on."""
    world = make_world(client=ROTATING)
    lc = world.lc
    assert (await world.sign_in("/protected")).status_code == 200
    old = await stored_session(world, session_cookies(world))
    world.advance(3600 - 30)  # refresh due, tokens still valid, JWKS cache still fresh
    forged = forge(old.access_token, header={"kid": "attacker-chosen-kid"})
    attacker = world.another_browser()
    answer = await attacker.get("/api/me", headers={**JSON, "authorization": f"Bearer {forged}"})
    assert answer.status_code == 401
    fetches = lc.requests["jwks"]
    lc.rotate_keys(overlap=True)

    page = await world.get("/protected")
    assert page.status_code == 200
    assert session_writes(page), "the refreshed session was not written"
    new = await stored_session(world, session_cookies(world))
    assert peek(new.id_token)[0]["kid"] != peek(old.id_token)[0]["kid"]  # the new key
    assert new.refresh_token != old.refresh_token
    assert lc.requests["jwks"] == fetches + 1  # one refetch, for the rotation
    # The attacker's cooldown still holds for anonymous traffic: forged kids cost nothing more.
    for _ in range(3):
        await attacker.get("/api/me", headers={**JSON, "authorization": f"Bearer {forged}"})
    assert lc.requests["jwks"] == fetches + 1


async def test_FT_02_a_refresh_whose_new_tokens_cannot_be_checked_yet_keeps_them(
        make_world: Callable[..., World]) -> None:
    """Rotation on, grace 0. The keys rotate while the JWKS is down; a refresh succeeds at the
    token endpoint (the old refresh token is now spent) but its tokens, under the new kid, cannot
    be verified. The session is kept (the still-valid token serves), and the next attempt, once
    the JWKS is back, continues from the rotated refresh token Cognito issued, not the spent
    one (which would be ``invalid_grant`` and a sign-out)."""
    world = make_world(client=ROTATING)
    lc = world.lc
    assert (await world.sign_in("/protected")).status_code == 200
    first = (await stored_session(world, session_cookies(world))).refresh_token
    world.advance(3600 - 30)
    lc.rotate_keys(overlap=True)
    lc.faults.set("jwks", status=503)
    page = await world.get("/protected")
    assert page.status_code == 200
    assert not session_writes(page)
    assert not session_deleted(page)
    issued = world.calls("/oauth2/token")[-1].json()["refresh_token"]

    lc.faults.reset()
    world.advance(31)  # the old access token has expired; cool-off and JWKS back-off are over
    page = await world.get("/protected")
    assert page.status_code == 200
    assert session_writes(page)
    grants = [e.form["refresh_token"][0] for e in world.calls("/oauth2/token")
              if e.form.get("grant_type") == ["refresh_token"]]
    assert grants == [first, issued]
    newest = world.calls("/oauth2/token")[-1].json()["refresh_token"]
    assert (await stored_session(world, session_cookies(world))).refresh_token == newest
