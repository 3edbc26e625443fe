"""One refresh per session across every process that shares a store (RF-05, scaled out).

The refresher's single-flight covers one process; this covers them all, with a short lock per
session in the shared store:

* the process that takes the lock reads the stored session again (another process may have
  refreshed it a moment ago: then that result is used), otherwise calls the token endpoint,
  writes the new session to the store and gives the lock back. While it waits on the provider it
  renews the lock every ``ttl / 3``, so a slow provider does not let a second refresh start;
* the others never call the token endpoint while the lock is held: they poll the stored session
  and take the refreshed one as soon as it is there;
* a holder that dies stops renewing, its lock expires after ``ttl`` seconds and the next process
  takes it: a dead holder delays the session by a few seconds, no more;
* a holder that stalls longer than ``ttl`` (a starved process) loses its lock while it may
  already have spent the refresh token: the next holder then gets ``invalid_grant``, and before
  ending the session it waits for the stalled holder's result in the store and takes that.

With refresh-token rotation and no grace period a second refresh with the same token would get
``invalid_grant`` and end the session; this is what keeps that from happening.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from .clock import Clock
from .errors import AuthError, ProviderRejected, ProviderUnavailable, StoreUnavailable
from .session import SessionCodec, SessionData, SharedSessionStore

__all__ = ["SharedRefresh"]

log = logging.getLogger("cognito_gate.refresh")

R = TypeVar("R")


class SharedRefresh:
    """Runs a session's refresh under its lock in ``store`` (see the module docstring).

    ``ttl``: seconds a lock lives without renewal (the most a dead holder blocks the session);
    ``wait``: seconds a process waits for another's refresh before it gives up on this request.
    """

    def __init__(self, store: SharedSessionStore, codec: SessionCodec, clock: Clock,
                 session_lifetime: int, *, ttl: float = 5.0, wait: float = 8.0,
                 poll: float = 0.05) -> None:
        self._store = store
        self._codec = codec
        self._clock = clock
        self._lifetime = session_lifetime
        self._ttl = ttl
        self._wait = wait
        self._poll = poll

    async def run(self, session: SessionData, grant: Callable[[], Awaitable[R]],
                  adopt: Callable[[SessionData], Awaitable[R]],
                  refreshed: Callable[[R], SessionData]) -> R:
        """``grant()`` (the token call) under the lock, its session (``refreshed(result)``) then
        stored; or ``adopt(stored)`` when another process has refreshed the session already."""
        deadline = time.monotonic() + self._wait
        while True:
            token = await self._store.acquire(session.sid, self._ttl)
            if token is not None:
                return await self._as_holder(session, token, grant, adopt, refreshed)
            adopted = await self._await_holder(session, adopt, deadline)
            if adopted is not None:
                return adopted
            if time.monotonic() >= deadline:
                log.warning("refresh: another process is still refreshing; this request gives up")
                raise ProviderUnavailable("refresh_lock_wait", retry_after=5)

    async def _changed(self, session: SessionData) -> SessionData | None:
        """The stored session if it holds other tokens than ``session``; ``session_ended`` if it
        is gone (signed out, or over)."""
        stored = await self._codec.load_stored(session.sid)
        if stored is None:
            raise AuthError.of("session_ended", reason="store_session_gone")
        return stored if stored.access_token != session.access_token else None

    async def _as_holder(self, session: SessionData, token: str,
                         grant: Callable[[], Awaitable[R]],
                         adopt: Callable[[SessionData], Awaitable[R]],
                         refreshed: Callable[[R], SessionData]) -> R:
        renewing = asyncio.ensure_future(self._keep_renewed(session.sid, token))
        try:
            stored = await self._changed(session)
            if stored is not None:
                return await adopt(stored)
            try:
                result = await grant()
            except ProviderRejected as exc:
                if exc.error != "invalid_grant":
                    raise
                # Spent already? A holder whose lock expired while it worked (a stalled process)
                # may have used the token first: its result, once stored, is this session.
                adopted = await self._await_holder(session, adopt,
                                                   time.monotonic() + self._wait, held=True)
                if adopted is None:
                    raise
                return adopted
            new = refreshed(result)
            await self._codec.keep(new, int(new.auth_time + self._lifetime - self._clock.now()))
            return result
        finally:
            renewing.cancel()
            with contextlib.suppress(StoreUnavailable):  # else it expires within ttl by itself
                await self._store.release(session.sid, token)

    async def _await_holder(self, session: SessionData,
                            adopt: Callable[[SessionData], Awaitable[R]],
                            deadline: float, *, held: bool = False) -> R | None:
        """Poll until the holder's result is stored (adopt it) or the lock is gone without one
        (None: the holder failed or died, so try to take the lock). ``held``: the lock is ours,
        only the stored session is watched."""
        while time.monotonic() < deadline:
            await asyncio.sleep(self._poll)
            stored = await self._changed(session)
            if stored is not None:
                return await adopt(stored)
            if not held and not await self._store.locked(session.sid):
                return None
        return None

    async def _keep_renewed(self, sid: str, token: str) -> None:
        while True:
            await asyncio.sleep(self._ttl / 5)
            try:
                if not await self._store.renew(sid, token, self._ttl):
                    log.warning("refresh: lock lost while refreshing (event loop stalled?)")
                    return
            except StoreUnavailable:
                continue
