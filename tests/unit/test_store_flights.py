"""A burst of requests of one session costs the store one read and one write per process: the
refresh-storm flake under load was every request opening its own Redis connection for its own
GET and its own write, each bounded by the store's 2 s timeout."""

from __future__ import annotations

import asyncio

import pytest

from cognito_gate.core.cookies import CookiePolicy
from cognito_gate.core.errors import StoreUnavailable
from cognito_gate.core.session import MemoryStore, SessionCodec, SessionData
from conftest import SECRET


class SlowStore(MemoryStore):
    """A store whose calls take a while (a round trip), counted."""

    def __init__(self) -> None:
        super().__init__()
        self.loads = self.saves = 0
        self.fail = False

    async def load(self, sid: str) -> bytes | None:
        self.loads += 1
        await asyncio.sleep(0.01)
        if self.fail:
            raise StoreUnavailable("store_get_TimeoutError")
        return await super().load(sid)

    async def save(self, sid: str, value: bytes, ttl: int) -> None:
        self.saves += 1
        await asyncio.sleep(0.01)
        await super().save(sid, value, ttl)


def session(access: str = "access") -> SessionData:
    return SessionData("sid-1", "id", access, "refresh", 1_000.0)


async def test_concurrent_reads_of_one_stored_session_share_one_store_call():
    store = SlowStore()
    codec = SessionCodec((SECRET,), CookiePolicy(secure=True), store)
    await codec.keep(session(), 60)
    loaded = await asyncio.gather(*(codec.load_stored("sid-1") for _ in range(20)))
    assert store.loads == 1
    assert all(d == session() for d in loaded)
    await codec.load_stored("sid-1")  # nothing in flight: a read of its own, never a cache
    assert store.loads == 2


async def test_concurrent_writes_of_the_same_tokens_share_one_and_others_write():
    store = SlowStore()
    codec = SessionCodec((SECRET,), CookiePolicy(secure=True), store)
    await asyncio.gather(*(codec.keep(session(), 60) for _ in range(20)))
    assert store.saves == 1
    await asyncio.gather(codec.keep(session(), 60), codec.keep(session("refreshed"), 60))
    assert store.saves == 3  # other tokens are another write
    assert (await codec.load_stored("sid-1")) is not None


async def test_a_failed_read_reaches_every_caller_and_the_next_one_tries_again():
    store = SlowStore()
    codec = SessionCodec((SECRET,), CookiePolicy(secure=True), store)
    await codec.keep(session(), 60)
    store.fail = True
    results = await asyncio.gather(*(codec.load_stored("sid-1") for _ in range(5)),
                                   return_exceptions=True)
    assert all(isinstance(r, StoreUnavailable) for r in results)
    assert store.loads == 1
    store.fail = False
    assert await codec.load_stored("sid-1") == session()


async def test_a_caller_cancelled_meanwhile_does_not_cancel_the_read_for_the_others():
    store = SlowStore()
    codec = SessionCodec((SECRET,), CookiePolicy(secure=True), store)
    await codec.keep(session(), 60)
    first = asyncio.ensure_future(codec.load_stored("sid-1"))
    second = asyncio.ensure_future(codec.load_stored("sid-1"))
    await asyncio.sleep(0)
    first.cancel()
    assert await second == session()
    with pytest.raises(asyncio.CancelledError):
        await first
