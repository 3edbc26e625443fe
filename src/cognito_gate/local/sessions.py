"""The hosted UI's own sessions, kept server-side and named by random cookie values.

``cognito``: the sign-in session (1 hour, renewed on reuse), which lets /oauth2/authorize issue
codes without asking again until /logout. ``cognito-pending``: short-lived proof that this
browser just gave the password (sign-up, or sign-in of an unconfirmed user), so that entering
the confirmation code can finish the sign-in without asking for it again.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response

from .config import ClientConfig
from .responses import set_cookie
from .store import User

if TYPE_CHECKING:
    from .local_cognito import LocalCognito

__all__ = ["SESSION_COOKIE", "Session", "SessionManager"]

SESSION_COOKIE = "cognito"
PENDING_COOKIE = "cognito-pending"
PENDING_TTL = 900


@dataclass(frozen=True)
class Session:
    session_id: str = field(repr=False)  # the hosted-UI cookie: a credential
    user: User
    auth_time: int


class SessionManager:
    def __init__(self, lc: LocalCognito) -> None:
        self._lc = lc

    def set_cookie(self, response: Response, name: str, value: str, max_age: int) -> None:
        """A cookie of the pool domain: HttpOnly, Lax, Secure when served over https (the
        simulated IdP's session cookie is set the same way)."""
        set_cookie(
            response, name, value, max_age=max_age, secure=self._lc.base_url.startswith("https://")
        )

    def _clear(self, response: Response, name: str) -> None:
        response.delete_cookie(
            name,
            path="/",
            httponly=True,
            samesite="lax",
            secure=self._lc.base_url.startswith("https://"),
        )

    def current(self, request: Request, client: ClientConfig | None = None) -> Session | None:
        """The browser's live session for a user who still exists, is confirmed and enabled
        (a disabled user's session cookie stops working: the safe choice, §6.2); for a
        ``client`` with a session validity, only within it of the sign-in (§7)."""
        session_id = request.cookies.get(SESSION_COOKIE, "")
        row = self._lc.store.session(session_id, "session") if session_id else None
        now = self._lc.clock.now()
        validity = client.session_validity if client is not None else None
        if row is None or row[2] <= now or (validity is not None and now >= row[1] + validity):
            return None
        user = self._lc.store.user(sub=row[0])
        if user is None or not user.active:
            return None
        return Session(session_id, user, row[1])

    def start(self, response: Response, user: User, auth_time: int) -> None:
        session_id = secrets.token_urlsafe(32)
        self._save(response, session_id, user, auth_time)

    def renew(self, response: Response, session: Session) -> None:
        """Reusing a session restarts its hour (cognito-behaviour.md §7)."""
        self._save(response, session.session_id, session.user, session.auth_time)

    def _save(self, response: Response, session_id: str, user: User, auth_time: int) -> None:
        ttl = self._lc.config.session_ttl_seconds
        expires = self._lc.clock.now() + ttl
        self._lc.store.save_session(session_id, "session", user.sub, auth_time, expires)
        self.set_cookie(response, SESSION_COOKIE, session_id, ttl)

    def end(self, request: Request, response: Response) -> None:
        session_id = request.cookies.get(SESSION_COOKIE)
        if session_id:
            self._lc.store.delete_session(session_id)
        self._clear(response, SESSION_COOKIE)

    def start_pending(self, response: Response, user: User) -> None:
        pending_id = secrets.token_urlsafe(32)
        expires = self._lc.clock.now() + PENDING_TTL
        self._lc.store.save_session(pending_id, "pending", user.sub, 0, expires)
        self.set_cookie(response, PENDING_COOKIE, pending_id, PENDING_TTL)

    def pending_for(self, request: Request, user: User) -> bool:
        """Whether this browser proved the password of ``user`` a moment ago (kept for a retry)."""
        pending_id = request.cookies.get(PENDING_COOKIE, "")
        row = self._lc.store.session(pending_id, "pending") if pending_id else None
        return row is not None and row[0] == user.sub and row[2] > self._lc.clock.now()

    def take_pending(self, request: Request, user: User) -> bool:
        """True (once) when this browser proved the password of ``user`` a moment ago."""
        proved = self.pending_for(request, user)
        pending_id = request.cookies.get(PENDING_COOKIE, "")
        if pending_id:
            self._lc.store.delete_session(pending_id)
        return proved

    def clear_pending(self, response: Response) -> None:
        self._clear(response, PENDING_COOKIE)
