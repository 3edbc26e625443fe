"""What a session holds, how it is kept (sealed cookie chunks, or a server-side store), and the
store interface for scale-out backends such as Redis/Valkey.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import secrets
from collections.abc import Awaitable, Callable, Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar, runtime_checkable

from .clock import Clock, SystemClock
from .cookies import CookieNames, CookiePolicy, SealedBox
from .errors import AuthError
from .redact import SECRET, redacted_repr
from .ttlcache import ExpiringLRU

__all__ = ["MemoryStore", "SessionCodec", "SessionData", "SessionStore", "SharedSessionStore",
           "new_session_id"]


def new_session_id() -> str:
    """128+ random bits; keys CSRF tokens, refresh single-flight and server-side storage."""
    return secrets.token_urlsafe(18)


@dataclass(frozen=True, slots=True)
class SessionData:
    """The tokens of one sign-in plus its id, its start (``auth_time``, for the absolute limit)
    and when it was last seen in use (``seen``, for the idle limit; None: at sign-in)."""

    sid: str
    id_token: str = field(metadata=SECRET)
    access_token: str = field(metadata=SECRET)
    refresh_token: str | None = field(metadata=SECRET)
    auth_time: float
    seen: float | None = None

    __repr__ = redacted_repr

    @property
    def last_seen(self) -> float:
        return self.auth_time if self.seen is None else self.seen

    def to_json(self) -> bytes:
        obj = {"sid": self.sid, "id": self.id_token, "at": self.access_token,
               "rt": self.refresh_token, "t": self.auth_time}
        if self.seen is not None:
            obj["s"] = self.seen
        return json.dumps(obj, separators=(",", ":")).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> SessionData | None:
        """Strictly typed decode; anything unexpected means no session (never an error page)."""
        try:
            obj = json.loads(raw)
        except ValueError:
            return None
        if not isinstance(obj, dict):
            return None
        sid, id_token, access, refresh, start, seen = (
            obj.get(k) for k in ("sid", "id", "at", "rt", "t", "s"))
        if not (isinstance(sid, str) and isinstance(id_token, str) and isinstance(access, str)):
            return None
        if refresh is not None and not isinstance(refresh, str):
            return None
        if isinstance(start, bool) or not isinstance(start, (int, float)):
            return None
        if seen is not None and (isinstance(seen, bool) or not isinstance(seen, (int, float))):
            return None
        return cls(sid, id_token, access, refresh, float(start),
                   None if seen is None else float(seen))

    def replace_tokens(self, id_token: str, access_token: str, refresh: str | None) -> SessionData:
        """Same session after a refresh; a rotated refresh token replaces the old one."""
        return dataclasses.replace(self, id_token=id_token, access_token=access_token,
                                   refresh_token=refresh or self.refresh_token)

    def touched(self, now: float) -> SessionData:
        """Same session, seen in use at ``now`` (the idle limit restarts)."""
        return dataclasses.replace(self, seen=now)


class SessionStore(Protocol):
    """Server-side session storage; values are already sealed, so a store sees only ciphertext."""

    async def load(self, sid: str) -> bytes | None: ...

    async def save(self, sid: str, value: bytes, ttl: int) -> None: ...

    async def delete(self, sid: str) -> None: ...


@runtime_checkable
class SharedSessionStore(SessionStore, Protocol):
    """A store several processes share (``RedisStore``). Besides the sessions it keeps a short
    lock per session, so one process refreshes while the others wait for its result, and a
    sign-out broadcast, so every process drops a signed-out session from its caches at once.
    A store that cannot reach its server raises ``StoreUnavailable``."""

    async def acquire(self, sid: str, ttl: float) -> str | None:
        """Take the session's lock for ``ttl`` seconds: a token to renew/release it, or None
        when another process holds it."""
        ...

    async def renew(self, sid: str, token: str, ttl: float) -> bool:
        """Extend a held lock; False if it was lost (it expired and someone else took it)."""
        ...

    async def release(self, sid: str, token: str) -> None:
        """Give the lock back (only if ``token`` still holds it)."""
        ...

    async def locked(self, sid: str) -> bool:
        """Whether some process holds the session's lock now."""
        ...

    async def announce_ended(self, sid: str, until: float) -> None:
        """Tell every process that ``sid`` signed out (refuse it until ``until``)."""
        ...

    async def watch(self, ended: Callable[[str, float], None],
                    live: Callable[[bool], None]) -> None:
        """Run for ever: call ``ended(sid, until)`` for each announced sign-out, and
        ``live(True)`` once listening, ``live(False)`` whenever announcements may be missed."""
        ...


class MemoryStore:
    """In-process store (one process, or tests); bounded, entries expire with their session."""

    def __init__(self, maxsize: int = 100_000, clock: Clock | None = None) -> None:
        self._clock = clock or SystemClock()
        self._items: ExpiringLRU[str, bytes] = ExpiringLRU(maxsize, self._clock.now)

    async def load(self, sid: str) -> bytes | None:
        return self._items.get(sid, self._clock.now())

    async def save(self, sid: str, value: bytes, ttl: int) -> None:
        self._items.put(sid, value, self._clock.now() + ttl)

    async def delete(self, sid: str) -> None:
        self._items.pop(sid)


T = TypeVar("T")


async def _once(flights: dict[Hashable, asyncio.Future[Any]], key: Hashable,
                call: Callable[[], Awaitable[T]]) -> T:
    """``call()``, or the result of the identical call already in flight: concurrent callers
    share one (a caller cancelled meanwhile does not cancel it for the others)."""
    flight = flights.get(key)
    if flight is None:
        flight = asyncio.ensure_future(call())
        flights[key] = flight

        def landed(done: asyncio.Future[Any]) -> None:
            if flights.get(key) is done:
                del flights[key]
            if not done.cancelled():
                done.exception()  # retrieved: no "never retrieved" warning if all gave up

        flight.add_done_callback(landed)
    result: T = await asyncio.shield(flight)
    return result


class SessionCodec:
    """Turns ``SessionData`` into Set-Cookie headers and a cookie value back into it.

    Without a store the whole session is sealed into (chunked) cookies; with one the cookie holds
    only the sealed session id and the sealed session goes to the store. Concurrent reads of one
    stored session, and concurrent writes of the same tokens, share one store call: a burst of
    requests of one session — all its requests when its refresh falls due — costs this process
    one ``GET`` and one write, not one each (and not a connection each), however many there are.
    """

    def __init__(
        self, session_secrets: tuple[str, ...], policy: CookiePolicy,
        store: SessionStore | None = None,
    ) -> None:
        self.names = CookieNames(policy, "cg")
        self.store = store
        self._box = SealedBox(session_secrets, "session", compress=True)
        self._ref = SealedBox(session_secrets, "session-ref")
        self._loads: dict[Hashable, asyncio.Future[Any]] = {}
        self._writes: dict[Hashable, asyncio.Future[Any]] = {}

    async def load(self, value: str) -> SessionData | None:
        """Open a joined cookie value; None for anything that is not a session we sealed."""
        if self.store is None:
            raw = self._box.open(value)
            return None if raw is None else SessionData.from_json(raw)
        sid = self._ref.open(value)
        return None if sid is None else await self.load_stored(sid.decode())

    async def load_stored(self, sid: str) -> SessionData | None:
        """The session the store keeps under ``sid`` (store mode only); None if there is none,
        or it is not one we sealed for that id."""
        return await _once(self._loads, sid, lambda: self._load_stored(sid))

    async def _load_stored(self, sid: str) -> SessionData | None:
        assert self.store is not None
        stored = await self.store.load(sid)
        raw = None if stored is None else self._box.open(stored.decode("latin-1"))
        data = None if raw is None else SessionData.from_json(raw)
        return data if data is not None and data.sid == sid else None

    async def keep(self, data: SessionData, max_age: int) -> None:
        """Write ``data`` to the store (store mode only) for ``max_age`` more seconds; a write of
        the same session with the same tokens already in flight is the one that counts."""
        store = self.store
        assert store is not None
        key = (data.sid, data.id_token, data.access_token, data.refresh_token)
        await _once(self._writes, key, lambda: store.save(
            data.sid, self._box.seal(data.to_json()).encode(), max(1, max_age)))

    async def save(
        self, data: SessionData, max_age: int, present: Mapping[str, Any]
    ) -> list[tuple[bytes, bytes]]:
        """Headers writing ``data`` (and expiring stale chunks); ``session_too_large`` if even the
        chunk cap cannot hold it, so the browser never silently drops a cookie (CK-03)."""
        if self.store is not None:
            await self.keep(data, max_age)
            sealed = self._ref.seal(data.sid.encode())
        else:
            sealed = self._box.seal(data.to_json())
        headers = self.names.write(sealed, max_age, present)
        if headers is None:
            raise AuthError.of("session_too_large", reason=f"sealed_bytes_{len(sealed)}")
        return headers

    async def update(
        self, data: SessionData, max_age: int, present: Mapping[str, Any]
    ) -> list[tuple[bytes, bytes]]:
        """Write a changed session (refreshed, or seen again). With a store the cookie already
        names this session, so only the store is written and the cookie stays byte for byte the
        same: every process keeps serving it from its session cache."""
        if self.store is not None:
            await self.keep(data, max_age)
            return []
        return await self.save(data, max_age, present)

    async def discard(self, data: SessionData | None) -> list[tuple[bytes, bytes]]:
        """Deletion headers for every chunk; the stored copy goes too."""
        if data is not None and self.store is not None:
            await self.store.delete(data.sid)
        return self.names.clear()
