"""security-cases.md §A, signatures and headers (IDT-01…IDT-08): the real Local Cognito issues the
bad token (fault switches), and the app must refuse it at every door — the callback (token
response), the refresh response, the session cookie (sealed with the app's own key, i.e. the
layer behind the AEAD) and ``Authorization: Bearer``."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from .expect import (
    bearer_rejected,
    callback,
    cookie_rejected,
    provider_calls,
    rejected_at_callback,
    rejected_on_page,
    signed_in,
)
from .forge import (
    DirectClient,
    bearer,
    flip_signature,
    forge,
    hs256,
    peek,
    plant_session,
    session_of,
)
from .harness import World

NONE_SPELLINGS = ("none", "None", "NONE", "nOnE")
# Claims an attacker would change once the signature no longer matters.
ESCALATE = {"sub": "00000000-0000-0000-0000-000000000000", "cognito:groups": ["admins"]}
TOKEN_FAULTS = ("id_token", "access_token")


def _arm(world: World, slot: str, **fault: Any) -> None:
    world.lc.faults.reset()
    getattr(world.lc.faults, slot)(**fault)


async def _genuine(world: World) -> tuple[str, str, str | None]:
    """A fresh sign-in's (id, access, refresh) tokens, as the app keeps them."""
    await signed_in(world)
    session = await session_of(world)
    assert session is not None
    return session.id_token, session.access_token, session.refresh_token


async def _jwks(world: World, direct: DirectClient) -> list[dict[str, Any]]:
    """The pool's published keys, downloaded as any attacker can."""
    response = await direct.http.get(world.lc.jwks_url)
    keys: list[dict[str, Any]] = response.json()["keys"]
    return keys


def _int(segment: str) -> int:
    return int.from_bytes(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)), "big")


# IDT-01 ──────────────────────────────────────────────────────────────────────────────────────


async def test_IDT_01_unsigned_tokens_from_the_token_endpoint_are_rejected_at_the_callback(
        pool_world: World) -> None:
    for slot in TOKEN_FAULTS:
        for alg in NONE_SPELLINGS:
            _arm(pool_world, slot, sign="none", header={"alg": alg}, claims=ESCALATE)
            response, before = await callback(pool_world)
            await rejected_at_callback(pool_world, response, before, what=f"{slot} alg={alg}")


async def test_IDT_01_unsigned_tokens_in_the_refresh_response_end_the_session(
        pool_world: World) -> None:
    world = pool_world
    for slot in ("refresh_id_token", "access_token"):
        world.lc.faults.reset()
        await signed_in(world)
        getattr(world.lc.faults, slot)(sign="none", header={"alg": "none"}, claims=ESCALATE)
        world.advance(3600)
        before = provider_calls(world)
        rejected_on_page(world, await world.get("/protected"), what=slot)
        assert (provider_calls(world) - before)["/oauth2/token"] == 1, slot


async def test_IDT_01_unsigned_tokens_in_the_cookie_and_the_bearer_header_are_rejected(
        pool_world: World) -> None:
    world = pool_world
    id_token, access_token, refresh_token = await _genuine(world)
    # The planting itself works: the genuine tokens, sealed the same way, are accepted.
    await plant_session(world, id_token=id_token, access_token=access_token,
                        refresh_token=refresh_token)
    assert (await world.get("/protected")).status_code == 200
    assert (await bearer(world, access_token)).status_code == 200
    for alg in NONE_SPELLINGS:
        for signature, how in (("", "empty signature"), (None, "old signature kept")):
            what = f"alg={alg}, {how}"
            bad_id = forge(id_token, header={"alg": alg}, claims=ESCALATE, signature=signature)
            bad_access = forge(access_token, header={"alg": alg}, claims=ESCALATE,
                               signature=signature)
            await cookie_rejected(world, id_token=bad_id, access_token=access_token,
                                  refresh_token=refresh_token, what=f"id {what}")
            await cookie_rejected(world, id_token=id_token, access_token=bad_access,
                                  refresh_token=refresh_token, what=f"access {what}")
            await bearer_rejected(world, bad_access, what=what)


# IDT-02 ──────────────────────────────────────────────────────────────────────────────────────


async def test_IDT_02_hs256_keyed_with_the_public_key_is_rejected_at_the_callback(
        pool_world: World) -> None:
    for slot in TOKEN_FAULTS:
        _arm(pool_world, slot, sign="hs256_public_key", claims=ESCALATE)
        response, before = await callback(pool_world)
        await rejected_at_callback(pool_world, response, before, what=slot)


async def test_IDT_02_hs256_keyed_with_every_encoding_of_the_public_key_is_rejected(
        pool_world: World, direct: DirectClient) -> None:
    world = pool_world
    id_token, access_token, refresh_token = await _genuine(world)
    published = {k["kid"]: k for k in await _jwks(world, direct)}
    secrets: dict[str, Callable[[dict[str, Any]], bytes]] = {
        "PEM (SubjectPublicKeyInfo)": lambda jwk: _public(jwk).public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo),
        "PEM (PKCS#1 RSA PUBLIC KEY)": lambda jwk: _public(jwk).public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.PKCS1),
        "DER": lambda jwk: _public(jwk).public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo),
        "JWK JSON": lambda jwk: json.dumps(jwk).encode(),
        "raw n (base64url text)": lambda jwk: jwk["n"].encode(),
        "raw n (bytes)": lambda jwk: _int(jwk["n"]).to_bytes(256, "big"),
    }
    for name, secret_of in secrets.items():
        forged = {}
        for slot, token in (("id", id_token), ("access", access_token)):
            header, claims = peek(token)
            forged[slot] = hs256(header, {**claims, **ESCALATE},
                                 secret_of(published[header["kid"]]))
        await cookie_rejected(world, id_token=forged["id"], access_token=access_token,
                              refresh_token=refresh_token, what=f"id, {name}")
        await cookie_rejected(world, id_token=id_token, access_token=forged["access"],
                              refresh_token=refresh_token, what=f"access, {name}")
        await bearer_rejected(world, forged["access"], what=name)


def _public(jwk: dict[str, Any]) -> rsa.RSAPublicKey:
    return rsa.RSAPublicNumbers(_int(jwk["e"]), _int(jwk["n"])).public_key()


# IDT-03 ──────────────────────────────────────────────────────────────────────────────────────


async def test_IDT_03_bad_signature_or_an_unpublished_key_is_rejected_at_the_callback(
        pool_world: World) -> None:
    for slot in TOKEN_FAULTS:
        for sign in ("corrupt", "foreign_key"):
            _arm(pool_world, slot, sign=sign)
            response, before = await callback(pool_world)
            await rejected_at_callback(pool_world, response, before, what=f"{slot} {sign}")


async def test_IDT_03_bad_signature_edited_payload_or_foreign_key_in_cookie_and_bearer(
        pool_world: World, direct: DirectClient) -> None:
    world = pool_world
    id_token, access_token, refresh_token = await _genuine(world)
    # (c): Local Cognito signs with an unpublished key but names a real kid.
    world.lc.faults.id_token(sign="foreign_key")
    world.lc.faults.access_token(sign="foreign_key")
    foreign = await direct.tokens(world.client)
    world.lc.faults.reset()
    assert peek(foreign["access_token"])[0]["kid"] == peek(access_token)[0]["kid"]
    variants = {
        "(a) one signature bit flipped": (flip_signature(id_token), flip_signature(access_token)),
        "(b) one payload character changed": (
            forge(id_token, claims={"email": "demo@example.con"}),
            forge(access_token, claims={"username": peek(access_token)[1]["username"] + "x"})),
        "(c) foreign key, real kid": (foreign["id_token"], foreign["access_token"]),
    }
    for what, (bad_id, bad_access) in variants.items():
        await cookie_rejected(world, id_token=bad_id, access_token=access_token,
                              refresh_token=refresh_token, what=f"id {what}")
        await cookie_rejected(world, id_token=id_token, access_token=bad_access,
                              refresh_token=refresh_token, what=f"access {what}")
        await bearer_rejected(world, bad_access, what=what)


# IDT-04 ──────────────────────────────────────────────────────────────────────────────────────


async def test_IDT_04_other_asymmetric_algorithms_are_rejected_at_the_callback(
        pool_world: World) -> None:
    for slot in TOKEN_FAULTS:
        for sign in ("rs384", "ps256", "es256"):
            _arm(pool_world, slot, sign=sign)
            response, before = await callback(pool_world)
            await rejected_at_callback(pool_world, response, before, what=f"{slot} {sign}")


async def test_IDT_04_other_algorithms_are_rejected_on_the_bearer_path(
        pool_world: World, direct: DirectClient) -> None:
    for sign in ("rs384", "ps256", "es256"):
        pool_world.lc.faults.access_token(sign=sign)
        token = (await direct.tokens(pool_world.client))["access_token"]
        pool_world.lc.faults.reset()
        assert peek(token)[0]["alg"] == sign.upper()
        await bearer_rejected(pool_world, token, what=sign)


async def test_IDT_04_a_kid_naming_an_encryption_key_is_not_used_for_verification(
        pool_world: World) -> None:
    """The JWKS also publishes the foreign key as ``use: enc`` (kid ``encryption-key``); a token
    signed by that very key, naming that kid, would verify if the library ignored ``use``."""
    world = pool_world
    for slot in TOKEN_FAULTS:
        world.lc.faults.reset()
        world.lc.faults.jwks(extra_keys=["enc"])
        getattr(world.lc.faults, slot)(sign="foreign_key", header={"kid": "encryption-key"})
        response, before = await callback(world)
        await rejected_at_callback(world, response, before, what=slot)
        jwks = [e for e in world.backchannel if e.path.endswith("/jwks.json")]
        assert jwks, "the JWKS was never fetched"
        assert any(k["kid"] == "encryption-key" for k in jwks[-1].json()["keys"])


# IDT-05 ──────────────────────────────────────────────────────────────────────────────────────


async def test_IDT_05_a_token_without_kid_is_rejected(pool_world: World,
                                                       direct: DirectClient) -> None:
    """Documented rule (core/verify.py): ``kid`` is required, whatever the JWKS holds. Cognito
    always sends one and publishes two keys per pool (case (b)), so the library never tries keys
    in turn; the single-key case (a) is rejected by the same rule. Never a 500."""
    world = pool_world
    for slot in TOKEN_FAULTS:
        _arm(world, slot, remove_header=["kid"])
        response, before = await callback(world)
        await rejected_at_callback(world, response, before, what=slot)
    world.lc.faults.reset()
    keys = await _jwks(world, direct)
    assert len(keys) >= 2  # case (b): the real Cognito shape
    world.lc.faults.access_token(remove_header=["kid"])
    token = (await direct.tokens(world.client))["access_token"]
    world.lc.faults.reset()
    assert "kid" not in peek(token)[0]
    await bearer_rejected(world, token, what="no kid")


# IDT-06 ──────────────────────────────────────────────────────────────────────────────────────


async def test_IDT_06_unknown_kid_costs_one_jwks_refetch_then_a_cooldown(
        pool_world: World, direct: DirectClient) -> None:
    world = pool_world
    jwks_path = f"/{world.lc.pool_id}/.well-known/jwks.json"
    good = (await direct.tokens(world.client))["access_token"]
    assert (await bearer(world, good)).status_code == 200  # the JWKS is now cached
    assert provider_calls(world)[jwks_path] == 1

    hostile = ["kid-the-pool-never-had", "../../../../etc/passwd", "' OR 1=1 --", "k" * 3000]
    minted = []
    for kid in hostile:
        world.lc.faults.access_token(header={"kid": kid})
        minted.append((await direct.tokens(world.client))["access_token"])
    world.lc.faults.reset()

    def jwks_calls() -> int:
        return provider_calls(world)[jwks_path]

    before = jwks_calls()
    await bearer_rejected(world, minted[0], what="unknown kid")
    assert jwks_calls() - before == 1, "an unknown kid must cause exactly one refetch"
    before = jwks_calls()
    for token in minted * 3:  # the same attack and others within the cooldown
        await bearer_rejected(world, token, what="within the cooldown")
    assert jwks_calls() == before, "refetched within the cooldown"

    world.advance(11)  # past the 10 s cooldown: concurrent unknown kids share one refetch
    before = jwks_calls()
    answers = await asyncio.gather(*(bearer(world, t) for t in minted * 5))
    assert {a.status_code for a in answers} == {401}
    assert jwks_calls() - before == 1, "concurrent refetches were not merged"

    # A failed or useless refetch does not replace the cached keys. The unknown kid is still
    # refused: 401, or 503 "try again" since no fetch could confirm it unknown (FT-02).
    for fault in ({"status": 503}, {"status": 200, "body": "html"}):
        world.advance(11)
        world.lc.faults.set("jwks", **fault)
        before = jwks_calls()
        refused = await bearer(world, minted[0])
        assert refused.status_code in (401, 503), f"{fault}: {refused.status_code}"
        assert "sub" not in refused.json()
        assert jwks_calls() - before == 1
        world.lc.faults.reset()
        fresh = (await direct.tokens(world.client))["access_token"]
        answer = await bearer(world, fresh)
        assert answer.status_code == 200, f"cached keys lost after a failed refetch {fault}"


# IDT-08 ──────────────────────────────────────────────────────────────────────────────────────


async def test_IDT_08_key_material_named_in_the_header_is_ignored(pool_world: World) -> None:
    """``jku``/``x5u`` pointing at an attacker (or an internal address) and an embedded
    ``jwk``/``x5c`` of the key that really signed the token: all rejected, and no request goes
    anywhere but the configured JWKS URL (the back-channel recorder is the canary)."""
    world = pool_world
    attacker = world.lc.keys.foreign_key  # the key that signs the forged tokens
    certificate = _self_signed(attacker.private_key)
    x5c = [base64.b64encode(certificate.public_bytes(serialization.Encoding.DER)).decode()]
    headers: dict[str, dict[str, Any]] = {
        "jku": {"jku": "https://canary.attacker.example/jwks.json"},
        "x5u (internal address)": {"x5u": "http://169.254.169.254/latest/meta-data/cert.pem"},
        "jwk": {"jwk": attacker.jwk()},
        "x5c": {"x5c": x5c},
    }
    for name, extra in headers.items():
        for kid, why in ((None, "real kid"), (attacker.kid, "attacker's kid")):
            header = {**extra, **({"kid": kid} if kid else {})}
            _arm(world, "id_token", sign="foreign_key", header=header)
            response, before = await callback(world)
            await rejected_at_callback(world, response, before, what=f"{name}, {why}")
    configured = world.auth.settings.jwks_url
    assert {e.url for e in world.backchannel if "jwks" in e.url} == {configured}
    hosts = {e.url.split("/")[2] for e in world.backchannel}
    assert hosts == {world.lc.base_url.split("/")[2]}, hosts


def _self_signed(key: rsa.RSAPrivateKey) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "attacker")])
    now = datetime.now(UTC)
    return (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(1)
            .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=1))
            .sign(key, hashes.SHA256()))


async def test_IDT_08_header_key_material_is_not_fetched_even_on_a_genuine_token(
        pool_world: World, direct: DirectClient) -> None:
    """Signed by the pool's real key but carrying ``jku``/``x5u``: the header is ignored for key
    selection, so the token verifies against the configured JWKS and the canary gets nothing.
    A ``crit`` header the library does not implement is refused (RFC 7515 §4.1.11)."""
    world = pool_world
    canary = "https://canary.attacker.example/jwks.json"
    world.lc.faults.access_token(header={"jku": canary, "x5u": canary})
    token = (await direct.tokens(world.client))["access_token"]
    world.lc.faults.reset()
    assert peek(token)[0]["jku"] == canary
    assert (await bearer(world, token)).status_code == 200
    assert all("canary" not in e.url for e in world.backchannel)
    world.lc.faults.access_token(header={"crit": ["exp"]})
    critical = (await direct.tokens(world.client))["access_token"]
    world.lc.faults.reset()
    await bearer_rejected(world, critical, what="crit")


async def test_hostile_kid_values_are_only_looked_up_in_the_configured_jwks(
        pool_world: World) -> None:
    """Appendix B "a hostile kid": path traversal, SQL, a URL, a huge or non-string kid — a
    dictionary key, never a path, query or address; no 500, no request but the JWKS URL."""
    world = pool_world
    hostile: list[object] = ["../../../../etc/passwd", "' OR '1'='1", "https://attacker.example/k",
                             "k" * 5000, 42, None, ["a", "b"], {"kid": "x"}, ""]
    for kid in hostile:
        for slot in TOKEN_FAULTS:
            if kid is None:
                _arm(world, slot, remove_header=["kid"])
            else:
                _arm(world, slot, header={"kid": kid})
            response, before = await callback(world)
            await rejected_at_callback(world, response, before, what=f"{slot} kid={kid!r:.40}")
    assert {e.url for e in world.backchannel if e.method == "GET"} == {
        world.auth.settings.jwks_url}


async def test_a_crit_header_is_refused_at_the_callback(pool_world: World) -> None:
    """RFC 7515 §4.1.11: a token naming critical extensions the library does not implement is
    refused, even though Local Cognito signed it with the real key."""
    for slot in TOKEN_FAULTS:
        _arm(pool_world, slot, header={"crit": ["exp"], "exp": 1})
        response, before = await callback(pool_world)
        await rejected_at_callback(pool_world, response, before, what=slot)
