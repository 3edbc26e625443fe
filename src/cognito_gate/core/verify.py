"""JWT verification for Cognito tokens, and the verified-claims cache that spares the hot path RSA.

Order of work: size cap and shape (3 segments; a 5-segment JWE is refused unread) → strict header
(``alg`` exactly RS256, no ``crit``, ``kid`` required; ``jku``/``x5u``/``jwk``/``x5c`` ignored) →
key from the configured JWKS only → RS256 signature by joserfc with the algorithm list pinned →
strict JSON payload → claims. Nothing is ever trusted before the signature has been checked.

Decision (IDT-05): a token without ``kid`` is rejected. Cognito always sends one and publishes two
keys per pool, so "try every key" would only widen the attack surface.
"""

from __future__ import annotations

import base64
import binascii
import json
import sys
from collections.abc import Callable
from hashlib import sha256
from typing import Any

from joserfc import jws
from joserfc.errors import BadSignatureError, JoseError
from joserfc.jws import JWSRegistry

from .claims import check_access_claims, check_bearer_claims, check_id_claims
from .clock import Clock
from .errors import TokenRejected
from .jwks import JWKSCache
from .readonly import freeze
from .ttlcache import ExpiringLRU

__all__ = ["MAX_TOKEN_BYTES", "TokenVerifier", "decode_segment"]

MAX_TOKEN_BYTES = 16 * 1024
_B64URL = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
_REGISTRY = JWSRegistry(algorithms=["RS256"])

Checker = Callable[..., dict[str, Any]]


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # Names and string values interned: the claims of every cached token share one
    # "cognito:username" and one issuer, and a session's two tokens share one sub, username &c.
    # (interned strings are still freed when no longer used).
    out = {sys.intern(name): sys.intern(value) if type(value) is str else value
           for name, value in pairs}
    if len(out) != len(pairs):
        raise ValueError("duplicate member")
    return out


def decode_segment(segment: str) -> dict[str, Any]:
    """Strict base64url (no padding, no whitespace) JSON object with no duplicate members."""
    if not segment or not set(segment) <= _B64URL or len(segment) % 4 == 1:
        raise TokenRejected("token_malformed")
    try:
        raw = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
        value = json.loads(raw, object_pairs_hook=_no_duplicates)
    except (binascii.Error, ValueError, RecursionError):
        raise TokenRejected("token_malformed") from None
    if not isinstance(value, dict):
        raise TokenRejected("token_malformed")
    return value


class TokenVerifier:
    """Verifies ID and access tokens of one user pool + app client.

    Verified claims are cached per exact token, filed by its SHA-256 (bounded LRU, ``cache_size``
    entries, 0 disables it), so a repeated token costs a hash and a dictionary look-up; they are
    read-only (frozen once, when verified), since every request with that token shares them. An
    entry lives until ``exp`` + leeway, but never longer than the JWKS cache's max age: a token
    signed with a key since removed from the JWKS stops verifying then, however long it is valid
    (FT-05).
    """

    def __init__(self, *, issuer: str, client_id: str, jwks: JWKSCache, clock: Clock,
                 leeway: int = 60, cache_size: int = 10_000) -> None:
        self.issuer = issuer
        self.client_id = client_id
        self.jwks = jwks
        self.leeway = leeway
        self._clock = clock
        self._cache: ExpiringLRU[tuple[str, bytes], dict[str, Any]] = ExpiringLRU(
            cache_size, clock.now)

    @property
    def cache(self) -> ExpiringLRU[tuple[str, bytes], dict[str, Any]]:
        """The verified-claims cache (its size and hit counts are metrics)."""
        return self._cache

    async def verify_id_token(self, token: str, *, from_provider: bool = False) -> dict[str, Any]:
        """Claims of a valid ID token; ``TokenExpired`` if only ``exp`` failed.
        ``from_provider``: straight from the token endpoint (see ``JWKSCache.get_key``)."""
        return await self._verify(token, "id", check_id_claims, from_provider)

    async def verify_access_token(self, token: str, *,
                                  from_provider: bool = False) -> dict[str, Any]:
        """Claims of a valid access token; ``TokenExpired`` if only ``exp`` failed."""
        return await self._verify(token, "access", check_access_claims, from_provider)

    async def verify_bearer_token(self, token: str) -> dict[str, Any]:
        """Claims of a valid ``Authorization: Bearer`` access token: one of our client's, or a
        machine's (client credentials, another client of the pool: ``check_bearer_claims``)."""
        return await self._verify(token, "bearer", check_bearer_claims, False)

    async def _verify(self, token: str, use: str, check: Checker,
                      from_provider: bool) -> dict[str, Any]:
        now = self._clock.now()
        if not isinstance(token, str):
            raise TokenRejected("token_too_large")  # as _signed_payload says of it
        # Filed by digest, not by the 1-2 KB token: collision-resistant, so the same exact-token
        # rule, at a fraction of the memory per cached session.
        key = (use, sha256(token.encode("utf-8", "surrogatepass")).digest())
        cached = self._cache.get(key, now)
        if cached is not None:
            return cached
        payload = await self._signed_payload(token, from_provider)
        claims: dict[str, Any] = freeze(check(payload, issuer=self.issuer,
                                              client_id=self.client_id, now=now,
                                              leeway=self.leeway))
        self._cache.put(key, claims, min(claims["exp"] + self.leeway, now + self.jwks.max_age))
        return claims

    async def _signed_payload(self, token: str, from_provider: bool) -> dict[str, Any]:
        """The payload of a correctly RS256-signed JWS from our JWKS (IDT-01..08, IDT-21)."""
        if not isinstance(token, str) or len(token) > MAX_TOKEN_BYTES:
            raise TokenRejected("token_too_large")
        segments = token.split(".")
        if len(segments) == 5:
            raise TokenRejected("token_encrypted")
        if len(segments) != 3:
            raise TokenRejected("token_malformed")
        header = decode_segment(segments[0])
        if header.get("alg") != "RS256":
            raise TokenRejected("alg_not_allowed")
        if "crit" in header:
            raise TokenRejected("crit_unsupported")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise TokenRejected("kid_missing")
        public_key = await self.jwks.get_key(kid, from_provider=from_provider)
        try:
            jws.deserialize_compact(token, public_key, registry=_REGISTRY)
        except BadSignatureError:
            raise TokenRejected("signature_invalid") from None
        except (JoseError, ValueError, TypeError):
            raise TokenRejected("token_malformed") from None
        return decode_segment(segments[1])
