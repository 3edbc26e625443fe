"""``AuthMiddleware``: pure ASGI, in the manner of Starlette's ``SessionMiddleware``.

Everything that can be decided at start-up is; per request the hot path is a header scan, one
substring search, one cache look-up keyed by the exact cookie bytes and two scope writes.
Verification, refresh and cookie writing happen only on a cache miss, and cookies are written
only in the ``send`` wrapper, on ``http.response.start``.
"""

from __future__ import annotations

from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..core.errors import AuthError, ProviderUnavailable, TokenRejected
from ..core.returnto import safe_return_to
from ..core.user import User
from .auth import CSRF_KEY, HOT_KEY_BYTES, UNAVAILABLE_KEY, USER_KEY, CognitoAuth, Resolution
from .callers import is_api_call, is_cross_site
from .cookieheader import find_cookie, parse_cookies
from .pages import error_response
from .routes import AuthRoutes

__all__ = ["AuthMiddleware"]

_NO_STORE = (b"cache-control", b"no-store")
_SHOWN_AS_PAGE = frozenset({"provider_unavailable", "session_too_large"})
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


class AuthMiddleware:
    """Puts the user on ``scope["cognito_gate.user"]`` (and the sign-out CSRF token on
    ``scope["cognito_gate.csrf"]``), refreshes sessions, guards the protected prefixes and
    serves the sign-in routes."""

    def __init__(self, app: ASGIApp, *, auth: CognitoAuth) -> None:
        self.app = app
        self.auth = auth
        self.routes = AuthRoutes(auth).table
        names = auth.sessions.names.chunks
        self._first = (names[0] + "=").encode()
        self._rest = tuple((n + "=").encode() for n in names[1:])
        self._loop = (auth.loop_cookie + "=").encode()
        self._protect = auth.protect
        self._now = auth.clock.now
        self._hot = auth.hot
        self._ended = auth.ended  # signed-out session ids: refused on the hot path too (LO-04)
        self._origin = auth.settings.app_url.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind != "http" and kind != "websocket":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        route = self.routes.get(path) if kind == "http" else None
        if route is not None:
            await route(scope, receive, send)
            return
        cookie = bearer = None
        for name, value in scope["headers"]:
            if name == b"cookie":
                cookie = value if cookie is None else cookie + b"; " + value
            elif name == b"authorization":
                bearer = value
        forged = cookie is not None and kind == "http" and scope["method"] not in _SAFE_METHODS \
            and is_cross_site(scope["headers"], self._origin)
        if forged:
            cookie = None  # cookies never authenticate a cross-site unsafe request (RC-03)
        user: User | None = None
        outcome: Resolution | None = None
        found = None if cookie is None else find_cookie(cookie, self._first)
        if found is not None:
            assert cookie is not None
            now = self._now()
            entry = self._hot.get(found[:HOT_KEY_BYTES], now)
            if entry is not None and entry[0] == found and entry[1] == tuple(
                find_cookie(cookie, n) for n in self._rest[: len(entry[1])]
            ) and not (self._ended and self._ended.get(entry[2].session.sid, now)):
                user = entry[2].user
                scope[CSRF_KEY] = entry[2].csrf
            else:
                outcome = await self._from_cookies(scope, cookie, found)
                user = outcome.user
        elif bearer is not None and bearer[:7].lower() == b"bearer ":
            outcome = await self._from_bearer(bearer[7:].strip())
            user = outcome.user
        scope[USER_KEY] = user
        if user is None and outcome is not None and isinstance(outcome.error, ProviderUnavailable):
            scope[UNAVAILABLE_KEY] = outcome.error  # require_user: 503 for a kept session (RF-07)
        protected = self._protect(path) if self._protect else False
        if protected and user is None:
            await self._deny(scope, receive, send, outcome, forged=forged)
            return
        writes = outcome.writes if outcome is not None else None
        if not writes and not protected:
            await self.app(scope, receive, send)
            return
        extra = [*(writes or ()), _NO_STORE]

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                kept = [h for h in message.get("headers", ()) if h[0].lower() != b"cache-control"]
                message = {**message, "headers": kept + extra}
            await send(message)

        await self.app(scope, receive, send_wrapper)

    async def _from_cookies(self, scope: Scope, cookie: bytes, found: bytes) -> Resolution:
        """Cache miss: verify (maybe refresh) and remember an unchanged session by its bytes."""
        outcome = await self.auth.resolve(parse_cookies(cookie))
        authd = outcome.authenticated
        if authd is not None:
            scope[CSRF_KEY] = authd.csrf
            if find_cookie(cookie, self._loop) is not None:
                # Back with a working session: the sign-in attempts are over. Reset the loop
                # breaker here, not at the callback — a browser that drops the session cookie
                # "succeeds" there every time and would loop for ever (FT-10).
                outcome.writes.append(self.auth.policy.delete(self.auth.loop_cookie))
            elif not outcome.writes and found[:1].isdigit():
                rest = tuple(find_cookie(cookie, n) for n in self._rest[: int(found[:1]) - 1])
                self.auth.remember(found, rest, authd)
        return outcome

    async def _from_bearer(self, value: bytes) -> Resolution:
        """``Authorization: Bearer <access token>``, checked by the same verifier."""
        try:
            claims = await self.auth.verifier.verify_access_token(value.decode("ascii"))
        except UnicodeDecodeError:
            return Resolution(error=TokenRejected("token_malformed"))
        except (TokenRejected, ProviderUnavailable) as exc:
            return Resolution(error=exc)
        return Resolution(bearer_user=User.from_claims({}, claims))

    async def _deny(self, scope: Scope, receive: Receive, send: Send,
                    outcome: Resolution | None, *, forged: bool = False) -> None:
        """No user on a protected path: 403 for a cross-site unsafe request, 401 JSON for APIs,
        303 to sign in for pages (with the loop breaker), or the page for a provider outage;
        offending cookies are cleared."""
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        auth = self.auth
        error = outcome.error if outcome is not None else None
        request = Request(scope, receive)
        api = is_api_call(scope["headers"])
        here = _current(scope)
        response: Response
        if forged:
            response = await auth.render(request, AuthError.of("csrf_failed"), as_json=api)
        elif error is not None and error.code in _SHOWN_AS_PAGE:
            response = await auth.render(request, error, as_json=api, retry_href=here)
        elif api:
            response = error_response(error or AuthError.of("login_required"), as_json=True)
        else:
            allowed, count = auth.budget.spend(request.cookies.get(auth.loop_cookie),
                                               auth.clock.now())
            login = auth.login_href(here)
            if allowed:
                response = RedirectResponse(auth.settings.app_url + login, 303,
                                            headers={"cache-control": "no-store"})
            else:
                response = await auth.render(request, AuthError.of("signin_loop"),
                                             retry_href=login)
            response.raw_headers.append(auth.policy.set(auth.loop_cookie, count,
                                                        auth.budget.window))
        if outcome is not None:
            response.raw_headers.extend(outcome.writes)
        await response(scope, receive, send)


def _current(scope: Scope) -> str:
    """This request's path and query as a validated return-to target."""
    raw = scope.get("raw_path")
    path = raw.decode("latin-1") if raw else quote(scope["path"])
    query = scope.get("query_string", b"").decode("latin-1")
    return safe_return_to(f"{path}?{query}" if query else path)
