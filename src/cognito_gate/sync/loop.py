"""One asyncio event loop per process, in a daemon thread, for the async core.

Every coroutine of one ``CognitoAuth`` (its HTTP client, JWKS cache and refresh single-flight)
runs on this one loop, so a refresh shared by many threads' requests is still one token call. A
forked child (gunicorn workers) gets its own loop and thread on first use: threads do not survive
``fork``."""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Coroutine
from concurrent.futures import Future
from typing import Any, TypeVar

__all__ = ["LoopThread"]

T = TypeVar("T")


class LoopThread:
    """Runs coroutines from any thread on this process's loop thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pid = -1
        self._loop: asyncio.AbstractEventLoop | None = None

    def submit(self, coro: Coroutine[Any, Any, T]) -> Future[T]:
        """Schedule ``coro`` on the loop; the caller waits on the returned future."""
        return asyncio.run_coroutine_threadsafe(coro, self._running())

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run ``coro`` on the loop and wait for its result in the calling thread."""
        return self.submit(coro).result()

    def _running(self) -> asyncio.AbstractEventLoop:
        loop, pid = self._loop, os.getpid()
        if loop is not None and self._pid == pid:
            return loop
        with self._lock:
            if self._loop is None or self._pid != pid:
                self._loop = asyncio.new_event_loop()
                self._pid = pid
                threading.Thread(target=self._loop.run_forever, name="cognito-gate-loop",
                                 daemon=True).start()
            return self._loop
