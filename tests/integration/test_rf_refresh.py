"""security-cases.md §D, refresh (RF-01…RF-08), and the refresh flows of issue 3: the clock is
advanced past (or close to) token expiry and the real Local Cognito answers the refresh grant —
with rotation on or off, ``invalid_grant``, or a transient failure from its fault switches."""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Callable
from typing import Any

import pytest

from cognito_gate import MemoryStore
from cognito_gate.local import ClientConfig

from .conftest import (
    HTTPS_APP_URL,
    HTTPS_CLIENT,
    OTHER_CLIENT,
    ROTATING_CLIENT,
    ROTATING_GRACE_CLIENT,
    SHORT_CLIENT,
    SharedPool,
)
from .expect import (
    callback,
    clears_session,
    forget_redirects,
    has_session_cookie,
    provider_calls,
    rejected_on_api,
    rejected_on_page,
    session_writes,
    signed_in,
)
from .forge import (
    DirectClient,
    flip_signature,
    give_cookies,
    peek,
    plant_session,
    session_of,
    tokens_of,
)
from .harness import DEMO_EMAIL, World, set_cookies

API = {"accept": "application/json"}
Fault = dict[str, Any]
LIFETIME = 3600  # the demo client's access and ID tokens


def token_calls(world: World) -> int:
    return provider_calls(world)["/oauth2/token"]


def refresh_calls(world: World) -> list[dict[str, list[str]]]:
    """Forms of the refresh grants the library sent, oldest first."""
    return [e.form for e in world.calls("/oauth2/token")
            if e.form.get("grant_type") == ["refresh_token"]]


# RF-01 ──────────────────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize("seconds", [LIFETIME - 30, LIFETIME + 600],
                         ids=["early window (30 s left)", "expired"])
async def test_RF_01_one_refresh_grant_and_the_request_succeeds_in_the_same_round_trip(
        pool_world: World, seconds: int) -> None:
    world = pool_world
    await signed_in(world)
    old = await tokens_of(world)
    world.advance(seconds)
    before = token_calls(world)
    page = await world.get("/protected")
    assert page.status_code == 200
    assert "secret page for demo@example.com" in page.text
    assert token_calls(world) - before == 1
    grant = world.calls("/oauth2/token")[-1]
    assert grant.form == {"grant_type": ["refresh_token"], "refresh_token": [old.refresh_token]}
    assert grant.basic_auth() == (world.client.client_id, world.client.client_secret)
    assert session_writes(world, page), "no new cookies on the refreshed response"
    new = await tokens_of(world)
    assert new.access_token != old.access_token
    assert new.id_token != old.id_token
    assert new.sid == old.sid
    assert peek(new.access_token)[1]["exp"] > world.clock.now() + 3000
    # The refreshed session now answers from the hot path: no more provider calls.
    assert (await world.get("/api/me", headers=API)).status_code == 200
    assert token_calls(world) - before == 1


async def test_RF_01_an_api_call_is_refreshed_transparently_too(pool_world: World) -> None:
    world = pool_world
    await signed_in(world)
    world.advance(LIFETIME + 5)
    answer = await world.get("/api/me", headers=API)
    assert answer.status_code == 200
    assert answer.json()["email"] == "demo@example.com"
    assert session_writes(world, answer)
    assert len(refresh_calls(world)) == 1


@pytest.mark.parametrize("fault", [
    {"slot": "access_token", "sign": "corrupt"},
    {"slot": "access_token", "claims": {"client_id": OTHER_CLIENT.client_id}},
    {"slot": "access_token", "shift": {"exp": -LIFETIME - 120}},
    {"slot": "refresh_id_token", "claims": {"iss": "https://evil.example/us-east-1_LocalDemo"}},
    {"slot": "refresh_id_token", "remove": ["exp"]},
    {"slot": "refresh_id_token", "claims": {"token_use": "access"}},
], ids=lambda f: f"{f['slot']}:{sorted(set(f) - {'slot'})}")
async def test_RF_01_refreshed_tokens_get_the_full_section_A_checks(
        pool_world: World, fault: Fault) -> None:
    world = pool_world
    await signed_in(world)
    fault = dict(fault)
    slot = str(fault.pop("slot"))
    getattr(world.lc.faults, slot)(**fault)
    world.advance(LIFETIME)
    rejected_on_page(world, await world.get("/protected"))
    assert len(refresh_calls(world)) == 1


# RF-02 ──────────────────────────────────────────────────────────────────────────────────────


async def test_RF_02_a_refreshed_id_token_must_continue_the_original_session(
        pool_world: World) -> None:
    world = pool_world
    await signed_in(world)
    original = peek((await tokens_of(world)).id_token)[1]
    variants: dict[str, Fault] = {
        "another sub": {"claims": {"sub": "00000000-0000-4000-8000-000000000000"}},
        "another iss": {"claims": {"iss": original["iss"] + "x"}},
        "another aud": {"claims": {"aud": OTHER_CLIENT.client_id}},
        "an added azp": {"claims": {"azp": world.client.client_id}},
        "a changed auth_time": {"claims": {"auth_time": original["auth_time"] - 1}},
        "a different nonce": {"claims": {"nonce": original["nonce"] + "x"}},
        "an iat older than the original": {"shift": {"iat": -2 * LIFETIME}},
    }
    for what, fault in variants.items():
        world.lc.faults.reset()
        await signed_in(world)
        world.lc.faults.refresh_id_token(**fault)
        world.advance(LIFETIME)
        forget_redirects(world)
        before = len(refresh_calls(world))
        rejected_on_page(world, await world.get("/protected"), what=what)
        assert len(refresh_calls(world)) == before + 1, what
    # Controls: the original nonce repeated, or none at all (as Cognito refreshes), continue.
    for repeat_nonce in (True, False):
        world.lc.faults.reset()
        await signed_in(world)
        if repeat_nonce:
            nonce = peek((await tokens_of(world)).id_token)[1]["nonce"]
            world.lc.faults.refresh_id_token(claims={"nonce": nonce})
        world.advance(LIFETIME)
        page = await world.get("/protected")
        assert page.status_code == 200, f"repeat_nonce={repeat_nonce}"


async def test_RF_02_an_api_caller_gets_401_when_the_refresh_breaks_continuity(
        pool_world: World) -> None:
    world = pool_world
    await signed_in(world)
    world.lc.faults.refresh_id_token(claims={"azp": "someone"})
    world.advance(LIFETIME)
    rejected_on_api(world, await world.get("/api/me", headers=API))
    assert not has_session_cookie(world)


# RF-03 ──────────────────────────────────────────────────────────────────────────────────────


async def test_RF_03_without_rotation_the_refresh_cookie_is_kept(pool_world: World) -> None:
    world = pool_world
    await signed_in(world)
    old = await tokens_of(world)
    world.advance(LIFETIME)
    assert (await world.get("/protected")).status_code == 200
    assert "refresh_token" not in world.calls("/oauth2/token")[-1].json()
    new = await tokens_of(world)
    assert new.refresh_token == old.refresh_token
    assert new.access_token != old.access_token
    world.advance(LIFETIME)  # and it keeps working
    assert (await world.get("/protected")).status_code == 200
    assert [f["refresh_token"] for f in refresh_calls(world)] == [[old.refresh_token]] * 2


async def test_RF_03_a_rotated_refresh_token_replaces_the_old_one_in_the_same_response(
        worlds: Callable[..., World]) -> None:
    world = worlds(client=ROTATING_CLIENT)
    await signed_in(world)
    first = (await tokens_of(world)).refresh_token
    world.advance(LIFETIME)
    page = await world.get("/protected")
    assert page.status_code == 200
    rotated = world.calls("/oauth2/token")[-1].json()["refresh_token"]
    assert rotated != first
    assert session_writes(world, page), "the rotated token must go out on this very response"
    assert (await tokens_of(world)).refresh_token == rotated
    for _ in range(2):  # later refreshes send only the newest token (grace 0: the old one fails)
        world.advance(LIFETIME)
        assert (await world.get("/protected")).status_code == 200
    sent = [f["refresh_token"][0] for f in refresh_calls(world)]
    assert sent[0] == first
    assert first not in sent[1:]
    assert sent[1] == rotated
    assert len(set(sent)) == 3


async def test_RF_03_a_lost_set_cookie_is_survived_within_the_grace_period_only(
        worlds: Callable[..., World]) -> None:
    """Rotation with a 30 s grace: the browser never stored the rotated cookie and comes back
    with the old one — to this process (it reuses its own refresh result), to another process
    within the provider's grace (the old token still works), and after it (RF-04 applies)."""
    world = worlds(client=ROTATING_GRACE_CLIENT)
    await signed_in(world)
    world.advance(LIFETIME)
    stale = world.app_cookies()
    assert (await world.get("/protected")).status_code == 200
    assert len(refresh_calls(world)) == 1

    give_cookies(world, stale)  # the same process
    assert (await world.get("/protected")).status_code == 200
    assert len(refresh_calls(world)) == 1, "this process should reuse its refresh result"

    world.advance(10)  # another app process, within the 30 s grace
    second = worlds(client=ROTATING_GRACE_CLIENT)
    give_cookies(second, stale)
    assert (await second.get("/protected")).status_code == 200
    assert len(refresh_calls(second)) == 1

    world.advance(25)  # a third process, 35 s after the rotation
    third = worlds(client=ROTATING_GRACE_CLIENT)
    give_cookies(third, stale)
    rejected_on_page(third, await third.get("/protected"), what="after the grace period")
    assert third.calls("/oauth2/token")[-1].json() == {"error": "invalid_grant"}


async def test_RF_03_a_stale_callback_that_refreshes_sends_the_rotated_cookies(
        worlds: Callable[..., World]) -> None:
    """A signed-in browser reloads an old ``/callback/`` URL just as its tokens are due: the
    check that finds the live session refreshes it, so the answer (home, as for any signed-in
    stale callback) must carry the new cookies — rotation on, grace 0, the old token is spent."""
    world = worlds(client=ROTATING_CLIENT)
    await signed_in(world)
    world.advance(LIFETIME)
    answer = await world.get("/callback/?state=already-used-state&code=already-used-code")
    assert answer.status_code == 303
    assert answer.headers["location"] == world.app_url + "/"
    assert session_writes(world, answer), "the refreshed session's cookies were dropped"
    rotated = world.calls("/oauth2/token")[-1].json()["refresh_token"]
    assert (await tokens_of(world)).refresh_token == rotated
    world.advance(LIFETIME)
    assert (await world.get("/protected")).status_code == 200
    assert refresh_calls(world)[-1]["refresh_token"] == [rotated]


# RF-04 ──────────────────────────────────────────────────────────────────────────────────────


async def _expect_session_ended(world: World, *, api: bool = False, what: str = "") -> None:
    """The refresh is refused: one grant, cookies cleared, sign in again; and no retry loop."""
    before = len(refresh_calls(world))
    stale = world.app_cookies()
    forget_redirects(world)
    if api:
        rejected_on_api(world, await world.get("/api/me", headers=API), what=what)
    else:
        rejected_on_page(world, await world.get("/protected"), what=what)
    assert len(refresh_calls(world)) == before + 1, what
    assert world.calls("/oauth2/token")[-1].json() == {"error": "invalid_grant"}, what
    # No loop: the signed-out browser, and another tab still holding the old cookies, cause no
    # further refresh attempts.
    assert (await world.get("/api/me", headers=API)).status_code == 401
    give_cookies(world, stale)
    assert (await world.get("/api/me", headers=API)).status_code == 401
    assert len(refresh_calls(world)) == before + 1, what


async def test_RF_04_refresh_token_revoked_elsewhere(pool_world: World,
                                                     direct: DirectClient) -> None:
    world = pool_world
    await signed_in(world)
    refresh_token = (await tokens_of(world)).refresh_token
    assert refresh_token is not None
    await direct.revoke(world.client, refresh_token)  # a sign-out somewhere else
    world.advance(LIFETIME)
    await _expect_session_ended(world, what="revoked")


async def test_RF_04_refresh_token_expired(worlds: Callable[..., World]) -> None:
    world = worlds(client=SHORT_CLIENT)  # 5-minute tokens, 60-minute refresh token
    await signed_in(world)
    world.advance(3000)
    assert (await world.get("/protected")).status_code == 200  # refreshed while it could
    world.advance(700)  # the refresh token is now 3700 s old
    await _expect_session_ended(world, api=True, what="expired refresh token")


async def test_RF_04_refresh_token_of_another_app_client(pool_world: World,
                                                         direct: DirectClient) -> None:
    world = pool_world
    await signed_in(world)
    ours = await tokens_of(world)
    theirs = await direct.tokens(OTHER_CLIENT)
    await plant_session(world, id_token=ours.id_token, access_token=ours.access_token,
                        refresh_token=theirs["refresh_token"])
    world.advance(LIFETIME)
    await _expect_session_ended(world, what="another client's refresh token")


async def test_RF_04_user_disabled_by_an_admin_ends_the_session_for_pages_and_apis(
        world: World) -> None:
    """An admin disables the user (``AdminDisableUser``; here Local Cognito's Python API, the
    same implementation): the token endpoint refuses the next refresh with ``invalid_grant``."""
    for api in (False, True):
        world.lc.enable_user(DEMO_EMAIL)
        await signed_in(world)
        world.lc.disable_user(DEMO_EMAIL)
        world.advance(LIFETIME)
        await _expect_session_ended(world, api=api, what=f"api={api}")


async def test_RF_04_no_redirect_loop_after_the_session_ends(world: World) -> None:
    """A page that keeps being asked for after ``invalid_grant`` (the user was disabled) gets a
    bounded number of automatic sign-in redirects per window (the loop breaker's counter
    cookie), then a page."""
    await signed_in(world)
    world.lc.disable_user(DEMO_EMAIL)
    world.advance(LIFETIME)
    forget_redirects(world)
    statuses = [(await world.get("/protected")).status_code for _ in range(6)]
    limit = world.auth.budget.limit
    assert statuses == [303] * limit + [429] * (6 - limit), statuses
    assert len(refresh_calls(world)) == 1


# RF-05 ──────────────────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize("client", [None, ROTATING_CLIENT],
                         ids=["no rotation", "rotation with grace 0"])
@pytest.mark.parametrize("seconds", [LIFETIME + 5, LIFETIME - 30],
                         ids=["expired", "early window"])
async def test_RF_05_concurrent_requests_share_one_refresh(
        worlds: Callable[..., World], client: ClientConfig | None, seconds: int) -> None:
    world = worlds(client=client)
    await signed_in(world)
    first = (await tokens_of(world)).refresh_token
    world.advance(seconds)
    stale = world.app_cookies()
    provider_before = world.lc.requests["token"]
    requests = [world.get("/protected") if i % 4 == 0 else world.get("/api/me", headers=API)
                for i in range(20)]
    answers = await asyncio.gather(*requests)
    assert [a.status_code for a in answers] == [200] * 20
    assert len(refresh_calls(world)) == 1
    assert world.lc.requests["token"] - provider_before == 1  # as the provider counts them
    assert not any(clears_session(world, a) for a in answers)
    newest = world.calls("/oauth2/token")[-1].json().get("refresh_token", first)
    assert (newest != first) == (client is not None)
    assert (await tokens_of(world)).refresh_token == newest

    # Stragglers still holding the old cookie are served from the same refresh result.
    give_cookies(world, stale)
    assert (await world.get("/protected")).status_code == 200
    assert len(refresh_calls(world)) == 1
    # No spurious logout later: the next refresh uses the newest token and succeeds.
    world.advance(LIFETIME)
    assert (await world.get("/protected")).status_code == 200
    assert [f["refresh_token"][0] for f in refresh_calls(world)] == [first, newest]


# RF-06 ──────────────────────────────────────────────────────────────────────────────────────


async def test_RF_06_only_a_genuine_token_that_merely_expired_is_refreshed(
        pool_world: World, direct: DirectClient) -> None:
    """Each planted session holds an expired token next to a valid refresh token; only the one
    whose sole fault is ``exp`` may be refreshed."""
    world = pool_world
    genuine = await direct.tokens(world.client)
    minted = {}
    faults: dict[str, Fault] = {
        "wrong iss": {"claims": {"iss": world.lc.issuer + "/"}},
        "wrong client_id": {"claims": {"client_id": OTHER_CLIENT.client_id}},
    }
    for what, fault in faults.items():
        world.lc.faults.access_token(**fault)
        minted[what] = await direct.tokens(world.client)
        world.lc.faults.reset()
    world.advance(LIFETIME + 120)  # every access token above is now expired too

    sessions = {
        "access token with a bad signature": {
            **genuine, "access_token": flip_signature(genuine["access_token"])},
        "ID token with a bad signature": {
            **genuine, "id_token": flip_signature(genuine["id_token"])},
        **minted,
    }
    for what, tokens in sessions.items():
        before = token_calls(world)
        await plant_session(world, id_token=tokens["id_token"],
                            access_token=tokens["access_token"],
                            refresh_token=tokens["refresh_token"])
        forget_redirects(world)
        rejected_on_page(world, await world.get("/protected"), what=what)
        assert token_calls(world) == before, f"[{what}] a silent refresh was attempted"
    # Control: the genuine, merely expired pair is refreshed once and served.
    before = token_calls(world)
    await plant_session(world, id_token=genuine["id_token"],
                        access_token=genuine["access_token"],
                        refresh_token=genuine["refresh_token"])
    assert (await world.get("/protected")).status_code == 200
    assert token_calls(world) - before == 1


# RF-07 ──────────────────────────────────────────────────────────────────────────────────────

TRANSIENT: dict[str, Fault] = {
    "500": {"status": 500},
    "502 HTML": {"status": 502, "body": "html"},
    "503": {"status": 503},
    "429 Retry-After": {"status": 429, "retry_after": 7},
    "200 HTML page": {"status": 200, "body": "html"},
    "400 temporarily_unavailable": {"error": "temporarily_unavailable"},
    "connection dropped": {"drop": True},
}


async def test_RF_07_transient_failure_during_early_refresh_keeps_serving(
        pool_world: World) -> None:
    world = pool_world
    for what, fault in TRANSIENT.items():
        world.lc.faults.reset()
        await signed_in(world)
        held = await tokens_of(world)
        world.advance(LIFETIME - 30)  # 30 s left: refresh due, token still valid
        world.lc.faults.set("token", **fault)
        before = token_calls(world)
        page = await world.get("/protected")
        assert page.status_code == 200, what
        assert "secret page" in page.text
        assert not set_cookies(page) or not clears_session(world, page), what
        assert token_calls(world) - before == 1, what
        world.advance(5)  # within the cool-off: no hammering
        assert (await world.get("/protected")).status_code == 200, what
        assert token_calls(world) - before == 1, what
        world.lc.faults.reset()
        world.advance(6)  # cool-off over: retried, and now it works
        page = await world.get("/protected")
        assert page.status_code == 200, what
        assert token_calls(world) - before == 2, what
        assert session_writes(world, page), what
        assert (await tokens_of(world)).refresh_token == held.refresh_token


async def test_RF_07_transient_failure_after_expiry_is_503_and_keeps_the_refresh_cookie(
        pool_world: World) -> None:
    world = pool_world
    for what, fault in TRANSIENT.items():
        world.lc.faults.reset()
        await signed_in(world)
        held = await tokens_of(world)
        world.advance(LIFETIME + 120)
        world.lc.faults.set("token", **fault)
        page = await world.get("/protected")
        assert page.status_code == 503, f"[{what}] {page.status_code}"
        assert "secret" not in page.text  # never the expired token
        assert page.headers["content-type"].startswith("text/html")
        api = await world.get("/api/me", headers=API)
        assert api.status_code == 503, what
        assert api.json()["error"] == "provider_unavailable"
        assert int(api.headers["retry-after"]) > 0, what
        for response in (page, api):
            assert not clears_session(world, response), f"[{what}] cookies cleared"
        assert await session_of(world) == held, what
        world.lc.faults.reset()
        world.advance(11)  # the user tries again once the provider is back
        assert (await world.get("/protected")).status_code == 200, what


async def test_RF_07_an_outage_costs_one_token_call_however_many_requests_wait(
        pool_world: World) -> None:
    world = pool_world
    await signed_in(world)
    world.advance(LIFETIME + 120)
    world.lc.faults.set("token", status=503)
    answers = await asyncio.gather(*(world.get("/api/me", headers=API) for _ in range(20)))
    assert {a.status_code for a in answers} == {503}
    assert len(refresh_calls(world)) == 1
    world.advance(5)  # still cooling off: no new attempt
    assert (await world.get("/api/me", headers=API)).status_code == 503
    assert len(refresh_calls(world)) == 1
    assert has_session_cookie(world)


async def test_RF_07_a_400_digit_retry_after_is_a_bounded_503_and_the_cool_off_holds(
        pool_world: World) -> None:
    """``float`` of 400 digits is ``inf`` and ``ceil(inf)`` raised: a 500 on every request, with
    nothing cached, so each one hit the token endpoint again."""
    world = pool_world
    await signed_in(world)
    world.advance(LIFETIME + 120)
    world.lc.faults.set("token", status=429, retry_after=int("9" * 400))
    before = token_calls(world)
    api = await world.get("/api/me", headers=API)
    assert api.status_code == 503
    assert api.json()["error"] == "provider_unavailable"
    assert api.headers["retry-after"] == "300"
    assert (await world.get("/protected")).status_code == 503
    assert token_calls(world) - before == 1
    assert has_session_cookie(world)


@pytest.mark.parametrize(("retry_after", "honoured"), [(45, 45), (3600, 300)],
                         ids=["45 s", "an hour, bounded to 5 minutes"])
async def test_RF_07_the_refresh_cool_off_honours_retry_after_within_a_bound(
        pool_world: World, retry_after: int, honoured: int) -> None:
    """A 429/503 with ``Retry-After`` is not retried before the provider asked (the usual 10 s
    cool-off would hit it again too early), and never waits more than 5 minutes."""
    world = pool_world
    await signed_in(world)
    world.advance(LIFETIME + 120)
    world.lc.faults.set("token", status=429, retry_after=retry_after)
    before = token_calls(world)
    assert (await world.get("/protected")).status_code == 503
    world.lc.faults.reset()
    world.advance(20)  # past the usual cool-off, inside the provider's Retry-After
    assert (await world.get("/api/me", headers=API)).status_code == 503
    assert token_calls(world) - before == 1
    world.advance(honoured - 20)
    assert (await world.get("/protected")).status_code == 200
    assert token_calls(world) - before == 2


NOT_ABOUT_THE_SESSION: dict[str, tuple[str, Fault]] = {
    "invalid_client": ("set", {"error": "invalid_client"}),
    "unauthorized_client": ("set", {"error": "unauthorized_client"}),
    "invalid_request": ("set", {"error": "invalid_request"}),
    "200 without id_token": ("token_response", {"omit": ["id_token"]}),
    "200 with token_type mac": ("token_response", {"token_type": "mac"}),
    '200 with expires_in "3600"': ("token_response", {"expires_in": "3600"}),
}


async def test_RF_07_only_invalid_grant_ends_the_session(pool_world: World) -> None:
    """Other OAuth errors from the token endpoint (a rotated client secret: ``invalid_client``;
    ``unauthorized_client``; ``invalid_request``) and garbled 200 answers are not about this
    session's refresh token: deleting every user's refresh cookie for them would sign the whole
    site out. The session is kept (503 while the tokens are expired, served while they are still
    valid) and works again once the provider does."""
    world = pool_world
    for error, (switch, fault) in NOT_ABOUT_THE_SESSION.items():
        world.lc.faults.reset()
        await signed_in(world)
        held = await tokens_of(world)
        world.advance(LIFETIME - 30)
        if switch == "set":
            world.lc.faults.set("token", **fault)
        else:
            world.lc.faults.token_response(**fault)
        assert (await world.get("/protected")).status_code == 200, error
        world.advance(60)  # now expired
        page = await world.get("/protected")
        assert page.status_code == 503, f"[{error}] {page.status_code}"
        assert "secret" not in page.text
        assert not clears_session(world, page), f"[{error}] cookies cleared"
        assert await session_of(world) == held, error
        world.lc.faults.reset()
        world.advance(11)
        assert (await world.get("/protected")).status_code == 200, error


async def test_RF_07_a_refreshed_token_under_a_kid_the_jwks_lacks_does_not_end_the_session(
        pool_world: World) -> None:
    """Tokens straight from the token endpoint under a kid the JWKS does not list (yet): the
    provider's keys are not settled, which says nothing about this session — it is kept (the
    still-valid token serves) and refreshes once the provider signs with a published key."""
    world = pool_world
    await signed_in(world)
    held = await tokens_of(world)
    world.lc.faults.refresh_id_token(header={"kid": "not-published-yet"})
    world.advance(LIFETIME - 30)
    page = await world.get("/protected")
    assert page.status_code == 200
    assert not clears_session(world, page)
    assert await session_of(world) == held
    world.lc.faults.reset()
    world.advance(11)
    page = await world.get("/protected")
    assert page.status_code == 200
    assert session_writes(world, page)
    assert len(refresh_calls(world)) == 2


# RF-08 ──────────────────────────────────────────────────────────────────────────────────────


async def test_RF_08_the_refresh_token_stays_opaque_and_confidential(
        pool_world: World, caplog: pytest.LogCaptureFixture) -> None:
    world = pool_world
    caplog.set_level(logging.DEBUG)
    response, _ = await callback(world)
    assert response.status_code == 303
    assert (await world.follow(response.headers["location"])).status_code == 200
    session = await tokens_of(world)
    refresh_token = session.refresh_token
    assert refresh_token is not None
    assert refresh_token.count(".") == 4  # Cognito's shape: a 5-segment JWE
    for cookie in set_cookies(response):
        assert refresh_token not in cookie.raw
        if cookie.name in world.auth.sessions.names.chunks and not cookie.deletes:
            assert "httponly" in cookie.attrs
            assert cookie.attrs.get("samesite", "").lower() == "lax"
    world.advance(LIFETIME)
    assert (await world.get("/protected")).status_code == 200
    assert (await world.sign_out()).status_code == 303

    carrying = [e for e in world.backchannel
                if refresh_token in e.url or refresh_token.encode() in e.body
                or any(refresh_token in v for v in e.headers.values())]
    assert [(e.path, e.form.get("grant_type")) for e in carrying] == [
        ("/oauth2/token", ["refresh_token"]), ("/oauth2/revoke", None)]
    assert carrying[0].form["refresh_token"] == [refresh_token]  # sent verbatim
    assert carrying[1].form["token"] == [refresh_token]
    assert refresh_token not in " ".join(world.app_cookies().values())

    secrets = [refresh_token, *refresh_token.split("."), session.id_token, session.access_token,
               world.client.client_secret or "?"]
    ours = [r for r in caplog.records if not r.name.startswith("cognito_gate.local")]
    assert ours, "the library logged nothing at all"
    for record in ours:
        text = record.getMessage()
        assert not any(s in text for s in secrets if len(s) > 8), text


async def test_RF_08_on_https_the_refresh_token_lives_in_a_host_only_secure_cookie(
        worlds: Callable[..., World]) -> None:
    world = worlds(client=HTTPS_CLIENT, app_url=HTTPS_APP_URL)
    response, _ = await callback(world)
    assert response.status_code == 303, response.text
    answer = world.calls("/oauth2/token")[-1].json()
    written = [c for c in set_cookies(response) if not c.deletes]
    session = [c for c in written if c.name.startswith("__Host-cg.")]
    assert session, [c.name for c in written]
    assert all(c.name.startswith("__Host-") for c in written)
    for cookie in session:
        assert answer["refresh_token"] not in cookie.raw
        assert {"httponly", "secure"} <= set(cookie.attrs)
        assert cookie.attrs["path"] == "/"
        assert "domain" not in cookie.attrs


async def test_RF_08_the_refresh_token_is_never_parsed(pool_world: World) -> None:
    """An opaque string that is no JWT at all is stored and sent back byte for byte."""
    world = pool_world
    opaque = "opaque-refresh-token/not+a=jwt"
    world.lc.faults.token_response(times=1, extra={"refresh_token": opaque})
    await signed_in(world)
    assert (await tokens_of(world)).refresh_token == opaque
    world.advance(LIFETIME)
    forget_redirects(world)
    rejected_on_page(world, await world.get("/protected"))  # Local Cognito never issued it
    assert refresh_calls(world)[-1]["refresh_token"] == [opaque]


# The refresh flow over a working day ─────────────────────────────────────────────────────────


async def test_refresh_keeps_the_user_signed_in_until_the_absolute_session_lifetime(
        worlds: Callable[..., World]) -> None:
    """Rotation on: an hourly visit refreshes once each time, each refresh sends the token the
    previous one returned, and the 12-hour session lifetime still ends the session."""
    world = worlds(client=ROTATING_CLIENT)
    await signed_in(world)
    lifetime = world.auth.settings.session_lifetime
    hours = int(lifetime // LIFETIME)
    for hour in range(1, hours):
        world.advance(LIFETIME)
        assert (await world.get("/protected")).status_code == 200, f"hour {hour}"
    grants = world.calls("/oauth2/token")[1:]
    assert len(grants) == hours - 1
    for previous, current in itertools.pairwise(grants):
        assert current.form["refresh_token"] == [previous.json()["refresh_token"]]
    world.advance(LIFETIME)
    forget_redirects(world)
    rejected_on_page(world, await world.get("/protected"), what="absolute lifetime")
    assert len(world.calls("/oauth2/token")) == hours  # no refresh attempted at the end


async def test_RF_03_rotation_with_a_server_side_session_store(
        worlds: Callable[..., World], shared_pool: SharedPool) -> None:
    """The same with ``store=MemoryStore``: the cookie holds only a sealed session id, the
    rotated refresh token goes to the store, and a browser that lost the Set-Cookie still finds
    the newest tokens (the store, not the cookie, holds them)."""
    store = MemoryStore(clock=shared_pool.clock)
    world = worlds(client=ROTATING_CLIENT, auth_kwargs={"store": store})
    await signed_in(world)
    first = (await tokens_of(world)).refresh_token
    assert first is not None
    assert all(first not in value for value in world.app_cookies().values())
    world.advance(LIFETIME)
    stale = world.app_cookies()
    assert (await world.get("/protected")).status_code == 200
    rotated = world.calls("/oauth2/token")[-1].json()["refresh_token"]
    assert (await tokens_of(world)).refresh_token == rotated
    world.advance(LIFETIME)
    give_cookies(world, stale)
    assert (await world.get("/protected")).status_code == 200
    assert [f["refresh_token"][0] for f in refresh_calls(world)] == [first, rotated]
