"""The one clock Local Cognito reads: every expiry decision and every token time claim.

Tests move it (``advance``, ``set_offset``) instead of sleeping, and can replace the wall clock
entirely with their own callable.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

__all__ = ["LocalClock"]


class LocalClock:
    """Wall clock (or an injected callable) plus an adjustable offset in seconds."""

    def __init__(self, source: Callable[[], float] | None = None) -> None:
        self._source = source or time.time
        self._offset = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return self._source() + self._offset

    def advance(self, seconds: float) -> None:
        """Move the clock forward (or back, with a negative value) by ``seconds``."""
        with self._lock:
            self._offset += seconds

    def set_offset(self, seconds: float) -> None:
        """Pin the difference from the underlying source, e.g. to emulate clock skew."""
        with self._lock:
            self._offset = float(seconds)

    @property
    def offset(self) -> float:
        return self._offset
