"""The in-process world (app + Local Cognito + browser on one clock) for integration tests.

``world`` builds everything afresh (its own Local Cognito: milliseconds, since the harness's
pools reuse the run's RSA keys and hash passwords at the test cost); ``demo`` the same with the
demo app. ``worlds`` / ``pool_world`` build on one Local Cognito shared by the whole session,
with faults switched off and request counts cleared for each test; use them for tests that
neither rotate keys nor change the pool. Worlds on the shared pool share its clock.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest

from cognito_gate import ManualClock, Settings
from cognito_gate.demo import create_app
from cognito_gate.local import ClientConfig

from .forge import DirectClient
from .harness import APP_URL, SharedPool, World, build_world, open_shared_pool, worlds_on

CALLBACK = APP_URL + "/callback/"


def _client(client_id: str, **kwargs: Any) -> ClientConfig:
    return ClientConfig(client_id, client_secret=f"{client_id.replace('-', '')}Secret1",
                        callback_urls=(CALLBACK,), logout_urls=(APP_URL + "/",), **kwargs)


# Extra app clients of the shared pool (the demo client is the app's own by default).
OTHER_CLIENT = _client("other-app")
ROTATING_CLIENT = _client("rotating-app", rotation=True, rotation_grace_seconds=0)
ROTATING_GRACE_CLIENT = _client("rotating-grace-app", rotation=True, rotation_grace_seconds=30)
SHORT_CLIENT = _client("short-lived-app", id_token_validity=300, access_token_validity=300,
                       refresh_token_validity=3600)
HTTPS_APP_URL = "https://app.example.com"
HTTPS_CLIENT = ClientConfig("https-app", client_secret="httpsappSecret1",
                            callback_urls=(HTTPS_APP_URL + "/callback/",),
                            logout_urls=(HTTPS_APP_URL + "/",))


@pytest.fixture
async def world() -> AsyncIterator[World]:
    w = build_world()
    try:
        yield w
    finally:
        await w.aclose()


@pytest.fixture(scope="session")
def shared_pool() -> Iterator[SharedPool]:
    with open_shared_pool(OTHER_CLIENT, ROTATING_CLIENT, ROTATING_GRACE_CLIENT, SHORT_CLIENT,
                          HTTPS_CLIENT) as pool:
        yield pool


@pytest.fixture
async def worlds(shared_pool: SharedPool) -> AsyncIterator[Callable[..., World]]:
    """``worlds(**build_world_kwargs)`` → a world on the shared pool (own app, browser, caches)."""
    async with worlds_on(shared_pool) as make:
        yield make


@pytest.fixture
def pool_world(worlds: Callable[..., World]) -> World:
    return worlds()


@pytest.fixture
async def direct(shared_pool: SharedPool) -> AsyncIterator[DirectClient]:
    """Another user agent + back end on the shared pool (see ``forge.DirectClient``)."""
    client = DirectClient(shared_pool.lc, CALLBACK)
    try:
        yield client
    finally:
        await client.aclose()


def _demo_app(settings: Settings, http: httpx.AsyncClient, clock: ManualClock) -> Any:
    return create_app(settings, http=http, clock=clock)


@pytest.fixture
async def demo() -> AsyncIterator[World]:
    """The demo app and a fresh Local Cognito (the demo pool) wired together."""
    w = build_world(make_app=_demo_app)
    try:
        yield w
    finally:
        await w.aclose()
