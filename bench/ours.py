"""Our library, as the benchmark plugs it in: settings from the fixture, CognitoAuth, the wrap.

Case (4) switches the verified-claims cache off through the public setting
``Settings.claims_cache_size = 0`` (every request then verifies both RS256 signatures). Case
(2m) serves ``auth.metrics_app()`` at ``/metrics`` in the app, as an app that is scraped would.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

import httpx
from starlette.types import ASGIApp, Receive, Scope, Send

from cognito_gate import CognitoAuth, MemoryStore, Settings, get_user

PROTECT = ("/protected",)


def settings(cfg: dict[str, Any], *, cache: bool = True, **overrides: Any) -> Settings:
    kwargs = dict(cfg["settings"])
    kwargs["session_secret"] = tuple(kwargs["session_secret"])
    kwargs["scopes"] = tuple(kwargs.get("scopes", ("openid", "email", "phone")))
    if not cache:
        kwargs["claims_cache_size"] = 0
    kwargs.update(overrides)
    return Settings(**kwargs)


def user_probe(scope: Scope) -> bool:
    return get_user(scope) is not None


class OffsetClock:
    """Wall clock moved `offset` seconds ahead (the refresh storm: "an hour later")."""

    def __init__(self, offset: float) -> None:
        self.offset = offset

    def now(self) -> float:
        return time.time() + self.offset


def make_auth(
    cfg: dict[str, Any], *, cache: bool = True, http: httpx.AsyncClient | None = None
) -> CognitoAuth:
    offset = float(os.environ.get("BENCH_CLOCK_OFFSET", "0"))
    clock = OffsetClock(offset) if offset else None
    overrides: dict[str, Any] = {}
    if cache and os.environ.get("BENCH_CACHE_SIZE"):  # both caches' bound (active.py)
        overrides["claims_cache_size"] = int(os.environ["BENCH_CACHE_SIZE"])
    if cache and os.environ.get("BENCH_SESSION_CACHE_SIZE"):  # the session cache's alone
        overrides["session_cache_size"] = int(os.environ["BENCH_SESSION_CACHE_SIZE"])
    store: Any = None
    kind = os.environ.get("BENCH_STORE", "")
    if kind == "memory":  # server-side sessions: the cookie holds an id
        store = MemoryStore(maxsize=max(100_000, overrides.get("claims_cache_size", 0)))
    elif kind.startswith("redis://"):  # the same, shared through Redis (active.py starts one)
        from cognito_gate import RedisStore

        store = RedisStore.from_url(kind)
    return CognitoAuth(settings(cfg, cache=cache, **overrides), protect=PROTECT, http=http,
                       clock=clock, store=store)


def wrap(
    make: Callable[[Callable[[Scope], bool]], ASGIApp],
    cfg: dict[str, Any],
    *,
    cache: bool = True,
    http: httpx.AsyncClient | None = None,
    metrics: bool = False,
) -> ASGIApp:
    auth = make_auth(cfg, cache=cache, http=http)
    app = make(user_probe)
    return auth.wrap(with_metrics(app, auth.metrics_app()) if metrics else app)


def with_metrics(app: ASGIApp, endpoint: ASGIApp) -> ASGIApp:
    """``app`` that also answers ``/metrics`` (the app's own routing, one path test)."""

    async def routed(scope: Scope, receive: Receive, send: Send) -> None:
        await (endpoint if scope.get("path") == "/metrics" else app)(scope, receive, send)

    return routed
