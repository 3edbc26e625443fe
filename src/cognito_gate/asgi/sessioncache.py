"""Verified sessions by the ``Cookie`` header they came with: the hot path's one look-up.

A browser sends the same ``Cookie`` header, byte for byte, request after request. A session
verified once (both tokens, its lifetimes, the refresh decision) is remembered with those exact
bytes and reused until its ``fresh_until``. Any changed byte is a miss (CK-07): an entry serves a
header equal to the one it was verified with or, when only some other cookie changed (analytics,
a sign-in attempt in another tab), a header whose session cookies are byte for byte the same.

The look-up does not hash the whole header on the usual path (SHA-256 of 3-7 KB is ~2 µs). An
entry is filed under the first bytes of the sealed session cookie — its key id and random nonce,
new with every seal — found with one substring search; the header is then compared (a memcmp)
with the one last seen for that entry, which the cache keeps for the ``HEADERS_KEPT`` most
recently used entries only. Any other entry keeps just SHA-256 digests (of the header, and of its
session cookies' values): a header not among the kept ones is hashed and must match the digest
(collision-resistant, so "any changed byte is a miss" still holds), then becomes the kept one. So
one session costs a few hundred bytes here instead of its 4 KB header, and a working set larger
than ``HEADERS_KEPT`` costs a hash per request, not a cliff.

Bounded: at most ``maxsize`` entries and a header of at most ``MAX_HEADER`` bytes each, evicted
by CLOCK behind a doorkeeper (``ClockCache``): a hit sets one bit, and a working set larger than
the cache keeps a stable part of itself cached instead of hitting nothing. Expired entries are
the first the hand takes. Sign-out drops a session's entries, so a hit needs no signed-out check
(LO-04). An entry keeps no session id: the CSRF token it carries is an HMAC of it, and sign-out
finds the session's entries by that.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from hashlib import sha256
from typing import NamedTuple, cast

from ..core.clockcache import ClockCache, ClockEntry
from ..core.redact import REDACTED
from ..core.user import User
from .cookieheader import parse_cookies

__all__ = ["HEADERS_KEPT", "KEY_BYTES", "MAX_HEADER", "Cached", "HotEntry", "SessionCache"]

HALF = 16  # bytes of each SHA-256 kept: 128 bits, collision-resistant still
KEY_BYTES = 24  # "<n>." + base64url(key id ‖ 96-bit nonce ‖ …): unique per sealed cookie
MAX_HEADER = 16 * 1024  # a longer Cookie header is not kept (proxies refuse far less anyway)
HEADERS_KEPT = 1024  # whole headers kept for the most recently used entries: ~4 MB at ~4 KB each


class HotEntry(NamedTuple):
    """One verified session to remember (``SessionCache.put``): no tokens, just the answer."""

    header: bytes  # the Cookie header it was verified with (or last served for)
    user: User
    csrf: str
    fresh_until: float

    def __repr__(self) -> str:  # the header carries the sealed session: a credential
        return (f"HotEntry(header={REDACTED}, user={self.user!r}, csrf={REDACTED}, "
                f"fresh_until={self.fresh_until!r})")


class Cached(ClockEntry):
    """What the cache keeps of a ``HotEntry``: the answer and digests, not the header; ``until``
    is the entry's ``fresh_until``."""

    __slots__ = ("csrf", "digest", "user")

    def __init__(self, key: bytes, user: User, csrf: str, until: float, digest: bytes) -> None:
        super().__init__(key, until)
        self.user = user
        self.csrf = csrf
        # The first 16 bytes of the SHA-256 of the Cookie header it was verified with (or last
        # served for), then of its session cookies' values (_digest_of): one object, not two.
        self.digest = digest

    def __repr__(self) -> str:
        return f"Cached(user={self.user!r}, csrf={REDACTED}, until={self.until!r})"


def _digest_of(cookies: tuple[str | None, ...]) -> bytes:
    """SHA-256 of the session cookies' values, each with its length (a missing one as -1), so
    no two different tuples share an encoding."""
    digest = sha256()
    for value in cookies:
        raw = b"" if value is None else value.encode("utf-8", "surrogatepass")
        digest.update(b"-1|" if value is None else b"%d|" % len(raw))
        digest.update(raw)
    return digest.digest()[:HALF]


def _header_digest(header: bytes) -> bytes:
    return sha256(header).digest()[:HALF]


class SessionCache:
    """Verified sessions keyed by their session cookie bytes; see the module docstring."""

    __slots__ = ("_csrf_of", "_entries", "_first", "_headers", "_names", "by_key", "header_of",
                 "hits", "misses")

    def __init__(self, chunk_names: Sequence[str], maxsize: int,
                 csrf_of: Callable[[str], str]) -> None:
        self._names = tuple(chunk_names)
        self._first = (chunk_names[0] + "=").encode()
        self._csrf_of = csrf_of  # session id -> the CSRF token its entries carry
        # key -> the header last served, recent ones only. An OrderedDict: dropping a plain
        # dict's first item again and again makes next(iter()) walk ever more dead slots.
        self._headers: OrderedDict[bytes, bytes] = OrderedDict()
        self._entries: ClockCache[Cached] = ClockCache(
            maxsize, lambda key: self._headers.pop(cast(bytes, key), None))
        # The middleware reads entries in place on its hot path: a call costs more than the test.
        self.by_key = self._entries.by_key
        self.header_of = self._headers.get

        # Requests served from the cache, and those with a session cookie it held nothing fresh
        # for: plain integers the callers add to, read when metrics are scraped.
        self.hits = self.misses = 0

    @property
    def maxsize(self) -> int:
        return self._entries.maxsize

    def get(self, header: bytes, now: float) -> Cached | None:
        """The entry for this exact ``Cookie`` header (or for the same session cookies in a header
        that differs elsewhere) while it is fresh; None otherwise."""
        i = header.find(self._first)
        if i < 0:
            return None
        i += len(self._first)
        key = header[i : i + KEY_BYTES]
        entry = self.by_key(key)
        if entry is None or not self.matches(key, header, entry):
            return self._same_session(header, now)
        if now >= entry.until:
            return None
        entry.used = True
        return entry

    def matches(self, key: bytes, header: bytes, entry: Cached) -> bool:
        """Is ``header`` byte for byte the one ``entry`` (filed under ``key``) was verified with
        or last served for? The kept header when there is one, else the digest; a match is kept
        as the entry's header, so the next request of that browser needs no hash."""
        if self._headers.get(key) == header:
            return True
        if _header_digest(header) != entry.digest[:HALF]:
            return False
        self._keep(key, header)
        return True

    def _keep(self, key: bytes, header: bytes) -> None:
        headers = self._headers
        if key not in headers and len(headers) >= HEADERS_KEPT:
            headers.popitem(last=False)  # the oldest kept
        headers[key] = header

    def _same_session(self, header: bytes, now: float) -> Cached | None:
        """The entry whose session cookies are exactly this header's, read as the slow path reads
        them. The entry then follows this header, so the browser's next request matches at once.
        """
        cookies = self._session_cookies(header)
        if cookies is None:
            return None
        key = cookies[0][:KEY_BYTES].encode("latin-1")
        entry = self.by_key(key)
        if entry is None or now >= entry.until:
            return None
        if _digest_of(cookies) != entry.digest[HALF:]:
            return None
        if len(header) <= MAX_HEADER:
            entry.digest = _header_digest(header) + entry.digest[HALF:]
            self._keep(key, header)
        entry.used = True
        return entry

    def _session_cookies(self, header: bytes) -> tuple[str, *tuple[str | None, ...]] | None:
        """The values of every chunk name in ``header`` as ``parse_cookies`` reads them (a name
        sent twice reads as ""); None without a first chunk. One pass over the header: a
        substring search per name would cost ~1.5 µs each on a 4 KB header."""
        cookies = parse_cookies(header)
        first = cookies.get(self._names[0])
        if not first:
            return None
        return (first, *(cookies.get(name) for name in self._names[1:]))

    def put(self, entry: HotEntry, now: float) -> None:
        """Remember a verified session under its header's session cookie."""
        header = entry.header
        cookies = self._session_cookies(header)
        if self.maxsize <= 0 or cookies is None or len(header) > MAX_HEADER \
                or now >= entry.fresh_until:
            return
        key = cookies[0][:KEY_BYTES].encode("latin-1")
        kept = self._entries.put(Cached(key, entry.user, entry.csrf, entry.fresh_until,
                                        _header_digest(header) + _digest_of(cookies)), now)
        if kept is not None:
            self._headers.pop(key, None)
            self._keep(key, header)

    def discard_session(self, sid: str) -> None:
        """Forget every entry of one session (it signed out). A scan of the whole cache, but only
        at sign-out, and it spares every request a signed-out check."""
        csrf = self._csrf_of(sid)
        doomed = [cast(bytes, e.key) for e in self._entries.values() if e.csrf == csrf]
        for key in doomed:
            self._entries.pop(key)
            self._headers.pop(key, None)

    def clear(self) -> None:
        """Forget every entry (sign-outs elsewhere may have been missed)."""
        self._entries.clear()
        self._headers.clear()

    def __len__(self) -> int:
        return len(self._entries)
