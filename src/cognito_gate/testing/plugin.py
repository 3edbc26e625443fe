"""The pytest plugin (entry point ``pytest11``): fixtures over a fresh in-process Local Cognito.

Loaded by pytest whenever cognito-gate is installed, so it imports the library only when a test
asks for one of its fixtures.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from .pool import LocalPool

__all__ = [
    "bearer_token",
    "cognito_client",
    "cognito_machine",
    "cognito_test_client",
    "cognito_user",
    "local_cognito",
]


@pytest.fixture
def local_cognito() -> Iterator[LocalPool]:
    """A fresh user pool for this test (milliseconds: keys are reused, hashing is cheap)."""
    from .pool import LocalPool

    pool = LocalPool()
    yield pool
    pool.close()


@pytest.fixture
def cognito_user(local_cognito: LocalPool) -> Callable[..., Any]:
    """``cognito_user(groups=[…], attributes={…}, email=…, password=…)`` → a new TestUser."""
    return local_cognito.user


@pytest.fixture
def cognito_machine(local_cognito: LocalPool) -> Callable[..., Any]:
    """``cognito_machine(scopes=["orders/read"])`` → a client-credentials MachineClient."""
    return local_cognito.machine


@pytest.fixture
def bearer_token(local_cognito: LocalPool) -> Callable[..., str]:
    """``bearer_token(user_or_machine, scopes=[…])`` → a real access token from the pool."""
    return local_cognito.bearer_token


@pytest.fixture
def cognito_client(local_cognito: LocalPool) -> Callable[..., Any]:
    """``await cognito_client(app, user)`` → an ``httpx.AsyncClient`` for ``app`` signed in as
    ``user`` through the hosted UI."""
    return local_cognito.signed_in


@pytest.fixture
def cognito_test_client(local_cognito: LocalPool) -> Callable[..., Any]:
    """``cognito_test_client(app, user=None)`` → a Starlette ``TestClient`` (signed in if a
    user is given)."""
    return local_cognito.test_client
