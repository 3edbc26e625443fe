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

Bounded: at most ``maxsize`` entries and a header of at most ``MAX_HEADER`` bytes each; the oldest
insertion goes first, and expired entries are dropped from the old end on every insertion.
Oldest-first rather than least-recently-used: every entry is re-verified at its ``fresh_until``
anyway (within half an hour by default), so recency buys little, and a hit costs no bookkeeping.
Sign-out drops a session's entries, so a hit needs no signed-out check (LO-04).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from hashlib import sha256
from typing import NamedTuple

from ..core.redact import REDACTED
from ..core.user import User
from .cookieheader import parse_cookies

__all__ = ["HEADERS_KEPT", "KEY_BYTES", "MAX_HEADER", "Cached", "HotEntry", "SessionCache"]

KEY_BYTES = 48  # "<n>." + base64url(key id ‖ 96-bit nonce ‖ …): unique per sealed cookie
MAX_HEADER = 16 * 1024  # a longer Cookie header is not kept (proxies refuse far less anyway)
HEADERS_KEPT = 1024  # whole headers kept for the most recently used entries: ~4 MB at ~4 KB each


class HotEntry(NamedTuple):
    """One verified session to remember (``SessionCache.put``): no tokens, just the answer."""

    header: bytes  # the Cookie header it was verified with (or last served for)
    user: User
    csrf: str
    sid: str  # to find the entry again at sign-out
    fresh_until: float

    def __repr__(self) -> str:  # the header carries the sealed session: a credential
        return (f"HotEntry(header={REDACTED}, user={self.user!r}, csrf={REDACTED}, "
                f"sid={self.sid!r}, fresh_until={self.fresh_until!r})")


class Cached(NamedTuple):
    """What the cache keeps of a ``HotEntry``: the answer and digests, not the header."""

    user: User
    csrf: str
    sid: str
    fresh_until: float
    header_digest: bytes  # SHA-256 of the Cookie header it was verified with (or last served for)
    cookies_digest: bytes  # SHA-256 of its session cookies' values (_digest_of)

    def __repr__(self) -> str:
        return (f"Cached(user={self.user!r}, csrf={REDACTED}, sid={self.sid!r}, "
                f"fresh_until={self.fresh_until!r})")


def _digest_of(cookies: tuple[str | None, ...]) -> bytes:
    """SHA-256 of the session cookies' values, each with its length (a missing one as -1), so
    no two different tuples share an encoding."""
    digest = sha256()
    for value in cookies:
        raw = b"" if value is None else value.encode("utf-8", "surrogatepass")
        digest.update(b"-1|" if value is None else b"%d|" % len(raw))
        digest.update(raw)
    return digest.digest()


class SessionCache:
    """Verified sessions keyed by their session cookie bytes; see the module docstring."""

    __slots__ = ("_entries", "_first", "_headers", "_names", "by_key", "header_of", "hits",
                 "maxsize", "misses")

    def __init__(self, chunk_names: Sequence[str], maxsize: int) -> None:
        self._names = tuple(chunk_names)
        self._first = (chunk_names[0] + "=").encode()
        self.maxsize = maxsize
        self._entries: OrderedDict[bytes, Cached] = OrderedDict()
        # key -> the header last served, recent ones only. An OrderedDict: dropping a plain
        # dict's first item again and again makes next(iter()) walk ever more dead slots.
        self._headers: OrderedDict[bytes, bytes] = OrderedDict()
        # The middleware reads entries in place on its hot path: a call costs more than the test.
        self.by_key = self._entries.get
        self.header_of = self._headers.get
        # Requests served from the cache, and those with a session cookie it held nothing fresh
        # for: plain integers the callers add to, read when metrics are scraped.
        self.hits = self.misses = 0

    def get(self, header: bytes, now: float) -> Cached | None:
        """The entry for this exact ``Cookie`` header (or for the same session cookies in a header
        that differs elsewhere) while it is fresh; None otherwise."""
        i = header.find(self._first)
        if i < 0:
            return None
        i += len(self._first)
        key = header[i : i + KEY_BYTES]
        entry = self._entries.get(key)
        if entry is None or not self.matches(key, header, entry):
            return self._same_session(header, now)
        return entry if now < entry.fresh_until else None

    def matches(self, key: bytes, header: bytes, entry: Cached) -> bool:
        """Is ``header`` byte for byte the one ``entry`` (filed under ``key``) was verified with
        or last served for? The kept header when there is one, else the digest; a match is kept
        as the entry's header, so the next request of that browser needs no hash."""
        if self._headers.get(key) == header:
            return True
        if sha256(header).digest() != entry.header_digest:
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
        entry = self._entries.get(key)
        if entry is None or now >= entry.fresh_until:
            return None
        if _digest_of(cookies) != entry.cookies_digest:
            return None
        if len(header) <= MAX_HEADER:
            self._entries[key] = entry._replace(header_digest=sha256(header).digest())
            self._keep(key, header)
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
        entries = self._entries
        key = cookies[0][:KEY_BYTES].encode("latin-1")
        entries[key] = Cached(entry.user, entry.csrf, entry.sid, entry.fresh_until,
                              sha256(header).digest(), _digest_of(cookies))
        entries.move_to_end(key)
        self._headers.pop(key, None)
        self._keep(key, header)
        while entries and (len(entries) > self.maxsize
                           or now >= next(iter(entries.values())).fresh_until):
            self._headers.pop(entries.popitem(last=False)[0], None)

    def discard_session(self, sid: str) -> None:
        """Forget every entry of one session (it signed out). A scan of the whole cache, but only
        at sign-out, and it spares every request a signed-out check."""
        for key in [key for key, entry in self._entries.items() if entry.sid == sid]:
            del self._entries[key]
            self._headers.pop(key, None)

    def clear(self) -> None:
        """Forget every entry (sign-outs elsewhere may have been missed)."""
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
