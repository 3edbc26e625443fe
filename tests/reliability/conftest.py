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

import pytest
from hypothesis import HealthCheck, settings

from integration.harness import SharedPool, World, open_shared_pool, worlds_on

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


@pytest.fixture(scope="session")
def pool() -> Iterator[SharedPool]:
    with open_shared_pool() as shared:
        yield shared


@pytest.fixture
async def make_world(pool: SharedPool) -> AsyncIterator[Callable[..., World]]:
    """``make_world(**build_world_kwargs)``: another app process on the shared pool."""
    async with worlds_on(pool) as make:
        yield make


@pytest.fixture
def world(make_world: Callable[..., World]) -> World:
    return make_world()
