"""Cookie codec: sealing, rotation, tamper, chunking and flags (CK-01, CK-03, LO-02)."""

from __future__ import annotations

import secrets

import pytest

from cognito_gate.core.cookies import (
    MAX_CHUNKS,
    MAX_COOKIE_BYTES,
    CookieNames,
    CookiePolicy,
    SealedBox,
    join_chunks,
)
from cognito_gate.core.session import MemoryStore, SessionCodec, SessionData
from conftest import SECRET

OTHER = "another-session-secret-that-is-long-enough-xyz"


def test_round_trip_and_purpose_separation():
    box = SealedBox([SECRET], "session", compress=True)
    sealed = box.seal(b"hello" * 100)
    assert box.open(sealed) == b"hello" * 100
    assert SealedBox([SECRET], "tx").open(sealed) is None
    assert sealed != box.seal(b"hello" * 100)  # fresh nonce every time


def test_tamper_and_truncation_rejected():
    box = SealedBox([SECRET], "session")
    sealed = box.seal(b"payload")
    for bad in (sealed[:-1], sealed[:10], "", "!!!", sealed[:5] + ("A" if sealed[5] != "A" else "B")
                + sealed[6:], sealed + "AAAA"):
        assert box.open(bad) is None


def test_rotation_old_secret_still_opens_new_secret_seals():
    old = SealedBox([SECRET], "session").seal(b"x")
    rotated = SealedBox([OTHER, SECRET], "session")
    assert rotated.open(old) == b"x"
    assert SealedBox([SECRET], "session").open(rotated.seal(b"y")) is None
    assert SealedBox([OTHER], "session").open(old) is None


def test_CK_01_flags_https_and_http_loopback():
    header = CookiePolicy(secure=True).set("__Host-cg.0", "v", 60)[1].decode()
    assert header == "__Host-cg.0=v; Max-Age=60; Path=/; HttpOnly; SameSite=Lax; Secure"
    plain = CookiePolicy(secure=False)
    assert plain.prefix == ""
    assert "Secure" not in plain.set("cg.0", "v", 60)[1].decode()
    assert plain.delete("cg.0")[1].decode() == "cg.0=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax"


@pytest.mark.parametrize("size", [10, 3000, 3950, 3990, 5000, 7000, 7100])
def test_CK_03_every_set_cookie_at_most_4000_bytes(size: int):
    names = CookieNames(CookiePolicy(secure=True), "cg")
    value = secrets.token_urlsafe(size)[:size]
    headers = names.write(value, 43200, {})
    assert headers is not None
    for name, line in headers:
        assert len(b"Set-Cookie: " + line + b"\r\n") <= 4000
    values = [line.decode().split(";")[0].split("=", 1)[1] for _, line in headers]
    assert join_chunks(values) == value


def test_CK_03_too_large_refused_not_truncated():
    names = CookieNames(CookiePolicy(secure=True), "cg")
    assert names.write("x" * (4000 * MAX_CHUNKS), 60, {}) is None


@pytest.mark.parametrize("size", [7200, 9000, 11000, 15500])
def test_CK_03_cookie_header_budget_refused_beyond_about_7_kb(size: int):
    """Every chunk fits its own Set-Cookie, but together they would pass 8 KB of Cookie header,
    which proxies refuse: the write is refused (session_too_large) instead."""
    names = CookieNames(CookiePolicy(secure=True), "cg")
    assert names.write("x" * size, 60, {}) is None
    headers = names.write("x" * 7000, 60, {})
    assert headers is not None
    pairs = [line.decode().split(";")[0] for _, line in headers]
    assert len("; ".join(pairs)) <= MAX_COOKIE_BYTES


def test_stale_chunks_expired_on_write():
    names = CookieNames(CookiePolicy(secure=True), "cg")
    present = {"__Host-cg.0": "a", "__Host-cg.1": "b", "__Host-cg.2": "c"}
    headers = names.write("short", 60, present)
    assert headers is not None
    lines = [h[1].decode() for h in headers]
    assert lines[0].startswith("__Host-cg.0=1.short;")
    assert any(line.startswith("__Host-cg.1=; Max-Age=0") for line in lines)
    assert any(line.startswith("__Host-cg.2=; Max-Age=0") for line in lines)
    assert not any(line.startswith("__Host-cg.3") for line in lines)


def test_LO_02_clear_expires_every_chunk_with_same_attributes():
    lines = [h[1].decode() for h in CookieNames(CookiePolicy(secure=True), "cg").clear()]
    assert lines == [f"__Host-cg.{i}=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax; Secure"
                     for i in range(MAX_CHUNKS)]


@pytest.mark.parametrize("values", [
    [None, None], ["2.abc", None], ["2.abc", ""], ["x.abc"], ["9.abc", "d"], ["1"], ["", "x"],
])
def test_missing_or_garbled_chunks_give_no_value(values):
    assert join_chunks(values) is None


async def test_reordered_chunks_fail_authentication():
    codec = SessionCodec((SECRET,), CookiePolicy(secure=True))
    data = SessionData("sid", "i" * 3000, "a" * 3000, secrets.token_urlsafe(3000), 1.0)
    headers = await codec.save(data, 60, {})
    values = [h[1].decode().split(";")[0].split("=", 1)[1] for h in headers]
    assert len(values) >= 2
    assert await codec.load(join_chunks(values) or "") == data
    swapped = [values[0][:2] + values[1], values[0][2:], *values[2:]]
    assert await codec.load(join_chunks(swapped) or "") is None


async def test_session_store_keeps_only_sealed_id_in_cookie():
    store = MemoryStore()
    codec = SessionCodec((SECRET,), CookiePolicy(secure=True), store)
    data = SessionData("sid-1", "i" * 5000, "a" * 5000, "r" * 2000, 1.0)
    headers = await codec.save(data, 60, {})
    assert len(headers) == 1
    assert len(headers[0][1]) < 200
    value = headers[0][1].decode().split(";")[0].split("=", 1)[1]
    assert await codec.load(join_chunks([value]) or "") == data
    await codec.discard(data)
    assert await codec.load(join_chunks([value]) or "") is None


def test_session_json_is_strict():
    assert SessionData.from_json(b"[]") is None
    assert SessionData.from_json(b'{"sid":"s","id":"i","at":"a","rt":5,"t":1}') is None
    assert SessionData.from_json(b'{"sid":"s","id":"i","at":"a","rt":null,"t":true}') is None
    assert SessionData.from_json(b"not json") is None
