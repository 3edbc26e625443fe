"""The in-process world (app + Local Cognito + browser on one clock) for integration tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from .harness import World, build_world


@pytest.fixture
async def world() -> AsyncIterator[World]:
    w = build_world()
    try:
        yield w
    finally:
        await w.aclose()
