"""``AuthMiddleware``: pure ASGI, in the manner of Starlette's ``SessionMiddleware``.

Everything that can be decided at start-up is. Per request, the hot path is a header scan, one
session-cache look-up by the exact ``Cookie`` header bytes (``SessionCache``), two scope writes,
the protected-prefix test and ``Cache-Control: no-store`` added to the response start (on a
public path only if the app set no ``Cache-Control``) (``__call__``). Verification, refresh and
cookie writing happen only on a cache miss (``_handle``), and cookies are written only in the
``send`` wrapper, on ``http.response.start``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from functools import partial

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..core.authz import Machine, signed_in
from ..core.errors import AuthError, ProviderUnavailable, TokenRejected
from ..core.events import current_request
from ..core.readonly import EMPTY
from ..core.user import User
from .auth import CSRF_KEY, ERROR_KEY, CognitoAuth, Resolution
from .callers import is_api_call, is_cross_site
from .cookieheader import find_cookie, parse_cookies
from .fastapi import MACHINE_KEY, UNAVAILABLE_KEY, USER_KEY
from .location import app_path, return_to, url_prefix
from .pages import error_response
from .routes import AuthRoutes
from .sessioncache import KEY_BYTES

__all__ = ["AuthMiddleware"]

_NO_STORE = (b"cache-control", b"no-store")
_WS_HTTP = "websocket.http.response"  # ASGI extension: a refused handshake answers with HTTP
_SHOWN_AS_PAGE = frozenset({"provider_unavailable", "session_store_unavailable",
                            "session_too_large"})
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


class AuthMiddleware:
    """Puts the user on ``scope["cognito_gate.user"]`` (and the sign-out CSRF token on
    ``scope["cognito_gate.csrf"]``), refreshes sessions, guards the protected prefixes and
    serves the sign-in routes."""

    def __init__(self, app: ASGIApp, *, auth: CognitoAuth) -> None:
        self.app = app
        self.auth = auth
        self.routes = AuthRoutes(auth).table
        self._first = (auth.sessions.names.chunks[0] + "=").encode()
        self._loop = (auth.loop_cookie + "=").encode()
        self._protect = auth.protect if auth.protect else None
        self._prefixes = auth.protect.prefixes
        self._rules = auth.rules
        self._now = auth.clock.now
        self._hot = auth.hot
        self._by_key = auth.hot.by_key
        self._header_of = auth.hot.header_of
        self._origin = auth.settings.app_url.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The hot path here; everything else, every cache miss included, in ``_handle``.

        The hot path is the request an app sees most: a safe-method HTTP request whose one
        ``Cookie`` header the session cache holds, byte for byte, a fresh entry for. It ends as
        ``_handle`` would (the user and the CSRF token on the scope, no-store on the response)
        but goes there in a few lines touching few objects: at a busy server every line and
        object a request touches costs, and going through ``_handle`` cost 2 % of a whole request
        (bench/README.md). An anonymous request (no cookie, no ``Authorization``) to a public path
        goes straight through too, with only the user key written: it should cost the least of
        anything the middleware does."""
        if scope["type"] == "http":
            cookie = None
            for name, value in scope["headers"]:
                if name == b"cookie":
                    cookie = value if cookie is None else b""  # several: _handle joins them
            if cookie is None:  # anonymous, unless it brings a bearer token
                for name, _ in scope["headers"]:
                    if name == b"authorization":
                        break
                else:
                    path = app_path(scope) if scope.get("root_path") else scope["path"]
                    if path not in self.routes and (
                            self._protect is None or not self._protect(path)):
                        scope[USER_KEY] = None
                        await self.app(scope, receive, send)
                        return
            elif scope["method"] in _SAFE_METHODS and (at := cookie.find(self._first)) >= 0:
                at += len(self._first)  # SessionCache.get's exact-bytes test, written out
                key = cookie[at : at + KEY_BYTES]
                entry = self._by_key(key)
                path = app_path(scope) if scope.get("root_path") else scope["path"]
                if entry is not None and (self._header_of(key) == cookie
                                          or self._hot.matches(key, cookie, entry)) \
                        and self._now() < entry.until and path not in self.routes \
                        and (self._rules is None or self._rules.allows(path, entry.user)):
                    entry.used = True  # the cache's CLOCK bit: all a hit costs it
                    scope[USER_KEY] = entry.user
                    scope[CSRF_KEY] = entry.csrf
                    self._hot.hits += 1
                    protected = path.startswith(self._prefixes) or (  # ProtectedPaths' 1st test
                        self._protect is not None and self._protect(path))
                    await self.app(scope, receive, _sending_no_store(send, protected))
                    return
        await self._handle(scope, receive, send)

    async def _handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Every request the hot path does not take: the library's routes, the session cache
        (both ways), verification and refresh, bearer tokens, denial and cookie writes. Audit
        events raised meanwhile name this request (``current_request``)."""
        kind = scope["type"]
        if kind != "http" and kind != "websocket":
            await self.app(scope, receive, send)
            return
        token = current_request.set(scope)
        try:
            await self._examine(scope, receive, send, kind)
        finally:
            current_request.reset(token)

    async def _examine(self, scope: Scope, receive: Receive, send: Send, kind: str) -> None:
        path = app_path(scope)
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
        forged = cookie is not None and (
            kind == "websocket" or scope["method"] not in _SAFE_METHODS
        ) and is_cross_site(scope["headers"], self._origin)
        if forged:
            # Cookies never authenticate a cross-site unsafe request, nor a cross-site WebSocket
            # handshake (cross-site WebSocket hijacking): RC-03.
            cookie = None
        user: User | None = None
        outcome: Resolution | None = None
        entry = None if cookie is None else self._hot.get(cookie, self._now())
        if entry is not None:
            self._hot.hits += 1
            user = entry.user
            scope[CSRF_KEY] = entry.csrf
        elif cookie is not None and find_cookie(cookie, self._first) is not None:
            self._hot.misses += 1
            outcome = await self._from_cookies(scope, cookie)
            user = outcome.user
        elif bearer is not None and bearer[:7].lower() == b"bearer ":
            outcome = await self._from_bearer(bearer[7:].strip())
            user = outcome.user
        scope[USER_KEY] = user
        machine = outcome.bearer_machine if outcome is not None else None
        if machine is not None:
            scope[MACHINE_KEY] = machine  # never a User: only scope requirements let it through
        if user is None and outcome is not None and isinstance(outcome.error, ProviderUnavailable):
            scope[UNAVAILABLE_KEY] = outcome.error  # require_user: 503 for a kept session (RF-07)
        # Why there is no user, for a denial decided later (the sync adapters' decorators).
        if user is None and forged:
            scope[ERROR_KEY] = AuthError.of("csrf_failed")
        elif user is None and outcome is not None and outcome.error is not None:
            scope[ERROR_KEY] = outcome.error
        protected = self._protect is not None and self._protect(path)
        if protected and user is None and machine is None:
            await self._deny(scope, receive, send, outcome, forged=forged)
            return
        if protected and not self._allowed(path, user or machine):
            await self._forbid(scope, receive, send, outcome)
            return
        if outcome is not None and outcome.writes:
            delivered = partial(self.auth.delivered, outcome.authenticated)
            await self.app(scope, receive, _writing(send, outcome.writes, delivered, scope))
        elif protected or (user is not None and kind == "http"):
            await self.app(scope, receive, _sending_no_store(send, protected))
        else:
            await self.app(scope, receive, send)

    async def _from_cookies(self, scope: Scope, cookie: bytes) -> Resolution:
        """Not in the session cache: verify (maybe refresh), and remember a session that needs no
        cookie written under its exact ``Cookie`` header."""
        outcome = await self.auth.resolve(parse_cookies(cookie))
        authd = outcome.authenticated
        if authd is not None:
            scope[CSRF_KEY] = authd.csrf
            if find_cookie(cookie, self._loop) is not None:
                # Back with a working session: the sign-in attempts are over. Reset the loop
                # breaker here, not at the callback — a browser that drops the session cookie
                # "succeeds" there every time and would loop for ever (FT-10).
                outcome.writes.append(self.auth.policy.delete(self.auth.loop_cookie))
            elif not outcome.writes:
                self.auth.remember(cookie, authd)
        return outcome

    async def _from_bearer(self, value: bytes) -> Resolution:
        """``Authorization: Bearer <access token>``, checked by the same verifier: a user's
        access token from our client, or a machine's (client credentials) from another."""
        error: AuthError
        try:
            claims = await self.auth.verifier.verify_bearer_token(value.decode("ascii"))
        except UnicodeDecodeError:
            error = TokenRejected("token_malformed")
        except TokenRejected as exc:
            error = exc
        except ProviderUnavailable as exc:
            return Resolution(error=exc)
        else:
            if claims["client_id"] != self.auth.settings.client_id:
                return Resolution(bearer_machine=Machine.from_claims(claims))
            return Resolution(bearer_user=User.from_claims(EMPTY, claims))
        self.auth.events.failed("bearer_rejected", error)
        return Resolution(error=error)

    def _allowed(self, path: str, caller: User | Machine | None) -> bool:
        """A plain protected prefix asks for a signed-in user; a rule for what it names."""
        if self._rules is None:
            return signed_in.allows(caller)
        required = self._rules.requirements(path)
        return all(r.allows(caller) for r in required or (signed_in,))

    async def _forbid(self, scope: Scope, receive: Receive, send: Send,
                      outcome: Resolution | None) -> None:
        """A known caller without the group or scope the path asks for: 403 ``forbidden``, the
        app's page for a navigation, JSON for an API caller (refreshed cookies still written)."""
        self.auth.events.emit("denied", "failure", code="forbidden", reason="forbidden")
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        request = Request(scope, receive)
        response = await self.auth.render(request, AuthError.of("forbidden"),
                                          as_json=is_api_call(scope["headers"]))
        if outcome is not None and outcome.writes:
            delivered = partial(self.auth.delivered, outcome.authenticated)
            send = _writing(send, outcome.writes, delivered, scope)
        await response(scope, receive, send)

    async def deny(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The answer for no user where the app, not a protect prefix, asked for one (the sync
        adapters' ``login_required``): as ``_deny`` would give, from what the scope recorded."""
        error: AuthError | None = scope.get(ERROR_KEY)
        forged = error is not None and error.code == "csrf_failed"
        outcome = None if error is None or forged else Resolution(error=error)
        await self._deny(scope, receive, send, outcome, forged=forged)

    async def _deny(self, scope: Scope, receive: Receive, send: Send,
                    outcome: Resolution | None, *, forged: bool = False) -> None:
        """No user on a protected path: 403 for a cross-site unsafe request, 401 JSON for APIs,
        303 to sign in for pages (with the loop breaker), or the page for a provider outage;
        offending cookies are cleared."""
        auth = self.auth
        error = outcome.error if outcome is not None else None
        auth.events.failed("denied", AuthError.of("csrf_failed", "cross_site") if forged
                           else error or AuthError.of("login_required"))
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        request = Request(scope, receive)
        api = is_api_call(scope["headers"])
        here = return_to(scope)
        prefix = url_prefix(scope)  # the URLs we hand out go back under the app's mount prefix
        response: Response
        if forged or isinstance(error, ProviderUnavailable):
            # The cookies were ignored or could not be checked: whether someone is signed in is
            # unknown, so an error page must not say (scope without the user key means unknown).
            scope.pop(USER_KEY, None)
        if forged:
            response = await auth.render(request, AuthError.of("csrf_failed"), as_json=api)
        elif error is not None and error.code in _SHOWN_AS_PAGE:
            response = await auth.render(request, error, as_json=api, retry_href=prefix + here)
        elif api:
            response = error_response(error or AuthError.of("login_required"), as_json=True)
        else:
            allowed, count = auth.budget.spend(request.cookies.get(auth.loop_cookie),
                                               auth.clock.now())
            login = prefix + auth.login_href(here)
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


def _no_store(headers: Iterable[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """A new list of ``headers`` (any iterable, as ASGI allows) with any ``Cache-Control``
    replaced by ``no-store``."""
    out = list(headers)
    for name, _ in out:
        if len(name) == 13 and name.lower() == b"cache-control":  # the length spares a lower()
            out = [h for h in out if h[0].lower() != b"cache-control"]
            break
    out.append(_NO_STORE)
    return out


def _sending_no_store(send: Send, replace: bool) -> Send:
    """``send`` that marks the response start ``Cache-Control: no-store``: instead of the app's
    own on a protected path (``replace``, LO-02), else only when the app set none — a response
    to a signed-in request may show who it is for and carries the sign-out CSRF token. A plain
    function handing back ``send``'s awaitable: no coroutine of its own for every message."""

    def send_no_store(message: Message) -> Awaitable[None]:
        if message["type"] == "http.response.start":
            headers = message.get("headers")
            if type(headers) is not list:
                if replace or not any(len(n) == 13 and n.lower() == b"cache-control"
                                      for n, _ in headers or ()):
                    _mark_no_store(message)
            else:  # _mark_no_store's usual case, written out: no Cache-Control yet, append
                for name, _ in headers:
                    if len(name) == 13 and name.lower() == b"cache-control":
                        if replace:
                            _mark_no_store(message)
                        break
                else:
                    headers.append(_NO_STORE)
        return send(message)

    return send_no_store


def _mark_no_store(message: Message) -> None:
    """``Cache-Control: no-store`` on a response start, instead of any other (LO-02). Appended to
    the app's own header list when it has no Cache-Control yet — the usual case, and how
    Starlette's middlewares add headers; a list that has one (say, of a response object the app
    serves again, marked before) is left as it is and replaced by a new list."""
    headers = message.get("headers", ())
    if type(headers) is list:
        for name, _ in headers:
            if len(name) == 13 and name.lower() == b"cache-control":  # as in _no_store
                break
        else:
            headers.append(_NO_STORE)
            return
    message["headers"] = _no_store(headers)


def _writing(send: Send, writes: list[tuple[bytes, bytes]], delivered: Callable[[], None],
             scope: Scope) -> Send:
    """``send`` that adds the session's ``Set-Cookie`` headers to the response start (with
    ``no-store``) or to a WebSocket's ``websocket.accept``, then calls ``delivered()``.

    A handshake the app refuses before accepting can carry cookies only through ASGI's
    ``websocket.http.response`` extension: the refusal goes out as the 403 a server would answer
    anyway, with the cookies — not counted as delivered, since browsers need not store cookies
    from a failed handshake. Either way the refresher keeps the new refresh token for the old
    cookie. Messages are copied, never changed: cookies must not stay on a message or header
    list the app sends again, to someone else."""
    refusal_can_carry = _WS_HTTP in (scope.get("extensions") or {})
    accepted = False

    async def send_writing(message: Message) -> None:
        nonlocal accepted
        kind = message["type"]
        if kind == "http.response.start" or kind == "websocket.http.response.start":
            message = {**message, "headers": [*_no_store(message.get("headers", ())), *writes]}
        elif kind == "websocket.accept":
            accepted = True
            message = {**message, "headers": [*message.get("headers", ()), *writes]}
        elif kind == "websocket.close" and not accepted and refusal_can_carry:
            await send({"type": "websocket.http.response.start", "status": 403,
                        "headers": [_NO_STORE, *writes]})
            await send({"type": "websocket.http.response.body", "body": b""})
            return
        else:
            await send(message)
            return
        await send(message)
        delivered()

    return send_writing
