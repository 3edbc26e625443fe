"""A bounded LRU whose entries also expire: the shape of every cache the library keeps."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

__all__ = ["ExpiringLRU"]

K = TypeVar("K")
V = TypeVar("V")


class ExpiringLRU(Generic[K, V]):
    """At most ``maxsize`` entries (0 disables it); an entry is served only before its deadline.

    Given ``now`` (the owner's clock), expired entries are also swept out every ``maxsize // 8``
    insertions (amortised: a few checks per insertion), so a long-running process holds what is
    still live rather than a full cache of dead entries waiting for LRU eviction.
    """

    __slots__ = ("_data", "_now", "_puts", "_sweep_every", "hits", "maxsize", "misses")

    def __init__(self, maxsize: int, now: Callable[[], float] | None = None) -> None:
        self.maxsize = maxsize
        self._data: OrderedDict[K, tuple[V, float]] = OrderedDict()
        self._now = now
        self._puts = 0
        self._sweep_every = max(64, maxsize // 8)
        self.hits = self.misses = 0  # look-ups served and not, for the metrics

    def get(self, key: K, now: float) -> V | None:
        item = self._data.get(key)
        if item is None:
            self.misses += 1
            return None
        if now >= item[1]:
            del self._data[key]
            self.misses += 1
            return None
        self._data.move_to_end(key)
        self.hits += 1
        return item[0]

    def put(self, key: K, value: V, expires_at: float) -> None:
        if self.maxsize <= 0:
            return
        self._data[key] = (value, expires_at)
        self._data.move_to_end(key)
        self._puts += 1
        if self._now is not None and self._puts >= self._sweep_every:
            self._puts = 0
            self.sweep(self._now())
        while len(self._data) > self.maxsize:
            self._data.popitem(last=False)

    def sweep(self, now: float) -> None:
        """Drop every entry whose deadline has passed."""
        dead = [key for key, (_, deadline) in self._data.items() if now >= deadline]
        for key in dead:
            del self._data[key]

    def pop(self, key: K) -> None:
        self._data.pop(key, None)

    def __len__(self) -> int:
        return len(self._data)
