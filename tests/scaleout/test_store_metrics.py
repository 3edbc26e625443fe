"""A RedisStore reports every failed call to the counter behind
``cognito_gate_store_errors_total`` (issue 14), against a real redis-server."""

from __future__ import annotations

import pytest

from cognito_gate import CognitoAuth, Settings
from cognito_gate.core.errors import StoreUnavailable
from cognito_gate.stores.redis import RedisStore

from .cluster import RedisServer


async def test_a_redis_store_counts_its_failed_calls(redis_server: RedisServer) -> None:
    store = RedisStore.from_url(redis_server.url, timeout=1.0)
    settings = Settings(domain="http://127.0.0.1:9", client_id="c", client_secret="s",
                        user_pool_id="us-east-1_X", app_url="http://localhost:8000",
                        session_secret=("x" * 40,))
    auth = CognitoAuth(settings, store=store)
    try:
        await store.save("sid", b"sealed", 60)
        assert await store.load("sid") == b"sealed"
        assert auth.events.tally.store_errors == {}
        redis_server.stop()
        with pytest.raises(StoreUnavailable):
            await store.load("sid")
        with pytest.raises(StoreUnavailable):
            await store.delete("sid")
        assert dict(auth.events.tally.store_errors) == {"get": 1, "end": 1}  # the calls
    finally:
        await store.aclose()
        await auth.aclose()
