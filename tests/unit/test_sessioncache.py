"""The verified-session cache the hot path reads: exact bytes (CK-07), bounds, expiry, sign-out."""

from __future__ import annotations

import base64
import os

from cognito_gate.asgi import sessioncache
from cognito_gate.asgi.sessioncache import KEY_BYTES, MAX_HEADER, HotEntry, SessionCache
from cognito_gate.core.user import User

NAMES = ("cg.0", "cg.1", "cg.2", "cg.3")
USER = User(sub="s", username="u", email=None, email_verified=False, groups=(), expires_at=0.0,
            issuer="https://issuer", claims={}, access_claims={})


def sealed(chunks: int = 1) -> str:
    """A first-chunk value shaped like ours: "<count>." + base64url(key id ‖ nonce ‖ …)."""
    return f"{chunks}." + base64.urlsafe_b64encode(os.urandom(600)).decode().rstrip("=")


def csrf_of(sid: str) -> str:
    return "csrf-" + sid


def entry(header: str, *, sid: str = "sid-1", until: float = 100.0) -> HotEntry:
    return HotEntry(header.encode(), USER, csrf_of(sid), until)


def test_CK_07_exact_header_hits_and_any_changed_byte_misses():
    cache = SessionCache(NAMES, 10, csrf_of)
    header = f"cg.0={sealed()}; theme=dark"
    cache.put(entry(header), now=0.0)
    assert cache.get(header.encode(), 1.0) is not None
    value = header.split("=", 1)[1].split(";")[0]
    for i in (2, 30, len(value) - 1):  # the count, the nonce, the tag end
        flipped = value[:i] + ("A" if value[i] != "A" else "B") + value[i + 1 :]
        assert cache.get(header.replace(value, flipped).encode(), 1.0) is None, i


def test_other_cookies_changing_keeps_the_session_and_the_entry_follows():
    cache = SessionCache(NAMES, 10, csrf_of)
    value = sealed(2)
    first = f"_ga=1; cg.0={value}; cg.1=tail"
    cache.put(entry(first), now=0.0)
    moved = f"_ga=2; cg.0={value}; cg.1=tail; new=x".encode()
    hit = cache.get(moved, 1.0)
    assert hit is not None
    assert hit.user is USER
    assert cache.get(moved, 1.0) is not None
    assert cache._headers[value[:KEY_BYTES].encode()] == moved  # found by exact bytes next time


def test_a_changed_later_chunk_or_a_doubled_name_is_a_miss():
    cache = SessionCache(NAMES, 10, csrf_of)
    value = sealed(2)
    cache.put(entry(f"cg.0={value}; cg.1=tail"), now=0.0)
    assert cache.get(f"cg.0={value}; cg.1=tai1".encode(), 1.0) is None
    assert cache.get(f"cg.0={value}; cg.1=tail; x=1; cg.1=other".encode(), 1.0) is None
    assert cache.get(f"cg.0={value}; cg.1=tail; cg.0=other".encode(), 1.0) is None
    assert cache.get(f"x=1; cg.0={value}".encode(), 1.0) is None  # chunk 1 missing


def test_an_entry_expires_at_fresh_until():
    cache = SessionCache(NAMES, 10, csrf_of)
    header = f"cg.0={sealed()}"
    cache.put(entry(header, until=50.0), now=0.0)
    assert cache.get(header.encode(), 49.9) is not None
    assert cache.get(header.encode(), 50.0) is None
    assert cache.get(f"other=1; {header}".encode(), 50.0) is None


def test_bounded_and_expired_entries_are_the_first_to_go():
    cache = SessionCache(NAMES, 3, csrf_of)
    headers = [f"cg.0={sealed()}" for _ in range(3)]
    for i, header in enumerate(headers):
        cache.put(entry(header, sid=f"s{i}", until=100.0 + i), now=0.0)
    assert all(cache.get(h.encode(), 1.0) is not None for h in headers)  # all used since
    late = f"cg.0={sealed()}"
    cache.put(entry(late, sid="late", until=500.0), now=1.0)
    assert len(cache) == 3
    assert cache.get(late.encode(), 1.0) is None
    cache.put(entry(late, sid="late", until=500.0), now=101.5)  # s0 and s1 have expired
    assert len(cache) == 3
    assert cache.get(late.encode(), 101.5) is not None
    assert cache.get(headers[2].encode(), 101.5) is not None  # fresh and used: kept


def test_disabled_too_large_and_already_expired_are_not_kept():
    header = f"cg.0={sealed()}"
    off = SessionCache(NAMES, 0, csrf_of)
    off.put(entry(header), now=0.0)
    assert len(off) == 0
    cache = SessionCache(NAMES, 10, csrf_of)
    cache.put(entry(header + "; big=" + "x" * MAX_HEADER), now=0.0)
    cache.put(entry(header, until=5.0), now=5.0)
    cache.put(entry("no=session"), now=0.0)
    assert len(cache) == 0


def test_LO_04_discard_session_drops_every_entry_of_that_session():
    cache = SessionCache(NAMES, 10, csrf_of)
    mine = [f"cg.0={sealed()}" for _ in range(3)]  # e.g. before and after a refresh
    other = f"cg.0={sealed()}"
    for header in mine:
        cache.put(entry(header, sid="mine"), now=0.0)
    cache.put(entry(other, sid="other"), now=0.0)
    cache.discard_session("mine")
    assert [cache.get(h.encode(), 1.0) for h in mine] == [None, None, None]
    assert cache.get(other.encode(), 1.0) is not None


def test_CK_07_an_entry_whose_header_is_no_longer_kept_hits_by_digest_and_still_misses_a_flip(
        monkeypatch):
    """Beyond the few most recent headers an entry keeps only digests: the exact header still
    hits (and is kept again), any changed byte still misses."""
    monkeypatch.setattr(sessioncache, "HEADERS_KEPT", 2)
    cache = SessionCache(NAMES, 10, csrf_of)
    headers = [f"cg.0={sealed()}; theme=dark" for _ in range(4)]
    for i, header in enumerate(headers):
        cache.put(entry(header, sid=f"s{i}"), now=0.0)
    assert len(cache._headers) == 2  # only the two newest headers are kept in full
    oldest = headers[0]
    key = oldest[5 : 5 + KEY_BYTES].encode()
    assert key not in cache._headers
    assert all(not hasattr(e, "header") for e in cache._entries.values())
    value = oldest.split("=", 1)[1].split(";")[0]
    for i in (2, 30, len(value) - 1):
        flipped = value[:i] + ("A" if value[i] != "A" else "B") + value[i + 1 :]
        assert cache.get(oldest.replace(value, flipped).encode(), 1.0) is None, i
    assert cache.get(oldest.encode(), 1.0) is not None
    assert cache._headers[key] == oldest.encode()  # kept again: the next hit needs no hash
    assert len(cache._headers) == 2


def test_a_moved_header_not_kept_still_needs_the_same_session_cookies(monkeypatch):
    monkeypatch.setattr(sessioncache, "HEADERS_KEPT", 1)
    cache = SessionCache(NAMES, 10, csrf_of)
    value = sealed(2)
    cache.put(entry(f"cg.0={value}; cg.1=tail"), now=0.0)
    cache.put(entry(f"cg.0={sealed()}", sid="other"), now=0.0)  # pushes the first header out
    assert cache.get(f"cg.0={value}; cg.1=tai1".encode(), 1.0) is None
    assert cache.get(f"x=1; cg.0={value}".encode(), 1.0) is None
    assert cache.get(f"_ga=2; cg.0={value}; cg.1=tail".encode(), 1.0) is not None


def test_evicted_and_signed_out_entries_take_their_kept_header_with_them():
    cache = SessionCache(NAMES, 2, csrf_of)
    headers = [f"cg.0={sealed()}" for _ in range(3)]
    for i, header in enumerate(headers):
        cache.put(entry(header, sid=f"s{i}"), now=0.0)
    cache.put(entry(headers[2], sid="s2"), now=0.0)  # full: admitted on its second miss
    assert len(cache) == len(cache._headers) == 2
    cache.discard_session("s2")
    assert len(cache) == len(cache._headers) == 1
