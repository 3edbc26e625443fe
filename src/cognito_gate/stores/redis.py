"""``RedisStore``: sessions, refresh locks and sign-out announcements in Redis or Valkey, so any
number of processes (or machines) serve the same sessions.

Keys, all under ``prefix`` (default ``cognito-gate:``) and all with a TTL:

* ``{prefix}s:{sid}``    the sealed session (AES-GCM; the store never sees a token), expiring
  with the session's absolute lifetime. Signing out replaces it by a one-byte tombstone ``-``
  with the same TTL, so a refresh finishing in another process cannot bring it back.
* ``{prefix}lock:{sid}`` the refresh lock: a random token, set with ``NX PX`` (a few seconds),
  renewed by its holder while it works and deleted only by the holder (compare-and-delete).
* channel ``{prefix}ended``: ``"<sid> <until>"`` published at each sign-out.

Every call is bounded by ``timeout`` seconds, 2 by default (the client's own socket timeouts,
and an asyncio timeout around each call for clients built elsewhere); any failure becomes
``StoreUnavailable``.
``redis`` (redis-py) is an optional dependency, imported only here: ``cognito-gate[redis]``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

from ..core.errors import ConfigError, StoreUnavailable
from ..extras import MissingExtra, need

if TYPE_CHECKING:
    from redis.asyncio import Redis

__all__ = ["RedisStore", "redacted", "redis_url"]

log = logging.getLogger("cognito_gate.store")

T = TypeVar("T")


_TOMBSTONE = b"-"
# Keep a session unless it was signed out (a tombstone): a refresh finishing after a sign-out
# elsewhere must not bring the session back.
_SAVE = """
if redis.call('GET', KEYS[1]) == ARGV[3] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
return 1
"""
# Replace a session by a tombstone for the rest of its lifetime.
_END = """
local ttl = redis.call('PTTL', KEYS[1])
if ttl > 0 then redis.call('SET', KEYS[1], ARGV[1], 'PX', ttl) end
return ttl
"""
_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


def redis_url(url: str) -> str:
    """``url`` as redis-py reads it: ``valkey://``/``valkeys://`` become ``redis://``/``rediss://``.
    """
    parts = urlsplit(url)
    return urlunsplit(parts._replace(scheme=parts.scheme.replace("valkey", "redis")))


def redacted(url: str) -> str:
    """``url`` without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = f"{parts.username}:***@" if parts.username else ":***@"
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=user + host))


def _redis_asyncio() -> Any:
    """The ``redis.asyncio`` module, or a one-line ConfigError saying how to install it."""
    try:
        return need("redis.asyncio", "redis", "the Redis session store")
    except MissingExtra as exc:
        raise ConfigError([f"SESSION_STORE_URL: {exc}"]) from None


class RedisStore:
    """A ``SharedSessionStore`` on redis-py's asyncio client (Redis, Valkey; bring your own
    client for Sentinel or Cluster). ``timeout``: seconds any one call may take."""

    def __init__(self, client: Redis, *, prefix: str = "cognito-gate:",
                 timeout: float = 2.0) -> None:
        self.client = client
        self.prefix = prefix
        self.timeout = timeout
        self.channel = f"{prefix}ended"
        self._save = client.register_script(_SAVE)
        self._end = client.register_script(_END)
        self._renew = client.register_script(_RENEW)
        self._release = client.register_script(_RELEASE)
        self._report: Callable[[str], None] = _unreported

    def report_errors_to(self, report: Callable[[str], None]) -> None:
        """Call ``report(what)`` on every failed call (``CognitoAuth`` passes the counter behind
        ``cognito_gate_store_errors_total``)."""
        self._report = report

    @classmethod
    def from_url(cls, url: str, *, prefix: str = "cognito-gate:", timeout: float = 2.0,
                 max_connections: int = 64) -> RedisStore:
        """A store on a new connection pool for ``url`` (``redis://``, ``rediss://`` for TLS,
        ``valkey://``/``valkeys://`` alike, ``unix://``). Connects lazily, on first use. A burst
        beyond ``max_connections`` concurrent calls waits for a free connection (within
        ``timeout``) rather than failing at once."""
        aio = _redis_asyncio()
        pool = aio.BlockingConnectionPool.from_url(
            redis_url(url), max_connections=max_connections, timeout=timeout,
            socket_timeout=timeout, socket_connect_timeout=timeout, socket_keepalive=True,
            retry_on_timeout=False)
        return cls(aio.Redis.from_pool(pool), prefix=prefix, timeout=timeout)

    shown = staticmethod(redacted)  # a store URL without its password, for messages

    def _key(self, sid: str) -> str:
        return f"{self.prefix}s:{sid}"

    def _lock(self, sid: str) -> str:
        return f"{self.prefix}lock:{sid}"

    async def _call(self, what: str, call: Callable[[], Awaitable[T]]) -> T:
        """One bounded call; every failure is ``StoreUnavailable`` naming ``what`` (no data)."""
        try:
            async with asyncio.timeout(self.timeout):
                return await call()
        except Exception as exc:
            if isinstance(exc, (TimeoutError, OSError)) or _is_redis_error(exc):
                self._report(what)
                raise StoreUnavailable(f"store_{what}_{type(exc).__name__}") from None
            raise

    async def ping(self) -> None:
        """Raise ``StoreUnavailable`` unless the server answers (start-up checks)."""
        await self._call("ping", self.client.ping)

    async def load(self, sid: str) -> bytes | None:
        value = await self._call("get", lambda: self.client.get(self._key(sid)))
        if isinstance(value, str):  # a client made with decode_responses=True
            value = value.encode("latin-1")
        return value if value != _TOMBSTONE else None

    async def save(self, sid: str, value: bytes, ttl: int) -> None:
        await self._call("save", lambda: self._save(keys=[self._key(sid)],
                                                    args=[value, ttl, _TOMBSTONE]))

    async def delete(self, sid: str) -> None:
        await self._call("end", lambda: self._end(keys=[self._key(sid)], args=[_TOMBSTONE]))

    async def acquire(self, sid: str, ttl: float) -> str | None:
        token = secrets.token_hex(8)
        taken = await self._call("lock", lambda: self.client.set(
            self._lock(sid), token, px=int(ttl * 1000), nx=True))
        return token if taken else None

    async def renew(self, sid: str, token: str, ttl: float) -> bool:
        renewed = await self._call("renew", lambda: self._renew(
            keys=[self._lock(sid)], args=[token, int(ttl * 1000)]))
        return bool(renewed)

    async def release(self, sid: str, token: str) -> None:
        await self._call("unlock", lambda: self._release(keys=[self._lock(sid)], args=[token]))

    async def locked(self, sid: str) -> bool:
        count = await self._call("locked", lambda: self.client.exists(self._lock(sid)))
        return bool(count)

    async def announce_ended(self, sid: str, until: float) -> None:
        await self._call("publish", lambda: self.client.publish(self.channel,
                                                                f"{sid} {until:.0f}"))

    async def watch(self, ended: Callable[[str, float], None],
                    live: Callable[[bool], None]) -> None:
        """Listen to the sign-out channel for ever, reconnecting with a capped back-off. A
        subscription only reports messages sent while it is up, so ``live(False)`` is called
        whenever it drops: the caller must then forget what a missed message could cancel."""
        state = {"live": False}

        def changed(now_live: bool) -> None:
            if now_live and not state["live"]:
                log.info("session store: listening for sign-outs on %s", self.channel)
            state["live"] = now_live
            live(now_live)

        while True:
            try:
                await self._listen(ended, changed)
            except asyncio.CancelledError:
                live(False)
                raise
            except Exception as exc:
                if not (_is_redis_error(exc) or isinstance(exc, (OSError, StoreUnavailable))):
                    raise
                if state["live"]:
                    log.warning("session store: sign-out channel lost (%s); reconnecting every "
                                "0.5 s, session cache off meanwhile", type(exc).__name__)
                changed(False)
            await asyncio.sleep(0.5)

    async def _listen(self, ended: Callable[[str, float], None],
                      live: Callable[[bool], None]) -> None:
        """One subscription, until its connection fails."""
        pubsub = self.client.pubsub()
        try:
            await self._call("subscribe", lambda: pubsub.subscribe(self.channel))
            while True:
                message = await pubsub.get_message(timeout=None)
                if message is None:
                    continue
                if message["type"] == "subscribe":
                    live(True)
                elif message["type"] == "message":
                    _announced(message["data"], ended)
        finally:
            with contextlib.suppress(Exception):  # closing a connection already lost
                await pubsub.aclose()

    async def aclose(self) -> None:
        await self.client.aclose()


def _unreported(what: str) -> None:
    """The error report of a store no ``CognitoAuth`` has been given to."""


def _announced(data: bytes | str, ended: Callable[[str, float], None]) -> None:
    """Hand one well-formed ``"<sid> <until>"`` announcement to ``ended``; ignore anything else."""
    text = data.decode("latin-1") if isinstance(data, bytes) else data
    sid, _, until = text.partition(" ")
    try:
        ended(sid, float(until))
    except ValueError:
        log.warning("session store: unreadable sign-out announcement ignored")


def _is_redis_error(exc: BaseException) -> bool:
    from redis.exceptions import RedisError

    return isinstance(exc, RedisError)
