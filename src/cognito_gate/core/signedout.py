"""The sessions signed out in this process, refused until they could no longer be used anyway.

A copied cookie of a signed-out session must stay refused for as long as the session itself
could have been used (LO-04). So an entry is never evicted to make room: it goes only once its
deadline has passed — the caller gives the session's absolute end (``auth_time`` + the session
lifetime), after which the authenticator refuses the session whatever the list says. Memory is
bounded by that: at most the sign-outs of one session lifetime, ~200 bytes each
(``bench/signedout.py`` measures it).

Expired entries leave in deadline order (a heap) as new ones arrive, a few operations per
sign-out; a look-up is one dictionary read. A shared list across processes (a store) can build on
this interface: ``add(sid, until)`` and ``sid in signed_out``.
"""

from __future__ import annotations

import heapq

from .clock import Clock

__all__ = ["SignedOut"]


class SignedOut:
    """Session ids refused until their deadline (seconds on ``clock``), never before it."""

    __slots__ = ("_clock", "_deadlines", "_until")

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._until: dict[str, float] = {}
        self._deadlines: list[tuple[float, str]] = []  # a min-heap over the same entries

    def add(self, sid: str, until: float) -> None:
        """Refuse ``sid`` until ``until``; a later deadline for the same id extends it."""
        now = self._clock.now()
        self._expire(now)
        current = self._until.get(sid)
        if until <= now or (current is not None and current >= until):
            return
        self._until[sid] = until
        heapq.heappush(self._deadlines, (until, sid))

    def __contains__(self, sid: str) -> bool:
        until = self._until.get(sid)
        return until is not None and self._clock.now() < until

    def __len__(self) -> int:
        return len(self._until)

    def _expire(self, now: float) -> None:
        """Drop every entry whose deadline has passed (a replaced deadline leaves a stale heap
        item behind, skipped here)."""
        heap, until = self._deadlines, self._until
        while heap and heap[0][0] <= now:
            deadline, sid = heapq.heappop(heap)
            if until.get(sid) == deadline:
                del until[sid]
