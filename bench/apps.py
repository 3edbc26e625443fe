"""The one tiny app every benchmark case serves, and the middleware stacks around it.

Every case serves the same two routes with the same response bytes (`ok:1` when the request is
known to carry a signed-in user, `ok:0` otherwise, so a wrong setup shows up in the pre-flight
check without changing the body length):

    GET /protected   (protected by our middleware in the `ours` cases)
    GET /public

`App` is a small Starlette application (the shape our users run) or, with `raw`, a bare ASGI
callable (the thinnest possible app, which makes any middleware cost look largest).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

Probe = Callable[[Scope], bool]

CASES = ("bare", "baseline", "basesess", "hot", "hotmet", "hotpub", "anon", "nocache", "session",
         "null", "dict")
PATHS = ("/protected", "/public")


def _never(scope: Scope) -> bool:
    return False


def _session_probe(scope: Scope) -> bool:
    session = scope.get("session")
    return session is not None and "id_token" in session


def starlette_app(probe: Probe) -> ASGIApp:
    """One route for both paths, so /protected and /public cost the app the same routing work."""
    ok1 = b"ok:1"
    ok0 = b"ok:0"
    pages = frozenset(p.strip("/") for p in PATHS)

    async def endpoint(request: Request) -> Response:
        if request.path_params["page"] not in pages:
            return PlainTextResponse(b"none", status_code=404)
        return PlainTextResponse(ok1 if probe(request.scope) else ok0)

    return Starlette(routes=[Route("/{page}", endpoint)])


def raw_app(probe: Probe) -> ASGIApp:
    start_headers = [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", b"4")]
    start = {"type": "http.response.start", "status": 200, "headers": start_headers}
    not_found = {"type": "http.response.start", "status": 404, "headers": start_headers}
    ok1 = {"type": "http.response.body", "body": b"ok:1"}
    ok0 = {"type": "http.response.body", "body": b"ok:0"}
    nf = {"type": "http.response.body", "body": b"none"}
    paths = frozenset(PATHS)

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        if scope["path"] not in paths:
            await send(not_found)
            await send(nf)
            return
        await send(start)
        await send(ok1 if probe(scope) else ok0)

    return app


def null_middleware(app: ASGIApp) -> ASGIApp:
    """The floor for any middleware: a pure-ASGI layer that only passes the call on."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        await app(scope, receive, send)

    return middleware


def dict_middleware(app: ASGIApp, known: dict[bytes, object]) -> ASGIApp:
    """The issue's reference: a pure-ASGI middleware with a plain dict from the exact Cookie
    header to already-verified claims (no expiry, no bound, no protection, no refresh)."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            cookie = None
            for name, value in scope["headers"]:
                if name == b"cookie":
                    cookie = value
            scope["user"] = None if cookie is None else known.get(cookie)
        await app(scope, receive, send)

    return middleware


def _dict_probe(scope: Scope) -> bool:
    return scope.get("user") is not None


def build(
    case: str, cfg: dict[str, Any], *, flavour: str = "starlette", http: Any = None
) -> ASGIApp:
    """The ASGI app for one case. `cfg` is the fixture config (see fixture.py); `http` is an
    optional httpx.AsyncClient our library uses to reach Cognito (in-process runs)."""
    make = raw_app if flavour == "raw" else starlette_app
    if case in ("bare", "baseline", "basesess"):
        return make(_never)
    if case == "null":
        return null_middleware(make(_never))
    if case == "dict":
        claims = {"sub": "x", "email": "bench@example.com"}
        return dict_middleware(make(_dict_probe), {cfg["cookie_ours"].encode("latin-1"): claims})
    if case == "session":
        from starlette.middleware.sessions import SessionMiddleware

        return SessionMiddleware(make(_session_probe), secret_key=cfg["starlette_secret"])
    if case in ("hot", "hotmet", "hotpub", "anon", "nocache"):
        import ours

        return ours.wrap(make, cfg, cache=(case != "nocache"), http=http,
                         metrics=(case == "hotmet"))
    raise ValueError(f"unknown case {case!r}")
