"""``SyncGate``: the core's middleware for a request handled in a synchronous thread.

The request's hot path stays in the calling thread: a signed-in browser's exact ``Cookie`` header
found fresh in the verified-session cache (the same ``SessionCache`` the ASGI middleware reads)
puts the user on the scope with no thread hop and no coroutine. Anonymous requests without a
session cookie or bearer token on unprotected paths take no hop either.

Everything else — verification, refresh (single-flight on the one loop), bearer tokens,
cross-site refusal, denial on a protect prefix — runs in the unchanged ``AuthMiddleware`` on the
process's loop thread (``LoopThread``), around an inner app that hands control back to the
calling thread: the framework handles the request there, then the middleware sees its response
start and adds what it adds (``Set-Cookie``, ``no-store``) as it would for an ASGI app. So
there is one protocol implementation, and cookies count as delivered only once the framework has
produced its response.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send

from ..asgi.auth import CSRF_KEY, MACHINE_KEY, USER_KEY, CognitoAuth
from ..asgi.cookieheader import find_cookie
from ..asgi.location import app_path
from ..asgi.middleware import AuthMiddleware
from ..core.authz import Machine
from ..core.errors import AuthError
from ..core.redact import SECRET, redacted_repr
from ..core.user import User
from .loop import LoopThread

__all__ = ["RENDERED_KEY", "Admitted", "Answer", "SyncGate", "marking_renderer"]

RENDERED_KEY = "cognito_gate.rendered"  # the AuthError an HTML error answer shows
_TICKET_KEY = "cognito_gate.ticket"
_SAFE = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


def marking_renderer(request: Request, error: AuthError) -> Awaitable[Response]:
    """``render_error`` for the sync adapters: the default page, with the error noted on the
    scope so the adapter can hand it to the framework's own error handling instead."""
    from ..asgi.pages import error_response

    request.scope[RENDERED_KEY] = error

    async def rendered() -> Response:
        return error_response(error, as_json=False, retry_href=None)

    return rendered()


@dataclass(slots=True)
class Answer:
    """The gate answered the request itself (a denial, a library route, an error page)."""

    status: int
    headers: list[tuple[str, str]] = field(metadata=SECRET)  # may set session cookies
    body: bytes
    error: AuthError | None = None  # an HTML error page: the framework may render its own

    __repr__ = redacted_repr

    @property
    def cookies(self) -> list[str]:
        return [v for n, v in self.headers if n == "set-cookie"]


class _Ticket:
    """The hand-over between the loop (middleware) and the calling thread (the framework)."""

    __slots__ = ("entered", "finished")

    def __init__(self) -> None:
        self.entered: Future[None] = Future()  # the middleware called the app
        self.finished: Future[None] = Future()  # the framework has its response


class _Abandoned(Exception):
    """The framework failed before producing a response: the middleware's call ends."""


class _Recorder:
    """An ASGI ``send`` that keeps what is sent."""

    def __init__(self) -> None:
        self.status = 500
        self.headers: list[tuple[bytes, bytes]] = []
        self.body = bytearray()

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            self.headers = list(message.get("headers", ()))
        elif message["type"] == "http.response.body":
            self.body += message.get("body", b"")

    def answer(self, scope: Scope) -> Answer:
        headers = [(n.decode("latin-1").lower(), v.decode("latin-1")) for n, v in self.headers]
        return Answer(self.status, headers, bytes(self.body), scope.get(RENDERED_KEY))


class Admitted:
    """The framework handles the request: ``user`` is known (or None; ``machine``: a
    client-credentials bearer caller, never a user); call ``finish()`` with the framework's
    response in hand for the headers to add, or ``abandon()`` if it failed."""

    __slots__ = ("_future", "_ticket", "csrf", "machine", "protected", "user")

    def __init__(self, user: User | None, csrf: str, protected: bool,
                 ticket: _Ticket | None = None, future: Future[_Recorder] | None = None,
                 machine: Machine | None = None) -> None:
        self.user, self.csrf, self.protected, self.machine = user, csrf, protected, machine
        self._ticket, self._future = ticket, future

    @property
    def caller(self) -> User | Machine | None:
        """The user, else the machine: what a scope requirement is checked against."""
        return self.user or self.machine

    def finish(self) -> tuple[list[str], bool]:
        """``(Set-Cookie values to add, whether the response must be no-store)``. No-store
        replaces the app's ``Cache-Control`` on a protected path (``self.protected``), else it
        applies only where the app set none."""
        if self._ticket is None or self._future is None:
            return [], self.user is not None or self.protected
        self._ticket.finished.set_result(None)
        recorded = self._future.result()
        cookies = [v.decode("latin-1") for n, v in recorded.headers if n == b"set-cookie"]
        return cookies, any(n == b"cache-control" for n, _ in recorded.headers)

    def abandon(self) -> None:
        """The framework raised: release the middleware's call (no cookie is delivered)."""
        if self._ticket is not None and self._future is not None \
                and not self._ticket.finished.done():
            self._ticket.finished.set_exception(_Abandoned())
            self._future.exception()


async def _no_body() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


class SyncGate:
    """The ASGI ``AuthMiddleware`` of one ``CognitoAuth`` for synchronous frameworks."""

    def __init__(self, auth: CognitoAuth, loop: LoopThread | None = None) -> None:
        self.auth = auth
        self.loop = loop or LoopThread()
        self.middleware = AuthMiddleware(self._inner, auth=auth)
        self.routes = self.middleware.routes
        self._first = (auth.sessions.names.chunks[0] + "=").encode()

    def begin(self, scope: Scope) -> Admitted | Answer:
        """Decide who is asking, as the middleware does; see the module docstring."""
        path = app_path(scope)
        if path in self.routes:  # the adapter's own views serve these (``route``)
            return Admitted(None, "", False)
        auth = self.auth
        cookie = bearer = None
        for name, value in scope["headers"]:
            if name == b"cookie":
                cookie = value
            elif name == b"authorization":
                bearer = value
        hot = self.hot(scope["method"], path, cookie)
        if hot is not None:
            scope[USER_KEY], scope[CSRF_KEY] = hot.user, hot.csrf
            return hot
        protected = auth.protect(path) if auth.protect else False
        if bearer is None and not protected and (
                cookie is None or find_cookie(cookie, self._first) is None):
            scope[USER_KEY] = None
            return Admitted(None, "", False)
        return self._through_middleware(scope, path, protected)

    def hot(self, method: str, path: str, cookie: bytes | None) -> Admitted | None:
        """The hot path alone, before any scope is built (an adapter may call it with the WSGI
        environ's values): a safe request whose exact ``Cookie`` header the session cache holds
        fresh, on a path that is not one of the library's routes; else None."""
        if cookie is None or method not in _SAFE or path in self.routes:
            return None
        auth = self.auth
        entry = auth.hot.get(cookie, auth.clock.now())
        if entry is None:
            return None
        auth.hot.hits += 1  # a miss is counted by the middleware it goes on to
        return Admitted(entry.user, entry.csrf, auth.protect(path) if auth.protect else False)

    def _through_middleware(self, scope: Scope, path: str, protected: bool) -> Admitted | Answer:
        ticket = _Ticket()
        scope[_TICKET_KEY] = ticket
        future = self.loop.submit(self._run(self.middleware, scope, _no_body))
        either: list[Future[Any]] = [ticket.entered, future]
        wait(either, return_when=FIRST_COMPLETED)
        if not ticket.entered.done():
            return future.result().answer(scope)
        return Admitted(scope.get(USER_KEY), scope.get(CSRF_KEY) or "", protected, ticket,
                        future, scope.get(MACHINE_KEY))

    async def _inner(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The app, as the middleware sees it: the calling thread's framework."""
        ticket: _Ticket = scope[_TICKET_KEY]
        ticket.entered.set_result(None)
        await asyncio.wrap_future(ticket.finished)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    @staticmethod
    async def _run(app: Callable[[Scope, Receive, Send], Awaitable[None]], scope: Scope,
                   receive: Receive) -> _Recorder:
        recorder = _Recorder()
        await app(scope, receive, recorder.send)
        return recorder

    def route(self, scope: Scope, body: bytes) -> Answer:
        """Serve one of the library's routes (``/login``, ``/callback/``, ``/logout``)."""

        async def receive() -> Message:
            return {"type": "http.request", "body": body, "more_body": False}

        app = self.routes[app_path(scope)]
        return self.loop.run(self._run(app, scope, receive)).answer(scope)

    def deny(self, scope: Scope) -> Answer:
        """No user where the app needs one: sign in (browsers), 401 JSON (APIs), 403 for a
        cross-site request, or the outage page — as on a protect prefix."""
        return self.loop.run(self._run(self.middleware.deny, scope, _no_body)).answer(scope)

    def forbidden(self, scope: Scope) -> Answer:
        """A signed-in user the app's group or scope rule refuses: the middleware's 403
        ``forbidden`` (the app's page for a navigation, JSON for an API caller)."""

        async def forbid(scope: Scope, receive: Receive, send: Send) -> None:
            await self.middleware._forbid(scope, receive, send, None)

        return self.loop.run(self._run(forbid, scope, _no_body)).answer(scope)
