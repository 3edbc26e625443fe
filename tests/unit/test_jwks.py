"""JWKS cache: single-flight, cooldown, stale-if-error, max age, unusable keys (IDT-06/22, FT-*)."""

from __future__ import annotations

import asyncio
import base64

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from joserfc.jwk import RSAKey

from cognito_gate import ManualClock, ProviderUnavailable, TokenRejected
from cognito_gate.core.jwks import JWKSCache, usable_keys
from conftest import ISSUER, FakeCognito, jwks_document

URL = f"{ISSUER}/.well-known/jwks.json"


@pytest.fixture
def cache(http: httpx.AsyncClient, clock: ManualClock) -> JWKSCache:
    return JWKSCache(URL, http, clock, max_age=3600, stale_max=86400, cooldown=10)


async def test_fetched_lazily_once(cache: JWKSCache, cognito: FakeCognito):
    assert cognito.requests["jwks"] == 0
    await cache.get_key("k1")
    await cache.get_key("k2")
    assert cognito.requests["jwks"] == 1


async def test_IDT_06_concurrent_unknown_kids_share_one_fetch(cache: JWKSCache,
                                                             cognito: FakeCognito):
    results = await asyncio.gather(*(cache.get_key("nope") for _ in range(20)),
                                   return_exceptions=True)
    assert all(isinstance(r, TokenRejected) for r in results)
    assert cognito.requests["jwks"] == 1


async def test_FT_01_cold_start_with_jwks_down_is_unavailable_then_recovers(
    cache: JWKSCache, cognito: FakeCognito, clock: ManualClock
):
    cognito.jwks_status = 503
    with pytest.raises(ProviderUnavailable):
        await cache.get_key("k1")
    with pytest.raises(ProviderUnavailable):
        await cache.get_key("k1")
    assert cognito.requests["jwks"] == 1  # backed off
    cognito.jwks_status = 200
    clock.advance(11)
    assert await cache.get_key("k1")


async def test_FT_02_stale_if_error_then_fail_closed(cache: JWKSCache, cognito: FakeCognito,
                                                    clock: ManualClock):
    await cache.get_key("k1")
    cognito.jwks_status = 500
    clock.advance(3600 + 1)
    assert await cache.get_key("k1")  # stale copy served
    with pytest.raises(ProviderUnavailable):  # not accepted, but no fetch could say it is bad
        await cache.get_key("k9")
    fetches = cognito.requests["jwks"]
    assert await cache.get_key("k1")
    assert cognito.requests["jwks"] == fetches  # refetches back off
    clock.advance(86400)
    with pytest.raises(ProviderUnavailable):
        await cache.get_key("k1")


async def test_FT_05_removed_key_stops_verifying_after_max_age(
    cache: JWKSCache, cognito: FakeCognito, clock: ManualClock
):
    await cache.get_key("k1")
    cognito.kids = ["k2", "k3"]
    clock.advance(3601)
    with pytest.raises(TokenRejected):
        await cache.get_key("k1")
    assert await cache.get_key("k3")


async def test_FT_05_rotation_new_kid_found_after_one_refetch(cache: JWKSCache,
                                                             cognito: FakeCognito):
    await cache.get_key("k1")
    cognito.kids = ["k1", "k3"]
    assert await cache.get_key("k3")
    assert cognito.requests["jwks"] == 2


async def test_failed_fetch_never_replaces_cache(cache: JWKSCache, cognito: FakeCognito,
                                                 clock: ManualClock):
    await cache.get_key("k1")
    cognito.kids = []  # a JWKS without usable keys counts as a failure
    clock.advance(11)
    with pytest.raises(ProviderUnavailable):
        await cache.get_key("k7")
    assert await cache.get_key("k1")


async def test_FT_02_unknown_kid_while_backing_off_is_unavailable_not_rejected(
    cache: JWKSCache, cognito: FakeCognito, clock: ManualClock
):
    """A rotation seen while the JWKS is down must not end the session refreshed into it."""
    await cache.get_key("k1")
    cognito.jwks_status = 503
    clock.advance(11)
    with pytest.raises(ProviderUnavailable):
        await cache.get_key("k3")  # the refetch failed
    with pytest.raises(ProviderUnavailable):
        await cache.get_key("k3")  # backing off: no fetch, still no verdict
    cognito.jwks_status = 200
    cognito.kids = ["k1", "k3"]
    clock.advance(3600)
    assert await cache.get_key("k3")


def test_IDT_22_a_real_rsa_key_under_2048_bits_is_skipped():
    """A genuine 1024-bit key parses fine (the "small" key below does not): only the 2048-bit
    floor refuses it, and the 2048-bit key next to it is used."""
    weak = RSAKey.import_key(rsa.generate_private_key(65537, 1024).public_key())
    doc = jwks_document("k1")
    doc["keys"].append({**weak.as_dict(private=False), "kid": "weak", "alg": "RS256",
                        "use": "sig"})
    assert set(usable_keys(doc)) == {"k1"}


def test_IDT_22_unusable_keys_skipped():
    doc = jwks_document("k1")
    doc["keys"] += [
        {"kty": "AKP", "kid": "pq", "alg": "ML-DSA-65", "pub": "xx"},
        {"kty": "RSA", "kid": "enc", "use": "enc", "n": "AQAB", "e": "AQAB"},
        {"kty": "RSA", "kid": "broken", "n": "!!", "e": "AQAB"},
        {"kty": "RSA", "kid": "small", "n": "AQAB", "e": "AQAB"},
        {"kty": "RSA", "kid": "ps", "alg": "PS256", "n": "AQAB", "e": "AQAB"},
        {"kty": "RSA", "n": "AQAB", "e": "AQAB"},
        "garbage",
    ]
    assert set(usable_keys(doc)) == {"k1"}
    assert usable_keys([]) == {}
    assert usable_keys({"keys": "x"}) == {}


def _b64(number: int) -> str:
    return base64.urlsafe_b64encode(
        number.to_bytes((number.bit_length() + 7) // 8, "big")).rstrip(b"=").decode()


def test_jwks_keys_with_malformed_or_oversized_parameters_are_skipped_not_raised():
    """A hostile JWKS: non-string or non-base64url ``n``/``e``, a 9,001-bit modulus (every
    verification with it would be slow), a huge exponent. Skipped, never an exception."""
    doc = jwks_document("k1")
    doc["keys"] += [
        {"kty": "RSA", "kid": "n-int", "n": 12345, "e": "AQAB"},
        {"kty": "RSA", "kid": "e-list", "n": doc["keys"][0]["n"], "e": ["AQAB"]},
        {"kty": "RSA", "kid": "n-b64-std", "n": doc["keys"][0]["n"] + "+/=", "e": "AQAB"},
        {"kty": "RSA", "kid": "huge", "n": _b64(2**9000 + 1), "e": "AQAB"},
        {"kty": "RSA", "kid": "big-e", "n": doc["keys"][0]["n"], "e": _b64(2**4000 + 1)},
        {"kty": "RSA", "kid": "nested", "n": {"n": "x"}, "e": "AQAB"},
    ]
    assert set(usable_keys(doc)) == {"k1"}
