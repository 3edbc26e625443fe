"""JWT verification: section A of security-cases.md (IDT-*) at unit level."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import httpx
import pytest
from joserfc.jwk import ECKey, RSAKey

from cognito_gate import ManualClock, TokenExpired, TokenRejected
from cognito_gate.core.claims import check_at_hash, check_same_session
from cognito_gate.core.jwks import JWKSCache
from cognito_gate.core.verify import TokenVerifier
from conftest import (
    CLIENT_ID,
    ISSUER,
    FakeCognito,
    access_claims,
    b64,
    id_claims,
    raw_token,
    rsa_key,
    sign,
)


@pytest.fixture
def verifier(http: httpx.AsyncClient, clock: ManualClock) -> TokenVerifier:
    jwks = JWKSCache(f"{ISSUER}/.well-known/jwks.json", http, clock)
    return TokenVerifier(issuer=ISSUER, client_id=CLIENT_ID, jwks=jwks, clock=clock, leeway=60)


async def reject(verifier: TokenVerifier, token: str, reason: str, *, use: str = "id") -> None:
    check = verifier.verify_id_token if use == "id" else verifier.verify_access_token
    with pytest.raises(TokenRejected) as info:
        await check(token)
    assert info.value.reason == reason
    assert not isinstance(info.value, TokenExpired) or reason == "expired"


async def test_valid_id_and_access_tokens_pass(verifier: TokenVerifier, clock: ManualClock):
    claims = await verifier.verify_id_token(sign(id_claims(clock.now())))
    assert claims["sub"] == "user-1"
    access = await verifier.verify_access_token(sign(access_claims(clock.now()), kid="k2"))
    assert access["client_id"] == CLIENT_ID


@pytest.mark.parametrize("alg", ["none", "None", "NONE", "nOnE"])
async def test_IDT_01_alg_none_rejected(verifier: TokenVerifier, clock: ManualClock, alg: str):
    good = sign(id_claims(clock.now()))
    forged_claims = id_claims(clock.now(), sub="admin")
    header = {"alg": alg, "kid": "k1"}
    await reject(verifier, raw_token(header, forged_claims, b""), "alg_not_allowed")
    kept_sig = raw_token(header, forged_claims) [: -4] + good.split(".")[2][-4:]
    await reject(verifier, kept_sig, "alg_not_allowed")


async def test_IDT_02_hs256_signed_with_public_key_rejected(
    verifier: TokenVerifier, clock: ManualClock
):
    public_pem = rsa_key("k1").as_pem(private=False)
    header = b64(json.dumps({"alg": "HS256", "kid": "k1"}).encode())
    payload = b64(json.dumps(id_claims(clock.now())).encode())
    for secret in (public_pem, json.dumps(rsa_key("k1").as_dict(private=False)).encode()):
        mac = hmac.new(secret, f"{header}.{payload}".encode(), hashlib.sha256).digest()
        await reject(verifier, f"{header}.{payload}.{b64(mac)}", "alg_not_allowed")


async def test_IDT_03_bad_signature_and_wrong_key_rejected(
    verifier: TokenVerifier, clock: ManualClock
):
    token = sign(id_claims(clock.now()))
    head, body, sig = token.split(".")
    raw = bytearray(base64.urlsafe_b64decode(sig + "=="))
    raw[10] ^= 1
    await reject(verifier, f"{head}.{body}.{b64(bytes(raw))}", "signature_invalid")
    other_body = b64(json.dumps(id_claims(clock.now(), sub="admin")).encode())
    await reject(verifier, f"{head}.{other_body}.{sig}", "signature_invalid")
    attacker = RSAKey.generate_key(2048)
    await reject(verifier, sign(id_claims(clock.now()), kid="k1", key=attacker),
                 "signature_invalid")


@pytest.mark.parametrize("alg", ["RS384", "RS512", "PS256"])
async def test_IDT_04_other_rsa_algorithms_rejected(
    verifier: TokenVerifier, clock: ManualClock, alg: str
):
    await reject(verifier, sign(id_claims(clock.now()), alg=alg), "alg_not_allowed")


async def test_IDT_04_es256_rejected(verifier: TokenVerifier, clock: ManualClock):
    ec = ECKey.generate_key("P-256")
    await reject(verifier, sign(id_claims(clock.now()), kid="k1", key=ec, alg="ES256"),  # type: ignore[arg-type]
                 "alg_not_allowed")


async def test_IDT_05_missing_kid_rejected(verifier: TokenVerifier, clock: ManualClock):
    await reject(verifier, sign(id_claims(clock.now()), kid=None, key=rsa_key("k1")),
                 "kid_missing")


async def test_IDT_06_unknown_kid_refetches_once_then_rejects(
    verifier: TokenVerifier, clock: ManualClock, cognito: FakeCognito
):
    await verifier.verify_id_token(sign(id_claims(clock.now())))
    assert cognito.requests["jwks"] == 1
    clock.advance(11)
    stranger = sign(id_claims(clock.now()), kid="k9", key=rsa_key("k9"))
    await reject(verifier, stranger, "kid_unknown")
    assert cognito.requests["jwks"] == 2
    await reject(verifier, stranger, "kid_unknown")
    assert cognito.requests["jwks"] == 2  # within the cooldown: no further fetch


@pytest.mark.parametrize("field", ["jku", "x5u", "jwk"])
async def test_IDT_08_key_material_in_header_ignored(
    verifier: TokenVerifier, clock: ManualClock, cognito: FakeCognito, field: str
):
    attacker = RSAKey.generate_key(2048)
    value: Any = "https://evil.example/jwks.json"
    if field == "jwk":
        value = attacker.as_dict(private=False)
    token = sign(id_claims(clock.now()), kid="k1", key=attacker, header={field: value})
    with pytest.raises(TokenRejected) as info:
        await verifier.verify_id_token(token)
    assert info.value.reason in ("signature_invalid", "token_malformed")
    assert set(cognito.requests) == {"jwks"}  # no request to the URL named in the header


async def test_crit_header_rejected(verifier: TokenVerifier, clock: ManualClock):
    token = raw_token({"alg": "RS256", "kid": "k1", "crit": ["exp"], "exp": 1},
                      id_claims(clock.now()))
    await reject(verifier, token, "crit_unsupported")


@pytest.mark.parametrize("iss", [
    "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_OTHER",
    ISSUER + "/", ISSUER.replace("https", "http"), ISSUER.upper(), ISSUER + "x", ISSUER[:-1],
    ISSUER.replace("cognito-idp", "issuer-cognito-idp"), None, "", ["x"],
])
async def test_IDT_10_issuer_must_match_exactly(verifier: TokenVerifier, clock: ManualClock,
                                                iss: Any):
    await reject(verifier, sign(id_claims(clock.now(), iss=iss)), "iss_mismatch")


@pytest.mark.parametrize("aud", ["other-client", [CLIENT_ID, "evil"], ..., None, [], 5])
async def test_IDT_11_id_token_audience(verifier: TokenVerifier, clock: ManualClock, aud: Any):
    await reject(verifier, sign(id_claims(clock.now(), aud=aud)), "aud_mismatch")


async def test_IDT_11_audience_list_of_only_us_accepted(verifier: TokenVerifier,
                                                        clock: ManualClock):
    await verifier.verify_id_token(sign(id_claims(clock.now(), aud=[CLIENT_ID])))


@pytest.mark.parametrize(("claim", "reason"), [
    ("sub", "sub_missing"), ("iat", "iat_invalid"), ("exp", "exp_invalid"), ("iss", "iss_mismatch"),
])
@pytest.mark.parametrize("value", [..., "", None])
async def test_IDT_12_required_claims(verifier: TokenVerifier, clock: ManualClock, claim: str,
                                      reason: str, value: Any):
    await reject(verifier, sign(id_claims(clock.now(), **{claim: value})), reason)


async def test_IDT_13_expiry_leeway_boundaries(verifier: TokenVerifier, clock: ManualClock):
    now = clock.now()
    await verifier.verify_id_token(sign(id_claims(now, iat=now - 3600, exp=now - 30)))
    with pytest.raises(TokenExpired) as info:
        await verifier.verify_id_token(sign(id_claims(now, iat=now - 3600, exp=now - 61)))
    assert info.value.claims["sub"] == "user-1"
    await reject(verifier, sign(id_claims(now, nbf=now + 120)), "nbf_in_future")
    await verifier.verify_id_token(sign(id_claims(now, nbf=now + 30)))


@pytest.mark.parametrize("exp", ["9999999999", True, 1e300, float("inf"), -5, [1]])
async def test_IDT_13_exp_strict_types(verifier: TokenVerifier, clock: ManualClock, exp: Any):
    token = sign(id_claims(clock.now(), exp=exp)) if exp != float("inf") else \
        raw_token({"alg": "RS256", "kid": "k1"}, {})
    with pytest.raises(TokenRejected) as info:
        await verifier.verify_id_token(token)
    assert info.value.reason in ("exp_invalid", "signature_invalid")


async def test_FT_11_iat_one_second_ahead_accepted_two_minutes_rejected(
    verifier: TokenVerifier, clock: ManualClock
):
    now = clock.now()
    await verifier.verify_id_token(sign(id_claims(now, iat=now + 1)))
    await reject(verifier, sign(id_claims(now, iat=now + 120)), "iat_in_future")


async def test_IDT_16_token_use_swap(verifier: TokenVerifier, clock: ManualClock):
    now = clock.now()
    await reject(verifier, sign(access_claims(now), kid="k2"), "token_use_mismatch")
    await reject(verifier, sign(id_claims(now)), "token_use_mismatch", use="access")
    await reject(verifier, sign(id_claims(now, token_use=...)), "token_use_mismatch")
    await reject(verifier, sign(id_claims(now, token_use="refresh")), "token_use_mismatch")


async def test_IDT_17_access_token_of_another_client(verifier: TokenVerifier,
                                                     clock: ManualClock):
    token = sign(access_claims(clock.now(), client_id="other"), kid="k2")
    await reject(verifier, token, "client_id_mismatch", use="access")


def test_IDT_18_tokens_of_different_sessions_refused():
    check_same_session({"sub": "a", "origin_jti": "o"}, {"sub": "a", "origin_jti": "o"})
    for access in ({"sub": "b", "origin_jti": "o"}, {"sub": "a", "origin_jti": "p"},
                   {"sub": "a"}):
        with pytest.raises(TokenRejected):
            check_same_session({"sub": "a", "origin_jti": "o"}, access)


def test_IDT_19_at_hash():
    token = "header.payload.sig"
    good = b64(hashlib.sha256(token.encode()).digest()[:16])
    check_at_hash({"at_hash": good}, token)
    check_at_hash({}, token)
    with pytest.raises(TokenRejected):
        check_at_hash({"at_hash": good}, token + "x")


@pytest.mark.parametrize(("token", "reason"), [
    ("a.b", "token_malformed"), ("a.b.c.d", "token_malformed"),
    ("a.b.c.d.e", "token_encrypted"), ("x" * 100_000, "token_too_large"),
    ("!!!.e30.c2ln", "token_malformed"), ("eyJhbGciOiJSUzI1NiJ9=.e30.c2ln", "token_malformed"),
    (b64(b"not json") + ".e30.c2ln", "token_malformed"),
    (b64(b"[1,2]") + ".e30.c2ln", "token_malformed"),
    (b64(b'{"alg":"RS256","alg":"RS256","kid":"k1"}') + ".e30.c2ln", "token_malformed"),
    (" " + b64(b'{"alg":"RS256","kid":"k1"}') + ".e30.c2ln", "token_malformed"),
])
async def test_IDT_21_malformed_tokens(verifier: TokenVerifier, token: str, reason: str):
    await reject(verifier, token, reason)


async def test_IDT_21_duplicate_claims_rejected(verifier: TokenVerifier, clock: ManualClock):
    from joserfc import jws

    payload = json.dumps(id_claims(clock.now()))[:-1] + ', "sub": "admin"}'
    token = jws.serialize_compact({"alg": "RS256", "kid": "k1"}, payload.encode(), rsa_key("k1"))
    await reject(verifier, token, "token_malformed")


async def test_claims_cache_spares_the_signature_check(verifier: TokenVerifier,
                                                       clock: ManualClock, monkeypatch):
    token = sign(id_claims(clock.now()))
    first = await verifier.verify_id_token(token)
    monkeypatch.setattr(verifier, "_signed_payload", None)  # any call would now fail
    again = await verifier.verify_id_token(token)
    assert again == first
    assert type(again) is type(first)
    assert again.compact is first.compact  # one kept copy, shared with every User of it
    with pytest.raises(TypeError):
        again["sub"] = "someone else"  # read-only, as when verified
    clock.advance(3600 + 61)
    with pytest.raises(TypeError):
        await verifier.verify_id_token(token)  # entry expired with the token: re-verified


async def test_claims_cache_size_zero_verifies_every_time(http, clock: ManualClock):
    jwks = JWKSCache(f"{ISSUER}/.well-known/jwks.json", http, clock)
    verifier = TokenVerifier(issuer=ISSUER, client_id=CLIENT_ID, jwks=jwks, clock=clock,
                             cache_size=0)
    token = sign(id_claims(clock.now()))
    assert await verifier.verify_id_token(token) is not await verifier.verify_id_token(token)


async def test_claims_cache_keeps_a_digest_not_the_token_and_a_changed_byte_misses(
        verifier: TokenVerifier, clock: ManualClock):
    token = sign(id_claims(clock.now()))
    await verifier.verify_id_token(token)
    (key,) = (entry.key for entry in verifier._cache.values())
    assert isinstance(key, bytes)
    assert len(key) == 16
    flipped = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    await reject(verifier, flipped, "signature_invalid")


async def test_a_non_string_token_is_refused_cleanly(verifier: TokenVerifier):
    with pytest.raises(TokenRejected):
        await verifier.verify_access_token(b"not.a.str")  # type: ignore[arg-type]
