"""FT-04: slow provider endpoints. The library's timeouts (here a 0.5 s HTTP client, passed to
``CognitoAuth`` as an app would) bound every wait although Local Cognito stalls for 30 s or
trickles its answer; concurrent JWKS fetches merge into one; users who need no provider call
are served meanwhile; the user gets a clear page.

userInfo: the library never calls it (claims come from the verified ID token), so a slow
userInfo cannot hold anything up — checked below by counting Local Cognito's requests.
"""

from __future__ import annotations

import asyncio

import httpx

from integration.harness import World

from .helpers import (
    JSON,
    SESSION_CHUNKS,
    Stopwatch,
    another_process,
    served,
    session_deleted,
    session_writes,
)

TIMEOUT = 0.5  # the app's HTTP client timeout, hence the library's total deadline
STALL = 30  # what Local Cognito makes the library wait for
BOUND = 3.0  # generous upper bound for one request on a loaded test machine
UNAVAILABLE = "Sign-in service unavailable"


async def _signed_in_process(world: World) -> World:
    app = another_process(world, timeout=TIMEOUT)
    assert (await app.sign_in("/protected")).status_code == 200
    return app


async def _served_meanwhile(user: World, slow: asyncio.Task[httpx.Response]) -> list[float]:
    """Request ``user``'s pages while ``slow`` waits on the provider; their latencies."""
    latencies = []
    while not slow.done() and len(latencies) < 200:
        clock = Stopwatch()
        response = await user.get("/protected")
        assert response.status_code == 200
        latencies.append(clock.elapsed)
        await asyncio.sleep(0.01)
    return latencies


async def test_FT_04_slow_token_endpoint_at_sign_in(world: World) -> None:
    """The code exchange stalls 30 s: the sign-in ends at the deadline with a clear 503 page
    (and a fresh-flow retry link), while a signed-in user keeps being served."""
    app = await _signed_in_process(world)
    newcomer = app.another_browser()
    callback = await newcomer.code_for(await newcomer.start_sign_in("/protected"))
    world.lc.faults.set("token", delay=STALL)
    clock = Stopwatch()
    slow = asyncio.ensure_future(newcomer.get(callback))
    latencies = await _served_meanwhile(app, slow)
    final = await slow
    assert clock.elapsed < BOUND
    assert final.status_code == 503
    assert UNAVAILABLE in final.text
    assert 'href="/login?return_to=/protected"' in final.text
    assert not any(n in newcomer.app_cookies() for n in SESSION_CHUNKS)
    assert len(latencies) >= 3, latencies  # served several times while the other one waited
    assert max(latencies) < TIMEOUT, latencies


async def test_FT_04_slow_jwks_cold_fetches_merge_and_end_at_the_deadline(world: World) -> None:
    """A cold process, a JWKS that stalls: ten concurrent requests share one fetch, all end
    with 503 near the deadline, and the next ones are answered at once (backing off)."""
    assert (await world.sign_in("/protected")).status_code == 200
    world.lc.faults.set("jwks", delay=STALL)
    cold = another_process(world, timeout=TIMEOUT)
    before = world.lc.requests["jwks"]
    clock = Stopwatch()
    pages = await asyncio.gather(*(cold.get("/protected") for _ in range(5)),
                                 *(cold.get("/api/me", headers=JSON) for _ in range(5)))
    assert clock.elapsed < BOUND
    assert [p.status_code for p in pages] == [503] * 10
    assert all(UNAVAILABLE in p.text for p in pages[:5])
    assert all(p.json()["error"] == "provider_unavailable" for p in pages[5:])
    assert not any(session_deleted(p) for p in pages)
    assert world.lc.requests["jwks"] == before + 1
    clock = Stopwatch()
    assert (await cold.get("/protected")).status_code == 503
    assert clock.elapsed < TIMEOUT  # backing off: no second stall
    assert world.lc.requests["jwks"] == before + 1


async def test_FT_04_slow_jwks_refetch_does_not_hold_up_other_users(world: World) -> None:
    """A warm process meets a new kid and refetches from a stalled JWKS: that sign-in ends at
    the deadline without a session; signed-in users are served from cache meanwhile."""
    app = await _signed_in_process(world)
    world.lc.rotate_keys(overlap=True)
    newcomer = app.another_browser()
    callback = await newcomer.code_for(await newcomer.start_sign_in("/protected"))
    world.lc.faults.set("jwks", delay=STALL)
    clock = Stopwatch()
    slow = asyncio.ensure_future(newcomer.get(callback))
    latencies = await _served_meanwhile(app, slow)
    final = await slow
    assert clock.elapsed < BOUND
    assert final.status_code == 503  # the new kid could not be checked: try again later
    assert "Try again" in final.text
    assert not any(n in newcomer.app_cookies() for n in SESSION_CHUNKS)
    assert len(latencies) >= 3, latencies  # served several times while the other one waited
    assert max(latencies) < TIMEOUT, latencies


async def test_FT_04_slow_refresh_keeps_the_session(world: World) -> None:
    """A stalled refresh: while the access token is still valid the page is served after the
    deadline and the provider is left alone for a cool-off; once it has expired the user gets a
    503 "try again" page (JSON + Retry-After for APIs) and keeps the session; it recovers."""
    app = await _signed_in_process(world)
    world.lc.faults.set("token", delay=STALL)
    world.advance(3600 - 30)  # 30 s left: inside the 60 s refresh margin
    clock = Stopwatch()
    early = await app.get("/protected")
    assert clock.elapsed < BOUND
    assert early.status_code == 200
    assert not session_writes(early)
    tokens = world.lc.requests["token"]
    assert (await app.get("/protected")).status_code == 200
    assert world.lc.requests["token"] == tokens  # cool-off: no call per request

    world.advance(60)  # now expired
    clock = Stopwatch()
    page = await app.get("/protected")
    api = await app.get("/api/me", headers=JSON)
    assert clock.elapsed < 2 * BOUND
    assert page.status_code == 503
    assert UNAVAILABLE in page.text
    assert api.status_code == 503
    assert api.headers.get("retry-after")
    assert not session_deleted(page)
    assert not session_deleted(api)

    world.lc.faults.reset()
    world.advance(11)
    healed = await app.get("/protected")
    assert healed.status_code == 200
    assert session_writes(healed)


async def test_FT_04_slow_revoke_does_not_hold_up_sign_out(world: World) -> None:
    """Sign-out with a stalled revocation endpoint still clears the session and goes on to
    Cognito's /logout at the deadline."""
    app = await _signed_in_process(world)
    world.lc.faults.set("revoke", delay=STALL)
    clock = Stopwatch()
    out = await app.sign_out()
    assert clock.elapsed < BOUND
    assert out.status_code == 303
    assert "/logout?" in out.headers["location"]
    assert session_deleted(out)
    assert world.lc.requests["revoke"] == 1
    assert (await app.get("/protected")).status_code == 303
    assert world.lc.requests["userinfo"] == 0  # never called by the library


async def test_FT_04_trickled_token_answer_over_a_real_socket(world: World) -> None:
    """Over real TCP, a token answer trickled one byte per 0.2 s never trips a 0.5 s read
    timeout; the total deadline still ends the sign-in in time, with the 503 page."""
    async with served(world, http_timeout=TIMEOUT) as app:
        callback = await app.code_for(await app.start_sign_in("/protected"))
        world.lc.faults.set("token", trickle=0.2)
        clock = Stopwatch()
        final = await app.get(callback)
        assert clock.elapsed < BOUND
        assert final.status_code == 503
        assert UNAVAILABLE in final.text
        assert not any(n in app.app_cookies() for n in SESSION_CHUNKS)
