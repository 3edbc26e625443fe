"""Helpers for the reliability tests: more app processes and browsers on one Local Cognito,
reading what a response did to the session, and a browser-eye view of redirect targets.

Faults come only from Local Cognito's switches (``world.lc.faults``); nothing here patches the
library or fakes HTTP — the helpers only build more of the same in-process world.
"""

from __future__ import annotations

import base64
import binascii
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

import httpx

from cognito_gate import CognitoAuth, Settings
from cognito_gate.local import ClientConfig
from integration.harness import (
    APP_URL,
    HostRouter,
    World,
    call_asgi,
    netloc,
    sample_app,
    set_cookies,
)

PROTECT = ("/protected", "/api")
SESSION_CHUNKS = ("cg.0", "cg.1", "cg.2", "cg.3")
JSON = {"accept": "application/json"}


def app_client(client_id: str, **kwargs: Any) -> ClientConfig:
    """An extra confidential app client of the pool whose callback is the sample app's."""
    return ClientConfig(client_id, client_secret=f"{client_id.replace('-', '')}Secret1",
                        callback_urls=(APP_URL + "/callback/",), logout_urls=(APP_URL + "/",),
                        **kwargs)


def another_process(world: World, *, timeout: float = 5.0, settings: Settings | None = None,
                    **overrides: Any) -> World:
    """The same app started again in another process: a fresh ``CognitoAuth`` (cold JWKS, claims
    and refresh caches) in front of the same pool, same secret and clock. Its browser starts with
    a copy of ``world``'s cookies. ``timeout``: the library's HTTP client timeout (seconds)."""
    base = settings or world.auth.settings
    if overrides:
        base = Settings(**{f: getattr(base, f) for f in (
            "domain", "client_id", "client_secret", "user_pool_id", "app_url", "session_secret",
            "issuer", "scopes")}, **overrides)
    provider = httpx.ASGITransport(app=world.lc.app)
    http = httpx.AsyncClient(transport=provider, timeout=timeout)
    auth = CognitoAuth(base, protect=PROTECT, http=http, clock=world.clock)
    app = auth.wrap(sample_app())
    router = HostRouter({netloc(world.app_url): httpx.ASGITransport(app=app),
                         netloc(world.lc.base_url): provider})
    browser = httpx.AsyncClient(transport=router, timeout=60, cookies=world.browser.cookies)
    return replace(world, auth=auth, app=app, browser=browser, provider_http=http,
                   router=router, visited=[], backchannel=[])


@asynccontextmanager
async def served(world: World, *, http_timeout: float = 5.0) -> AsyncIterator[World]:
    """The app in front of Local Cognito running on a real loopback socket (real TCP for the
    library's calls and the browser's visits to the provider), so a dropped connection or a
    trickled body is exactly what the network delivers. ``http_timeout``: the library's client."""
    lc = world.lc
    with lc.serve():
        old = world.auth.settings
        settings = Settings(domain=lc.base_url, client_id=old.client_id,
                            client_secret=old.client_secret, user_pool_id=lc.pool_id,
                            issuer=lc.issuer, app_url=old.app_url,
                            session_secret=old.session_secret, scopes=old.scopes)
        async with httpx.AsyncClient(timeout=http_timeout) as http, \
                httpx.AsyncHTTPTransport() as network:
            auth = CognitoAuth(settings, protect=PROTECT, http=http, clock=world.clock)
            app = auth.wrap(sample_app())
            router = HostRouter({netloc(world.app_url): httpx.ASGITransport(app=app),
                                 netloc(lc.base_url): network})
            async with httpx.AsyncClient(transport=router, timeout=60) as browser:
                yield replace(world, auth=auth, app=app, browser=browser, provider_http=http,
                              router=router, visited=[], backchannel=[])


def session_writes(response: httpx.Response) -> dict[str, str]:
    """Session chunk cookies this response sets to a value (deletions left out)."""
    return {c.name: c.value for c in set_cookies(response)
            if c.name in SESSION_CHUNKS and not c.deletes}


def session_deleted(response: httpx.Response) -> bool:
    """Whether this response deletes the first session chunk (the session is cleared)."""
    return any(c.name == SESSION_CHUNKS[0] and c.deletes for c in set_cookies(response))


def cookie_header(cookies: dict[str, str]) -> str:
    return "; ".join(f"{k}={v}" for k, v in cookies.items())


def session_cookies(world: World) -> dict[str, str]:
    """The session chunks the browser holds for the app."""
    return {k: v for k, v in world.app_cookies().items() if k in SESSION_CHUNKS}


async def stored_session(world: World, cookies: dict[str, str]) -> Any:
    """The ``SessionData`` sealed in these cookies, opened with the app's own codec (read only)."""
    joined = world.auth.session_values(cookies)
    return None if joined is None else await world.auth.sessions.load(joined)


def decoded(value: str) -> bytes | None:
    """base64url bytes of a sealed cookie value, for telling a real change from a no-op edit."""
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        return None


def browser_target(base: str, location: str) -> tuple[str, str]:
    """(scheme, host:port) a browser would go to for ``Location: location`` on ``base`` — with
    the WHATWG URL parser's leniencies: tab/CR/LF dropped, ``\\`` read as ``/``."""
    cleaned = "".join(ch for ch in location if ch not in "\t\r\n").strip("\x00 ")
    cleaned = cleaned.replace("\\", "/")
    parts = urlsplit(str(httpx.URL(base).join(cleaned)))
    return parts.scheme, parts.netloc


class Stopwatch:
    """Elapsed wall-clock seconds (the world's clock is manual; timeouts are real)."""

    def __init__(self) -> None:
        self.start = time.perf_counter()

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.start


def counts(world: World, *names: str) -> tuple[int, ...]:
    return tuple(world.lc.requests[n] for n in names)


def pages(responses: Sequence[httpx.Response]) -> list[int]:
    return [r.status_code for r in responses]


async def call_app(app: Any, path: str, headers: Sequence[tuple[bytes, bytes]],
                   query: bytes = b"") -> tuple[int, httpx.Headers, bytes]:
    """One GET straight into the app's ASGI callable with exactly these raw header bytes (no
    client in between to normalise or refuse them), as a server would pass them."""
    return await call_asgi(app, "GET", path, raw_path=path.encode(), query=query,
                           headers=[(b"host", b"localhost:8000"), *headers])
