"""From a decoded session to a signed-in user: verify both tokens, enforce lifetimes, refresh.

This is the decision table the middleware relies on:

* absolute lifetime (from sign-in) or idle limit (from the last request seen) passed →
  ``session_ended`` (CK-08); a session in use is marked seen again every 1/16 of the idle limit,
  which costs one cookie rewrite per interval, never a provider call;
* any token check failing other than expiry → ``TokenRejected``: clear the session (RF-06, CK-07);
* ID and access token from different sign-ins → ``TokenRejected`` (IDT-18);
* a token with ``refresh_margin`` seconds or less left → refresh (RF-01): success gives new tokens
  to write; ``session_ended`` on definitive failure (RF-04); on a transient failure the old access
  token keeps serving while it is still unexpired, otherwise ``ProviderUnavailable`` (RF-07);
* a verified session is reused as is no longer than the JWKS cache's max age, like the verifier's
  own cache, so tokens signed with a key removed from the JWKS stop working (FT-05).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .claims import check_same_session
from .clock import Clock
from .config import Settings
from .csrf import CsrfTokens
from .errors import AuthError, ProviderUnavailable, TokenExpired
from .redact import SECRET, redacted_repr
from .refresh import Refreshed, Refresher, needs_refresh
from .session import SessionData
from .user import User
from .verify import TokenVerifier

__all__ = ["Authenticated", "Authenticator"]

_RETRY_SECONDS = 10  # a session still due for refresh is re-examined this often


@dataclass(frozen=True, slots=True)
class Authenticated:
    """A verified session. ``fresh_until`` bounds how long this result may be reused as is;
    ``changed`` says the session must be written back; ``refreshed``, that a refresh brought
    new tokens (settle it with the refresher once they have been sent)."""

    session: SessionData
    user: User
    csrf: str = field(metadata=SECRET)
    fresh_until: float
    changed: bool
    refreshed: Refreshed | None = None

    __repr__ = redacted_repr


class Authenticator:
    """Checks sessions against one verifier and refresher."""

    def __init__(self, settings: Settings, verifier: TokenVerifier, refresher: Refresher,
                 csrf: CsrfTokens, clock: Clock) -> None:
        self._settings = settings
        self._verifier = verifier
        self._refresher = refresher
        self._csrf = csrf
        self._clock = clock

    async def _claims(self, data: SessionData) -> tuple[dict[str, Any], dict[str, Any]]:
        """Verified claims of both tokens; expired-but-genuine tokens still yield their claims."""
        try:
            id_claims = await self._verifier.verify_id_token(data.id_token)
        except TokenExpired as exc:
            id_claims = exc.claims
        try:
            access_claims = await self._verifier.verify_access_token(data.access_token,
                                                                     beside=id_claims)
        except TokenExpired as exc:
            access_claims = exc.claims
        check_same_session(id_claims, access_claims)
        return id_claims, access_claims

    async def authenticate(self, data: SessionData) -> Authenticated:
        """The user of ``data`` (refreshing when due), or an ``AuthError`` saying why not."""
        s = self._settings
        now = self._clock.now()
        ends_at = data.auth_time + s.session_lifetime
        if now >= ends_at:
            raise AuthError.of("session_ended", reason="absolute_lifetime")
        if now - data.last_seen > s.session_idle_timeout:
            raise AuthError.of("session_ended", reason="idle_timeout")
        id_claims, access_claims = await self._claims(data)
        expires_at = min(id_claims["exp"], access_claims["exp"])
        touch = s.session_idle_timeout / 16
        seen_due = now - data.last_seen >= touch
        changed = False
        refreshed = None
        if needs_refresh(expires_at, now, s.refresh_margin):
            if data.refresh_token is not None:
                try:
                    refreshed = await self._refresher.refresh(data, id_claims)
                except ProviderUnavailable:
                    if now >= expires_at:
                        raise
                    seen_due = False  # no cookie churn while the provider is down
                else:
                    data, changed = refreshed.session, True
                    id_claims, access_claims = refreshed.id_claims, refreshed.access_claims
                    expires_at = min(id_claims["exp"], access_claims["exp"])
            if now >= expires_at:
                raise AuthError.of("session_ended", reason="no_refresh_token")
        if changed or seen_due:
            data, changed = data.touched(now), True
        if needs_refresh(expires_at, now, s.refresh_margin):
            fresh_until = min(expires_at, now + _RETRY_SECONDS)
        else:
            fresh_until = min(expires_at - s.refresh_margin, data.last_seen + touch)
        fresh_until = min(fresh_until, now + s.jwks_max_age)  # a removed key stops it (FT-05)
        user = User.from_claims(id_claims, access_claims)
        return Authenticated(data, user, self._csrf.token(data.sid), min(fresh_until, ends_at),
                             changed, refreshed)
