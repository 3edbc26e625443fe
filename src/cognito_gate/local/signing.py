"""Compact JWS signing, assembled by hand: real tokens are RS256 (PKCS#1 v1.5, SHA-256) signed
with ``cryptography`` — byte for byte what joserfc would produce, one code path for real and
broken tokens alike — and the fault switches produce what a JOSE library refuses to
(``alg: none``, HS256 keyed with the public key, foreign keys, hostile headers)."""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, utils

from .faults import TokenFault
from .keys import SigningKey

__all__ = ["b64url", "sign_jwt"]


_COMPACT = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)  # made once, not per call
_PKCS1, _SHA256 = padding.PKCS1v15(), hashes.SHA256()


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _payload(claims: dict[str, Any]) -> bytes:
    return _COMPACT.encode(claims).encode()


@functools.lru_cache(maxsize=64)
def _rs256_header(kid: str) -> str:
    """The encoded header of a real token: the same for every token a key signs."""
    return b64url(_payload({"kid": kid, "alg": "RS256"}))


def sign_jwt(
    claims: dict[str, Any], key: SigningKey, fault: TokenFault | None, foreign: SigningKey
) -> str:
    """Sign ``claims`` with ``key`` as Cognito does, or break it the way ``fault`` says."""
    sign = None if fault is None else fault.sign
    if fault is None or (sign is None and not fault.header and not fault.remove_header):
        encoded_header = _rs256_header(key.kid)
    else:
        alg = {
            "none": "none",
            "hs256_public_key": "HS256",
            "es256": "ES256",
            "ps256": "PS256",
            "rs384": "RS384",
        }.get(sign or "", "RS256")
        header: dict[str, Any] = {"kid": key.kid, "alg": alg, **fault.header}
        for name in fault.remove_header:
            header.pop(name, None)
        encoded_header = b64url(_payload(header))
    signing_input = f"{encoded_header}.{b64url(_payload(claims))}".encode()
    signature = _signature(signing_input, sign, key, foreign)
    return f"{signing_input.decode()}.{b64url(signature)}"


def _signature(data: bytes, sign: str | None, key: SigningKey, foreign: SigningKey) -> bytes:
    if sign == "none":
        return b""
    if sign == "hs256_public_key":
        return hmac.new(key.public_pem, data, hashlib.sha256).digest()
    if sign == "es256":
        ec_key = ec.generate_private_key(ec.SECP256R1())
        r, s = utils.decode_dss_signature(ec_key.sign(data, ec.ECDSA(hashes.SHA256())))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")
    if sign == "ps256":
        pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
        return key.private_key.sign(data, pss, _SHA256)
    if sign == "rs384":
        return key.private_key.sign(data, padding.PKCS1v15(), hashes.SHA384())
    signer = foreign if sign == "foreign_key" else key
    signature = signer.private_key.sign(data, _PKCS1, _SHA256)
    if sign == "corrupt":
        return bytes([signature[0] ^ 0xFF]) + signature[1:-1] + bytes([signature[-1] ^ 0x01])
    return signature
