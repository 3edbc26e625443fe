"""JWKS cache: keys only from the configured URL, fetched lazily and kept fresh.

* unknown ``kid`` → one refetch, merged across concurrent callers (single-flight); a refetch that
  still lacks the kid starts a cooldown, so a flood of forged kids costs at most one request per
  cooldown (IDT-06, FT-06) while a real rotation is picked up at once (FT-05). Tokens straight
  from the token endpoint have a cooldown of their own: one forged ``Authorization: Bearer``
  cannot starve the refetch a real rotation needs (whose refreshed tokens would otherwise fail);
* a failed or useless fetch never replaces the cache; cached keys are served stale for up to
  ``stale_max`` while the endpoint is down (FT-02), and refetches back off (cooldown, doubling,
  at most 30 s apart, so users holding a newly rotated key get their 503s for seconds, not
  minutes, after the endpoint recovers);
* after ``max_age`` the set is refetched, so a key removed from the JWKS stops verifying (FT-05);
* no keys at all and the endpoint down → ``ProviderUnavailable`` (503), never acceptance (FT-01);
  so is a kid the cached set lacks while no fetch can confirm it is unknown (FT-02).
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from typing import Any

import httpx
from joserfc.errors import JoseError
from joserfc.jwk import RSAKey

from .clock import Clock
from .errors import ProviderUnavailable, TokenRejected
from .provider import Observer, call, json_body, unavailable, unobserved
from .tokens import deadline_for

__all__ = ["JWKSCache", "usable_keys"]

log = logging.getLogger("cognito_gate.jwks")

_MIN_RSA_BITS, _MAX_RSA_BITS = 2048, 8192  # Cognito's are 2048; a huge key makes every check slow
_MAX_N, _MAX_E = 1366, 8  # base64url characters of an 8192-bit modulus, of a 48-bit exponent
_B64URL = re.compile(r"[A-Za-z0-9_-]+")
_MAX_BACKOFF = 30.0  # recovery seen within 30 s; at most two fetches a minute while down


def usable_keys(document: Any) -> dict[str, RSAKey]:
    """RS256 signing keys by kid; anything else is skipped with a log line, not fatal (IDT-22).

    A JWK is used only if ``kty`` is RSA, any declared ``alg`` is RS256, any declared ``use`` is
    ``sig``, it has a kid, its ``n`` and ``e`` are base64url strings of sane length, and it
    parses as a public RSA key of 2048 to 8192 bits.
    """
    keys: dict[str, RSAKey] = {}
    entries = document.get("keys") if isinstance(document, dict) else None
    for entry in entries if isinstance(entries, list) else ():
        kid = entry.get("kid") if isinstance(entry, dict) else None
        if not isinstance(entry, dict) or not isinstance(kid, str) or not kid:
            log.info("jwks: skipped a key without a kid")
            continue
        if (entry.get("kty") != "RSA" or entry.get("alg", "RS256") != "RS256"
                or entry.get("use", "sig") != "sig"):
            log.info("jwks: skipped key %r (not an RS256 signing key)", kid[:40])
            continue
        n, e = entry.get("n"), entry.get("e")
        if not (isinstance(n, str) and isinstance(e, str) and len(n) <= _MAX_N
                and len(e) <= _MAX_E and _B64URL.fullmatch(n) and _B64URL.fullmatch(e)):
            log.info("jwks: skipped key %r (malformed n or e)", kid[:40])
            continue
        public: dict[str, str | list[str]] = {"kty": "RSA", "n": n, "e": e, "kid": kid}
        try:
            key = RSAKey.import_key(public)
            bits = key.public_key.key_size
        except (JoseError, ValueError, TypeError, KeyError):
            log.info("jwks: skipped key %r (broken RSA parameters)", kid[:40])
            continue
        if not _MIN_RSA_BITS <= bits <= _MAX_RSA_BITS:
            log.info("jwks: skipped key %r (RSA key of %d bits)", kid[:40], bits)
            continue
        keys[kid] = key
    return keys


class JWKSCache:
    """Signing keys of one issuer, with refetch-on-unknown-kid, cooldown and stale-if-error."""

    def __init__(
        self, url: str, http: httpx.AsyncClient, clock: Clock, *,
        max_age: float = 3600, stale_max: float = 86400, cooldown: float = 10,
        observe: Observer = unobserved,
    ) -> None:
        self.url = url
        self._observe = observe
        self._http = http
        self._deadline = deadline_for(http)
        self._clock = clock
        self.max_age = max_age
        self._stale_max = stale_max
        self._cooldown = cooldown
        self._keys: dict[str, RSAKey] = {}
        self._fetched_at: float | None = None
        self._next_try = 0.0
        self._penalty_until = {False: 0.0, True: 0.0}  # unknown-kid cooldown, by from_provider
        self._failures = 0
        self._inflight: asyncio.Task[bool] | None = None

    @property
    def key_count(self) -> int:
        """How many usable keys the cached set holds."""
        return len(self._keys)

    async def get_key(self, kid: str, *, from_provider: bool = False) -> RSAKey:
        """The key for ``kid``; ``TokenRejected('kid_unknown')`` only when a set fetched just now
        (or within the cooldown) lacks it, ``ProviderUnavailable`` when no fetch could tell.

        ``from_provider``: the token came from the token endpoint itself (sign-in, refresh), so
        only the provider can have started this cooldown, never anonymous request traffic."""
        now = self._clock.now()
        fresh = self._fetched_at is not None and now - self._fetched_at < self.max_age
        key = self._keys.get(kid)
        if key is not None and fresh:
            return key
        unknown_in_fresh_set = fresh and key is None
        confirmed = unknown_in_fresh_set and now < self._penalty_until[from_provider]
        if now >= self._next_try and not confirmed:
            confirmed = await self._refresh()
            now = self._clock.now()
            if confirmed and unknown_in_fresh_set and kid not in self._keys:
                self._penalty_until[from_provider] = now + self._cooldown
        if self._fetched_at is None or now - self._fetched_at >= self._stale_max:
            raise ProviderUnavailable("jwks_unavailable")
        key = self._keys.get(kid)
        if key is None:
            # With the JWKS down (or backing off) a new kid may be a real rotation: "try again",
            # not a rejection that would end the session refreshed into it (FT-02, RF-07).
            if not confirmed:
                raise ProviderUnavailable("jwks_unavailable")
            raise TokenRejected("kid_unknown")
        return key

    async def _refresh(self) -> bool:
        """One fetch at a time: later callers wait for the fetch already in flight. True if it
        brought a usable key set."""
        if self._inflight is None or self._inflight.done():
            self._inflight = asyncio.ensure_future(self._fetch())
        return await asyncio.shield(self._inflight)

    async def _fetch(self) -> bool:
        started = time.perf_counter()
        error = None
        try:
            answer = await call(self._http, "GET", self.url, what="jwks",
                                deadline=self._deadline, headers={"accept": "application/json"})
            if answer.status != 200:
                raise unavailable("jwks", f"http_{answer.status}")
            keys = usable_keys(json_body(answer, "jwks"))
            if not keys:
                raise ProviderUnavailable("jwks_no_keys")
        except ProviderUnavailable as exc:
            keys, error = {}, exc
        self._observe("jwks", time.perf_counter() - started, error)
        now = self._clock.now()
        if keys:
            self._keys, self._fetched_at, self._failures, self._next_try = keys, now, 0, now
            return True
        self._failures += 1
        self._next_try = now + min(_MAX_BACKOFF, self._cooldown * 2 ** (self._failures - 1))
        level = logging.ERROR if self._fetched_at is None else logging.WARNING
        reason = error.reason if error is not None else "jwks_no_keys"
        log.log(level, "jwks: fetch failed (%s); keeping %d cached keys", reason, len(self._keys))
        return False
