"""Fixtures for the reliability tests: a fresh in-process world per test (its own Local
Cognito, so faults, key rotations and clock skew never leak), and the hypothesis profile."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from integration.harness import World, build_world

# Deterministic in CI (same examples every run), random locally; no per-example deadline, since
# one example is a whole request through the app and Local Cognito.
settings.register_profile(
    "reliability",
    max_examples=200,
    deadline=None,
    derandomize=bool(os.environ.get("CI")),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    print_blob=True,
)


@pytest.fixture
async def world() -> AsyncIterator[World]:
    w = build_world()
    try:
        yield w
    finally:
        await w.aclose()


@pytest.fixture
async def make_world() -> AsyncIterator[Callable[..., World]]:
    """``make_world(**build_world_kwargs)`` for tests needing another client or settings."""
    made: list[World] = []

    def make(**kwargs: Any) -> World:
        made.append(build_world(**kwargs))
        return made[-1]

    try:
        yield make
    finally:
        for w in made:
            await w.aclose()
