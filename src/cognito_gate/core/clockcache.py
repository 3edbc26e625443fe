"""CLOCK eviction with a doorkeeper: the bounded, scan-resistant policy of the per-session caches.

The verified-session cache and the verified-token cache hold one entry per active session. An
LRU or FIFO under a working set larger than itself — N sessions taking turns, N above the bound —
evicts every entry just before it is asked for again and hits nothing: a cliff, where every
request pays an RS256 verification. This policy degrades gracefully instead:

* **CLOCK** (second chance): entries sit in a ring; a hit sets the entry's ``used`` bit (one
  attribute store, all a hit costs). To make room, a hand walks the ring: a used entry has its bit
  cleared and is passed over, an unused one is the victim; expired or discarded entries are free.
* **Doorkeeper**: a full cache admits a key only if it missed recently already (a bloom filter of
  recent misses, two generations of ``maxsize`` keys each, 1 byte per key), and only in place of
  an entry unused since the hand last passed (the hand looks at ``STEPS`` entries per admitted
  miss); a key seen once is refused and remembered, and moves nothing. So a working set larger
  than the cache keeps a stable part of itself cached instead of cycling everything through:
  N sessions taking turns over a bound of 1,000 hit 67 % of the time at N = 1.5 × the bound,
  50 % at 2 ×, 33 % at 3 × — the most any policy can — where an LRU or FIFO hits nothing; a
  skewed (Zipf) load over 10 × the bound hits 73 % where an LRU hits 66 %
  (tests/unit/test_clockcache.py). The price: once the cache is full, a new session is admitted
  on its second miss, not its first.

An entry is an object of a ``ClockEntry`` subclass that carries its own ``key``, ``used`` bit and
deadline (``until``): no node per entry, the cache is a dict and a list of references.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from typing import Generic, TypeVar

__all__ = ["STEPS", "ClockCache", "ClockEntry"]

STEPS = 1  # entries the hand looks at per admitted miss of a full cache (1 measured best)


class ClockEntry:
    """What a ``ClockCache`` keeps: ``key`` it is filed under, ``used`` since the hand last
    passed, served only while ``now < until``."""

    __slots__ = ("key", "until", "used")

    def __init__(self, key: Hashable, until: float) -> None:
        self.key = key
        self.until = until
        self.used = False

    def assign(self, other: ClockEntry) -> None:
        """Take ``other``'s values (the same key, verified again): every slot but the bit."""
        for cls in type(other).__mro__:
            for name in getattr(cls, "__slots__", ()):
                if name != "used":
                    setattr(self, name, getattr(other, name))


E = TypeVar("E", bound=ClockEntry)


class _Doorkeeper:
    """Keys that missed recently: two bloom filters of ``size`` keys each (8 bits a key, two
    probes: ~5 % false positives, which merely admit a key early); the older generation is
    dropped once the newer has taken ``size`` keys."""

    __slots__ = ("_added", "_mask", "_new", "_old", "_size")

    def __init__(self, size: int) -> None:
        bits = 64
        while bits < 8 * size:
            bits *= 2
        self._mask = bits - 1
        self._size = size
        self._new = bytearray(bits // 8)
        self._old = bytearray(bits // 8)
        self._added = 0

    def seen(self, key: Hashable) -> bool:
        """Was ``key`` remembered? It is remembered (again) either way."""
        h = hash(key)
        a, b = h & self._mask, (h >> 32) & self._mask
        new, old = self._new, self._old
        ba, ma, bb, mb = a >> 3, 1 << (a & 7), b >> 3, 1 << (b & 7)
        if new[ba] & ma and new[bb] & mb:
            return True
        # Only in the older generation (or nowhere): remembered in the newer one, so a key that
        # keeps missing is never forgotten between two generations (a 2x working set could
        # otherwise fall into a rhythm where every key is just forgotten when it comes back).
        was = bool(old[ba] & ma and old[bb] & mb)
        new[ba] |= ma
        new[bb] |= mb
        self._added += 1
        if self._added >= self._size:
            self._old, self._new = self._new, bytearray(len(self._new))
            self._added = 0
        return was


class ClockCache(Generic[E]):
    """At most ``maxsize`` entries (0 disables it), CLOCK-evicted behind a doorkeeper (see the
    module docstring). ``by_key`` is the raw dictionary look-up for a caller's hot path: it must
    then check ``until`` and set ``used`` itself, as ``get`` does."""

    __slots__ = ("_door", "_evicted", "_hand", "_map", "_ring", "by_key", "hits", "maxsize",
                 "misses")

    def __init__(self, maxsize: int,
                 evicted: Callable[[Hashable], object] | None = None) -> None:
        self.maxsize = maxsize
        self._evicted = evicted  # told the key of every entry the hand evicts
        self._map: dict[Hashable, E] = {}
        self._ring: list[E] = []
        self._hand = 0
        self._door = _Doorkeeper(max(1, maxsize))
        self.by_key = self._map.get
        self.hits = self.misses = 0  # look-ups served and not, for the metrics

    def get(self, key: Hashable, now: float) -> E | None:
        entry = self._map.get(key)
        if entry is None or now >= entry.until:
            self.misses += 1
            return None
        entry.used = True
        self.hits += 1
        return entry

    def put(self, entry: E, now: float) -> E | None:
        """Keep ``entry`` if there is room or the doorkeeper admits it; the entry kept (an entry
        already under its key takes the new one's values, in place), None if refused."""
        if self.maxsize <= 0 or now >= entry.until:
            return None
        key = entry.key
        old = self._map.get(key)
        if old is not None:
            old.assign(entry)
            return old
        ring = self._ring
        if len(ring) < self.maxsize:
            slot = len(ring)
            ring.append(entry)
        else:
            if len(self._map) < self.maxsize or self._door.seen(key):
                slot = self._victim(now)
            else:
                slot = self._free_at_hand(now)
            if slot < 0:
                return None
            gone = ring[slot]
            if self._live(gone):
                del self._map[gone.key]
                if self._evicted is not None:
                    self._evicted(gone.key)
            ring[slot] = entry
        self._map[key] = entry
        return entry

    def _live(self, entry: E) -> bool:
        return entry.key is not None and self._map.get(entry.key) is entry

    def _victim(self, now: float) -> int:
        """The slot the hand frees within ``STEPS``: a dead or expired entry, else an unused one
        (a used one loses its bit and is passed); -1 if none."""
        ring = self._ring
        for _ in range(STEPS if len(self._map) >= self.maxsize else len(ring) + 1):
            slot = self._hand
            self._hand = (slot + 1) % len(ring)
            entry = ring[slot]
            if not entry.used or now >= entry.until or not self._live(entry):
                return slot
            entry.used = False
        return -1

    def _free_at_hand(self, now: float) -> int:
        """The slot under the hand if its entry is dead or expired (free to take); else -1, and
        the hand stays: a key seen once moves nothing, so a stream of one-off keys cannot
        wear the used bits down."""
        slot = self._hand
        entry = self._ring[slot]
        if now < entry.until and self._live(entry):
            return -1
        self._hand = (slot + 1) % len(self._ring)
        return slot

    def pop(self, key: Hashable) -> None:
        entry = self._map.pop(key, None)
        if entry is not None:
            entry.key = None  # its slot is free for the hand

    def discard(self, doomed: Callable[[E], bool]) -> None:
        """Drop every entry ``doomed(entry)`` says (a scan of the whole cache)."""
        for entry in [e for e in self._map.values() if doomed(e)]:
            self.pop(entry.key)

    def clear(self) -> None:
        self._map.clear()
        self._ring.clear()
        self._hand = 0

    def values(self) -> Iterator[E]:
        return iter(self._map.values())

    def __len__(self) -> int:
        return len(self._map)
