"""Every time decision goes through a Clock, so tests can move time instead of sleeping."""

from __future__ import annotations

import time
from typing import Protocol

__all__ = ["Clock", "ManualClock", "SystemClock"]


class Clock(Protocol):
    """Anything with ``now()`` returning seconds since the epoch (Local Cognito's clock fits)."""

    def now(self) -> float: ...


class SystemClock:
    """The wall clock. The host is expected to keep it NTP-synchronised.

    ``now`` is ``time.time`` itself, not a method that calls it: the middleware reads the clock
    on every request, and a builtin costs no Python frame."""

    __slots__ = ()

    now = staticmethod(time.time)


class ManualClock:
    """A clock tests set and advance by hand."""

    __slots__ = ("_now",)

    def __init__(self, start: float | None = None) -> None:
        self._now = time.time() if start is None else start

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += seconds
