"""FT-07 and FT-09: the token endpoint — a code exchange whose outcome is unknown (the code was
consumed, then the connection dropped or timed out) and the OAuth errors it can answer, at
sign-in and at refresh (RF-07: only ``invalid_grant`` ends a session)."""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest

from integration.harness import World, query_of

from .helpers import (
    JSON,
    SESSION_CHUNKS,
    Stopwatch,
    another_process,
    served,
    session_deleted,
    session_writes,
)

UNAVAILABLE = "Sign-in service unavailable"


def _retry_link(page: str) -> str:
    found = re.search(r'<a class="button" href="([^"]+)"', page)
    assert found is not None, "the error page offers no way to try again"
    return found.group(1).replace("&amp;", "&")


async def _uncertain_exchange(app: World) -> None:
    """Sign-in whose code exchange Local Cognito has been told to break: one token call, a
    clear page, no session, and "try again" starts a brand-new authorization request."""
    first = await app.start_sign_in("/protected")
    callback = await app.code_for(first)
    tokens = app.lc.requests["token"]
    clock = Stopwatch()
    failed = await app.get(callback)
    assert clock.elapsed < 3.0
    assert failed.status_code == 503
    assert UNAVAILABLE in failed.text
    assert app.lc.requests["token"] == tokens + 1  # no automatic retry with the same code
    assert not any(n in app.app_cookies() for n in SESSION_CHUNKS)
    assert not any(n.startswith("cg_tx_") for n in app.app_cookies())  # attempt is over

    again = await app.get(callback)  # back button / reload: the code is never sent twice
    assert again.status_code == 400
    assert app.lc.requests["token"] == tokens + 1

    retry = await app.get(_retry_link(failed.text))  # the user clicks "Try again"
    assert retry.status_code == 303
    old, new = query_of(first), query_of(retry.headers["location"])
    for name in ("state", "nonce", "code_challenge"):
        assert new[name] != old[name], f"the retry reuses the old {name}"
    app.lc.faults.reset()
    final = await app.follow(retry.headers["location"])  # hosted-UI session: straight back
    assert final.status_code == 200
    assert "secret page" in final.text


async def test_FT_07_code_consumed_then_connection_dropped(world: World) -> None:
    """In process, Local Cognito's "consume the code, then drop" surfaces as the transport
    error httpx raises for a connection closed mid-answer (``RemoteProtocolError``)."""
    world.lc.faults.set("token", after=True, drop=True, times=1)
    await _uncertain_exchange(world)


async def test_FT_07_code_consumed_then_connection_dropped_over_a_real_socket(
        world: World) -> None:
    """The same over real TCP: uvicorn closes the socket after a partial answer."""
    async with served(world) as app:
        app.lc.faults.set("token", after=True, drop=True, times=1)
        await _uncertain_exchange(app)


async def test_FT_07_code_consumed_then_the_exchange_times_out(world: World) -> None:
    app = another_process(world, timeout=0.5)
    app.lc.faults.set("token", after=True, delay=30, times=1)
    await _uncertain_exchange(app)


CODE_EXCHANGE_ERRORS = [
    pytest.param({"error": "invalid_grant"}, 400, "code_rejected", id="invalid_grant"),
    pytest.param({"error": "invalid_client"}, 503, "client_rejected", id="invalid_client-400"),
    pytest.param({"error": "invalid_client", "status": 401}, 503, "client_rejected",
                 id="invalid_client-401"),
    pytest.param({"error": "unauthorized_client"}, 503, "client_rejected",
                 id="unauthorized_client"),
    pytest.param({"status": 429, "retry_after": 7}, 503, "provider_unavailable", id="429"),
    pytest.param({"error": "mystery_error"}, 400, "signin_failed", id="unknown-error"),
    pytest.param({"status": 400, "body": "html"}, 503, "provider_unavailable", id="400-html"),
    pytest.param({"status": 502}, 503, "provider_unavailable", id="502"),
]


@pytest.mark.parametrize(("fault", "status", "code"), CODE_EXCHANGE_ERRORS)
async def test_FT_09_oauth_errors_from_the_token_endpoint_at_sign_in(
        world: World, fault: dict[str, Any], status: int, code: str,
        caplog: pytest.LogCaptureFixture) -> None:
    """Each error gets its page (a link starts a new flow, nothing redirects by itself), no
    session, and configuration errors raise an operator alert in the log."""
    callback = await world.code_for(await world.start_sign_in("/protected"))
    world.lc.faults.set("token", **fault)
    with caplog.at_level(logging.INFO, logger="cognito_gate"):
        page = await world.get(callback)
    assert page.status_code == status
    assert f"Error code: {code}" in page.text
    assert _retry_link(page.text).startswith("/login?return_to=")
    assert not any(n in world.app_cookies() for n in SESSION_CHUNKS)
    assert world.lc.requests["token"] == 1
    if code == "client_rejected":
        assert any(r.levelno >= logging.ERROR for r in caplog.records), "no operator alert"
    if fault.get("status") == 429:
        assert page.headers["retry-after"] == "7"


async def test_FT_09_error_description_is_never_shown(world: World) -> None:
    callback = await world.code_for(await world.start_sign_in("/protected"))
    hostile = '{"error":"invalid_grant","error_description":"<script>x()</script>CANARY-42"}'
    world.lc.faults.set("token", status=400, body=hostile,
                        headers={"content-type": "application/json;charset=UTF-8"})
    page = await world.get(callback)
    assert page.status_code == 400
    assert "CANARY-42" not in page.text
    assert "<script>" not in page.text


REFRESH_ERRORS = [
    pytest.param({"error": "invalid_grant"}, True, id="invalid_grant"),
    pytest.param({"error": "invalid_client"}, False, id="invalid_client"),
    pytest.param({"error": "invalid_client", "status": 401}, False, id="invalid_client-401"),
    pytest.param({"error": "unauthorized_client"}, False, id="unauthorized_client"),
    pytest.param({"status": 429, "retry_after": 7}, False, id="429"),
    pytest.param({"error": "mystery_error"}, False, id="unknown-error"),
    pytest.param({"status": 500}, False, id="500"),
    pytest.param({"status": 200, "body": "html"}, False, id="200-html"),
]


@pytest.mark.parametrize(("fault", "ends"), REFRESH_ERRORS)
async def test_FT_09_oauth_errors_from_the_token_endpoint_at_refresh(
        world: World, fault: dict[str, Any], ends: bool) -> None:
    """With an expired access token: only ``invalid_grant`` ends the session (sent to sign in,
    cookies cleared); everything else is a 503 that keeps it, and the user gets back in as
    soon as the provider answers properly again."""
    assert (await world.sign_in("/protected")).status_code == 200
    world.lc.faults.set("token", **fault)
    world.advance(3600 + 1)
    page = await world.get("/protected")
    api = await world.get("/api/me", headers=JSON)
    if ends:
        assert page.status_code == 303
        assert "/login" in page.headers["location"]
        assert session_deleted(page)
        assert api.status_code == 401
        return
    assert page.status_code == 503
    assert api.status_code == 503
    assert api.headers.get("retry-after")
    assert not session_deleted(page)
    assert not session_deleted(api)
    assert world.lc.requests["token"] == 2  # one attempt, then a cool-off
    world.lc.faults.reset()
    world.advance(11)
    healed = await world.get("/protected")
    assert healed.status_code == 200
    assert session_writes(healed)
