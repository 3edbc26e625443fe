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
from collections.abc import Callable, Mapping
from hashlib import sha256
from typing import Any

from joserfc import jws
from joserfc.errors import BadSignatureError, JoseError
from joserfc.jws import JWSRegistry

from .claims import check_access_claims, check_bearer_claims, check_id_claims
from .clock import Clock
from .clockcache import ClockCache
from .compact import Compact, VerifiedClaims, compact
from .errors import TokenRejected
from .jwks import JWKSCache
from .readonly import freeze

__all__ = ["MAX_TOKEN_BYTES", "TokenVerifier", "decode_segment"]

MAX_TOKEN_BYTES = 16 * 1024
_B64URL = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
_REGISTRY = JWSRegistry(algorithms=["RS256"])

Checker = Callable[..., dict[str, Any]]


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # Names interned: the claims of every token share one "cognito:username" (the values a
    # cached token shares with others are shared by ``compact``).
    out = {sys.intern(name): value for name, value in pairs}
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

    Verified claims are cached per exact token, filed by the first 16 bytes of the SHA-256 of the
    token and its use (``ClockCache``, ``cache_size`` entries, 0 disables it), kept compactly
    (``Compact``, shared with every ``User`` built from them), so a repeated token costs a hash,
    a dictionary look-up and rebuilding the read-only claims. An entry lives until ``exp`` +
    leeway, but never longer than the JWKS cache's max age: a token signed with a key since
    removed from the JWKS stops verifying then, however long it is valid (FT-05).
    """

    def __init__(self, *, issuer: str, client_id: str, jwks: JWKSCache, clock: Clock,
                 leeway: int = 60, cache_size: int = 10_000) -> None:
        self.issuer = issuer
        self.client_id = client_id
        self.jwks = jwks
        self.leeway = leeway
        self._clock = clock
        self._cache: ClockCache[Compact] = ClockCache(cache_size)

    @property
    def cache(self) -> ClockCache[Compact]:
        """The verified-claims cache (its size and hit counts are metrics)."""
        return self._cache

    async def verify_id_token(self, token: str, *, from_provider: bool = False) -> dict[str, Any]:
        """Claims of a valid ID token; ``TokenExpired`` if only ``exp`` failed.
        ``from_provider``: straight from the token endpoint (see ``JWKSCache.get_key``)."""
        return await self._verify(token, "id", check_id_claims, from_provider)

    async def verify_access_token(self, token: str, *, from_provider: bool = False,
                                  beside: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Claims of a valid access token; ``TokenExpired`` if only ``exp`` failed. ``beside``:
        the verified claims of the ID token it came with, whose values it shares are then kept
        once (``compact``)."""
        return await self._verify(token, "access", check_access_claims, from_provider, beside)

    async def verify_bearer_token(self, token: str) -> dict[str, Any]:
        """Claims of a valid ``Authorization: Bearer`` access token: one of our client's, or a
        machine's (client credentials, another client of the pool: ``check_bearer_claims``)."""
        return await self._verify(token, "bearer", check_bearer_claims, False)

    async def _verify(self, token: str, use: str, check: Checker, from_provider: bool,
                      beside: Mapping[str, Any] | None = None) -> dict[str, Any]:
        now = self._clock.now()
        if not isinstance(token, str):
            raise TokenRejected("token_too_large")  # as _signed_payload says of it
        # Filed by digest, not by the 1-2 KB token: collision-resistant, so the same exact-token
        # rule, at a fraction of the memory per cached session.
        digest = sha256(use.encode())
        digest.update(b"\0" + token.encode("utf-8", "surrogatepass"))
        key = digest.digest()[:16]
        cached = self._cache.get(key, now)
        if cached is not None:
            return VerifiedClaims(cached.claims(), cached)
        payload = await self._signed_payload(token, from_provider)
        claims: dict[str, Any] = freeze(check(payload, issuer=self.issuer,
                                              client_id=self.client_id, now=now,
                                              leeway=self.leeway))
        entry = compact(key, min(claims["exp"] + self.leeway, now + self.jwks.max_age), claims,
                        beside)
        # The entry kept (an expired one under the same key takes these values), or this one if
        # the cache refused it: a User built from these claims keeps that compact copy.
        return VerifiedClaims(claims, self._cache.put(entry, now) or entry)

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
