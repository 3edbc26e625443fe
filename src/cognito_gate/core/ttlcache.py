"""A bounded LRU whose entries also expire: the shape of every cache the library keeps."""

from __future__ import annotations

from collections import OrderedDict
from typing import Generic, TypeVar

__all__ = ["ExpiringLRU"]

K = TypeVar("K")
V = TypeVar("V")


class ExpiringLRU(Generic[K, V]):
    """At most ``maxsize`` entries (0 disables it); an entry is served only before its deadline."""

    __slots__ = ("_data", "maxsize")

    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self._data: OrderedDict[K, tuple[V, float]] = OrderedDict()

    def get(self, key: K, now: float) -> V | None:
        item = self._data.get(key)
        if item is None:
            return None
        if now >= item[1]:
            del self._data[key]
            return None
        self._data.move_to_end(key)
        return item[0]

    def put(self, key: K, value: V, expires_at: float) -> None:
        if self.maxsize <= 0:
            return
        self._data[key] = (value, expires_at)
        self._data.move_to_end(key)
        while len(self._data) > self.maxsize:
            self._data.popitem(last=False)

    def pop(self, key: K) -> None:
        self._data.pop(key, None)

    def __len__(self) -> int:
        return len(self._data)
