"""ExpiringLRU: bounded, entries served only before their deadline, dead entries swept."""

from __future__ import annotations

from cognito_gate.core.ttlcache import ExpiringLRU


def test_entries_expire_and_the_size_is_bounded() -> None:
    cache: ExpiringLRU[int, str] = ExpiringLRU(3)
    for i in range(5):
        cache.put(i, str(i), expires_at=100)
    assert len(cache) == 3
    assert cache.get(0, now=0) is None  # evicted as least recently used
    assert cache.get(4, now=99) == "4"
    assert cache.get(4, now=100) is None  # at its deadline: gone


def test_dead_entries_are_swept_without_waiting_for_eviction() -> None:
    now = [0.0]
    cache: ExpiringLRU[int, int] = ExpiringLRU(1000, lambda: now[0])
    for i in range(500):
        cache.put(i, i, expires_at=10)
    now[0] = 20.0  # every entry so far is dead
    for i in range(500, 1000):
        cache.put(i, i, expires_at=30)
    assert len(cache) < 600  # swept, although the cache never reached its bound
    assert cache.get(999, now=21) == 999


def test_zero_size_disables_the_cache() -> None:
    cache: ExpiringLRU[str, str] = ExpiringLRU(0)
    cache.put("k", "v", expires_at=1e12)
    assert cache.get("k", now=0) is None
