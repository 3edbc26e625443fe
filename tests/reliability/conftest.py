"""Fixtures for the reliability tests and their hypothesis profile.

Every test gets its own app process (cold caches), browser and back-channel client, in front of
one Local Cognito shared by the whole session — generating a pool's RSA keys is the slow part.
Faults, the provider's clock offset and request counts are reset around each test; key rotations
and added app clients stay (a fresh app process fetches whatever the JWKS then holds). The pool
and the app share one ``ManualClock``, which only ever moves forward.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from cognito_gate import ManualClock
from cognito_gate.local import LocalCognito
from integration.harness import World, build_world

# Deterministic in CI (the same examples every run), random locally; no per-example deadline,
# since one example is a whole request through the app (and sometimes Local Cognito).
settings.register_profile(
    "reliability",
    max_examples=200,
    deadline=None,
    derandomize=bool(os.environ.get("CI")),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    print_blob=True,
)


@dataclass
class Pool:
    lc: LocalCognito
    clock: ManualClock


@pytest.fixture(scope="session")
def pool() -> Iterator[Pool]:
    clock = ManualClock()
    lc = LocalCognito(clock=clock.now)
    try:
        yield Pool(lc, clock)
    finally:
        lc.close()


@pytest.fixture
async def make_world(pool: Pool) -> AsyncIterator[Callable[..., World]]:
    """``make_world(**build_world_kwargs)``: another app process on the shared pool."""
    pool.lc.faults.reset()
    pool.lc.requests.clear()
    made: list[World] = []

    def make(**kwargs: Any) -> World:
        made.append(build_world(lc=pool.lc, clock=pool.clock, **kwargs))
        return made[-1]

    try:
        yield make
    finally:
        pool.lc.faults.reset()
        for w in made:
            await w.browser.aclose()
            await w.provider_http.aclose()


@pytest.fixture
def world(make_world: Callable[..., World]) -> World:
    return make_world()
