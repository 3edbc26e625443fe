"""Refreshing a session: when, at most once at a time, and what a failure means.

* Single-flight per refresh token in this process: concurrent callers await one token call, and
  callers arriving shortly after (still holding the old cookie) reuse its result (RF-05); with a
  shared store, ``SharedRefresh`` extends that to every process (refreshlock.py).
* New tokens are fully verified and must continue the same sign-in (RF-02); a rotated refresh
  token replaces the old one, a missing one keeps it (RF-03).
* A rotated refresh token, once Cognito has issued it, is never thrown away: it is kept for the
  old cookie until a response carrying it has gone out (``settle``), so a refresh whose cookies
  could not be written (a refused WebSocket handshake, an app that failed before answering) or
  whose new tokens failed a transient check (the JWKS down) continues from it next time, instead
  of spending the old token again (``invalid_grant`` with rotation and no grace period).
* Definitive failures (``invalid_grant``, or tokens that fail checks) end the session (RF-04);
  transient ones raise ``ProviderUnavailable`` and are remembered for a short cool-off so a down
  provider is not hammered (RF-07) — longer when the provider's ``Retry-After`` asks for it
  (``ProviderUnavailable`` bounds that to 5 minutes). Other OAuth errors (``invalid_client``…)
  and garbled answers say nothing about the session and are treated like an outage: only
  ``invalid_grant`` ends it.
  The caller decides whether the old token still serves.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .claims import check_at_hash, check_same_session
from .clock import Clock
from .errors import AuthError, ProviderRejected, ProviderUnavailable, TokenRejected
from .events import Events
from .refreshlock import SharedRefresh
from .session import SessionData
from .tokens import TokenClient
from .ttlcache import ExpiringLRU
from .verify import TokenVerifier

__all__ = ["Refreshed", "Refresher", "needs_refresh"]

log = logging.getLogger("cognito_gate.refresh")

_CONTINUITY = ("sub", "iss", "aud", "auth_time", "origin_jti", "azp")


def needs_refresh(expires_at: float, now: float, margin: int) -> bool:
    """Refresh once the token has ``margin`` seconds or less left (RF-01)."""
    return expires_at - now <= margin


@dataclass(frozen=True, slots=True)
class Refreshed:
    """The session after a successful refresh, with its freshly verified claims; ``source``
    names the refresh token it replaced (for ``Refresher.settle``)."""

    session: SessionData
    id_claims: dict[str, Any]
    access_claims: dict[str, Any]
    source: str


def _check_continuity(old: Mapping[str, Any], new: Mapping[str, Any]) -> None:
    """A refreshed ID token continues the original sign-in (OIDC Core §12.2, RF-02)."""
    for name in _CONTINUITY:
        if old.get(name) != new.get(name):
            raise TokenRejected(f"refresh_{name}_changed")
    if "nonce" in new and new.get("nonce") != old.get("nonce"):
        raise TokenRejected("refresh_nonce_changed")
    if new["iat"] < old["iat"]:
        raise TokenRejected("refresh_iat_not_new")


def _not_about_the_session(exc: AuthError) -> bool:
    """Failures that say nothing about this refresh token: OAuth errors other than
    ``invalid_grant`` (a rotated client secret, a grant no longer allowed), a garbled 200, and a
    kid the JWKS does not (yet) list on tokens the token endpoint itself just signed."""
    if isinstance(exc, ProviderRejected):
        return exc.error != "invalid_grant"
    return exc.code == "token_response_invalid" or exc.reason == "kid_unknown"


class Refresher:
    """Refreshes sessions through one ``TokenClient``, de-duplicating concurrent attempts."""

    def __init__(self, tokens: TokenClient, verifier: TokenVerifier, clock: Clock, *,
                 reuse_seconds: float = 30, cooloff_seconds: float = 10,
                 keep_seconds: float = 12 * 3600, events: Events | None = None,
                 shared: SharedRefresh | None = None) -> None:
        self._tokens = tokens
        self._shared = shared
        self._events = events or Events(clock, hook=None)
        self._verifier = verifier
        self._clock = clock
        self._reuse = reuse_seconds
        self._cooloff = cooloff_seconds
        self._keep = keep_seconds  # the session lifetime: no session outlives it
        self._inflight: dict[str, asyncio.Future[Refreshed]] = {}
        self._recent: ExpiringLRU[str, Refreshed | AuthError] = ExpiringLRU(10_000, clock.now)
        # The newest rotated refresh token issued in place of an old one whose cookie has not
        # been replaced in the browser yet.
        self._unsent: ExpiringLRU[str, str] = ExpiringLRU(10_000, clock.now)

    async def refresh(self, session: SessionData, id_claims: Mapping[str, Any]) -> Refreshed:
        """New tokens for ``session``; raises ``AuthError('session_ended')`` when the session is
        over and ``ProviderUnavailable`` when the provider could not answer."""
        assert session.refresh_token is not None
        key = hashlib.sha256(session.refresh_token.encode()).hexdigest()
        recent = self._recent.get(key, self._clock.now())
        if isinstance(recent, Refreshed):
            return recent
        if recent is not None:
            raise recent
        future = self._inflight.get(key)
        if future is None:
            future = asyncio.ensure_future(self._run(key, session, id_claims))
            self._inflight[key] = future
            future.add_done_callback(lambda _: self._inflight.pop(key, None))
        return await asyncio.shield(future)

    def settle(self, result: Refreshed) -> None:
        """A response carrying ``result``'s cookies has gone out (or the session is over): the
        refresh token it replaced need no longer lead to the one it brought."""
        self._unsent.pop(result.source)

    async def _run(self, key: str, session: SessionData,
                   old_claims: Mapping[str, Any]) -> Refreshed:
        try:
            if self._shared is None:
                result = await self._grant(key, session, old_claims)
            else:
                result = await self._shared.run(
                    session, lambda: self._grant(key, session, old_claims),
                    lambda stored: self._checked(stored, old_claims, key), lambda r: r.session)
        except ProviderUnavailable as exc:
            log.warning("refresh: provider unavailable (%s)", exc.reason)
            self._events.failed("refresh", exc, sub=old_claims.get("sub"))
            cooloff = max(self._cooloff, exc.provider_retry_after or 0)
            self._recent.put(key, exc, self._clock.now() + cooloff)
            raise
        except AuthError as exc:
            if _not_about_the_session(exc):
                # The operator (or the provider) must act, and ending every session would sign
                # the whole site out: keep the session, as in an outage.
                log.error("refresh: unusable answer from the token endpoint (%s)", exc.reason)
                kept = ProviderUnavailable(exc.reason)
                self._events.failed("refresh", kept, sub=old_claims.get("sub"))
                self._recent.put(key, kept, self._clock.now() + self._cooloff)
                raise kept from None
            log.info("refresh: session ended (%s)", exc.reason)
            self._unsent.pop(key)
            ended = AuthError.of("session_ended", reason=exc.reason)
            self._events.failed("refresh", ended, sub=old_claims.get("sub"), outcome="refused")
            self._recent.put(key, ended, self._clock.now() + self._reuse)
            raise ended from None
        self._events.emit("refresh", "success", sub=result.id_claims.get("sub"))
        self._recent.put(key, result, self._clock.now() + self._reuse)
        return result

    async def _grant(self, key: str, session: SessionData,
                     old_claims: Mapping[str, Any]) -> Refreshed:
        """One refresh grant at the token endpoint (with the newest unsent rotated token, if
        any), its tokens checked."""
        assert session.refresh_token is not None
        sent = self._unsent.get(key, self._clock.now()) or session.refresh_token
        tokens = await self._tokens.refresh(sent)
        if tokens.refresh_token is not None:  # rotated: ``sent`` is spent from now on
            self._unsent.put(key, tokens.refresh_token, session.auth_time + self._keep)
            sent = tokens.refresh_token
        return await self._checked(
            session.replace_tokens(tokens.id_token, tokens.access_token, sent), old_claims, key)

    async def _checked(self, new: SessionData, old_claims: Mapping[str, Any],
                       key: str) -> Refreshed:
        """``new`` (just granted, or refreshed by another process) with its tokens fully verified
        as a continuation of the same sign-in."""
        id_claims = await self._verifier.verify_id_token(new.id_token, from_provider=True)
        access_claims = await self._verifier.verify_access_token(new.access_token,
                                                                 from_provider=True,
                                                                 beside=id_claims)
        check_at_hash(id_claims, new.access_token)
        check_same_session(id_claims, access_claims)
        _check_continuity(old_claims, id_claims)
        return Refreshed(new, id_claims, access_claims, key)
