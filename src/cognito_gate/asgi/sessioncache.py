"""Verified sessions by the ``Cookie`` header they came with: the hot path's one look-up.

A browser sends the same ``Cookie`` header, byte for byte, request after request. A session
verified once (both tokens, its lifetimes, the refresh decision) is remembered with those exact
bytes and reused until its ``fresh_until``. Any changed byte is a miss (CK-07): an entry serves a
header equal to the one it was verified with or, when only some other cookie changed (analytics,
a sign-in attempt in another tab), a header whose session cookies are byte for byte the same.

The look-up does not hash the whole header (3-7 KB of SipHash is ~0.7 µs a request). An entry is
filed under the first bytes of the sealed session cookie — its key id and random nonce, new with
every seal — found with one substring search, and then the whole header is compared (a memcmp).

Bounded: at most ``maxsize`` entries and a header of at most ``MAX_HEADER`` bytes each; the oldest
insertion goes first, and expired entries are dropped from the old end on every insertion.
Oldest-first rather than least-recently-used: every entry is re-verified at its ``fresh_until``
anyway (within half an hour by default), so recency buys little, and a hit costs no bookkeeping.
Sign-out drops a session's entries, so a hit needs no signed-out check (LO-04).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from typing import NamedTuple

from ..core.redact import REDACTED
from ..core.user import User
from .cookieheader import parse_cookies

__all__ = ["KEY_BYTES", "MAX_HEADER", "HotEntry", "SessionCache"]

KEY_BYTES = 48  # "<n>." + base64url(key id ‖ 96-bit nonce ‖ …): unique per sealed cookie
MAX_HEADER = 16 * 1024  # a longer Cookie header is not kept (proxies refuse far less anyway)


class HotEntry(NamedTuple):
    """One verified session, as the hot path needs it: no tokens, just the answer."""

    header: bytes  # the Cookie header it was verified with (or last served for)
    user: User
    csrf: str
    sid: str  # to find the entry again at sign-out
    fresh_until: float

    def __repr__(self) -> str:  # the header carries the sealed session: a credential
        return (f"HotEntry(header={REDACTED}, user={self.user!r}, csrf={REDACTED}, "
                f"sid={self.sid!r}, fresh_until={self.fresh_until!r})")


class SessionCache:
    """Verified sessions keyed by their session cookie bytes; see the module docstring."""

    __slots__ = ("_entries", "_first", "_names", "by_key", "hits", "maxsize", "misses")

    def __init__(self, chunk_names: Sequence[str], maxsize: int) -> None:
        self._names = tuple(chunk_names)
        self._first = (chunk_names[0] + "=").encode()
        self.maxsize = maxsize
        self._entries: OrderedDict[bytes, HotEntry] = OrderedDict()
        # The middleware reads entries in place on its hot path: a call costs more than the test.
        self.by_key = self._entries.get
        # Requests served from the cache, and those that found nothing fresh in it: plain
        # integers (the middleware's hot path adds its hits itself), read when metrics are scraped.
        self.hits = self.misses = 0

    def get(self, header: bytes, now: float) -> HotEntry | None:
        """The entry for this exact ``Cookie`` header (or for the same session cookies in a header
        that differs elsewhere) while it is fresh; None otherwise."""
        entry = self._find(header, now)
        if entry is None:
            self.misses += 1
        else:
            self.hits += 1
        return entry

    def _find(self, header: bytes, now: float) -> HotEntry | None:
        i = header.find(self._first)
        if i < 0:
            return None
        i += len(self._first)
        entry = self._entries.get(header[i : i + KEY_BYTES])
        if entry is None or entry.header != header:
            return self._same_session(header, now)
        return entry if now < entry.fresh_until else None

    def _same_session(self, header: bytes, now: float) -> HotEntry | None:
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
        if self._session_cookies(entry.header) != cookies:
            return None
        if len(header) <= MAX_HEADER:
            self._entries[key] = entry._replace(header=header)
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
        cookies = self._session_cookies(entry.header)
        if self.maxsize <= 0 or cookies is None or len(entry.header) > MAX_HEADER \
                or now >= entry.fresh_until:
            return
        entries = self._entries
        key = cookies[0][:KEY_BYTES].encode("latin-1")
        entries[key] = entry
        entries.move_to_end(key)
        while entries and (len(entries) > self.maxsize
                           or now >= next(iter(entries.values())).fresh_until):
            entries.popitem(last=False)

    def discard_session(self, sid: str) -> None:
        """Forget every entry of one session (it signed out). A scan of the whole cache, but only
        at sign-out, and it spares every request a signed-out check."""
        for key in [key for key, entry in self._entries.items() if entry.sid == sid]:
            del self._entries[key]

    def __len__(self) -> int:
        return len(self._entries)
