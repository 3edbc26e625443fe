"""A synchronous framework app (WSGI) and Local Cognito in one process, with no mocks.

The app runs in the test's thread through ``httpx.WSGITransport``, as a WSGI server would run
it; the library's calls to Local Cognito leave from the gate's loop thread through the pool's
in-process back channel (``LocalPool.http``); the browser reaches Local Cognito's hosted UI
through a transport that runs its ASGI app on that same loop. One cookie jar, redirects by hand.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import httpx

from cognito_gate.sync.loop import LoopThread
from cognito_gate.testing import LocalPool

_CSRF = re.compile(r'name="_csrf" value="([^"]+)"')



def hosted_sign_in(browser: httpx.Client, email: str, password: str,
                   return_to: str = "/") -> httpx.Response:
    """The app's /login, through the hosted UI's form, to the callback; returns the callback's
    answer. Works for an in-process browser and one over real HTTP alike."""
    hop = browser.get("/login", params={"return_to": return_to})
    while hop.is_redirect:
        hop = browser.get(hop.url.join(hop.headers["location"]))
    match = _CSRF.search(hop.text)
    assert match is not None, hop.text
    posted = browser.post(hop.url, data={"username": email, "password": password,
                                         "_csrf": match.group(1)})
    assert posted.is_redirect, posted.text
    return browser.get(posted.url.join(posted.headers["location"]))

class _OnLoop(httpx.BaseTransport):
    """A sync transport for an ASGI app, run on ``loop``."""

    def __init__(self, app: Any, loop: LoopThread) -> None:
        self.inner, self.loop = httpx.ASGITransport(app=app), loop

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        async def call() -> httpx.Response:
            response = await self.inner.handle_async_request(request)
            body = await response.aread()
            return httpx.Response(response.status_code, headers=response.headers, content=body)

        return self.loop.run(call())


class _Router(httpx.BaseTransport):
    def __init__(self, routes: dict[str, httpx.BaseTransport]) -> None:
        self.routes = routes

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self.routes[request.url.netloc.decode()].handle_request(request)


class SyncWorld:
    """``pool`` (Local Cognito), ``loop`` (the gate's), ``browser`` for the WSGI ``app``."""

    def __init__(self, pool: LocalPool, loop: LoopThread, wsgi_app: Any) -> None:
        self.pool, self.loop, self.app = pool, loop, wsgi_app
        self.browser = self.new_browser()

    def new_browser(self) -> httpx.Client:
        routes: dict[str, httpx.BaseTransport] = {
            urlsplit(self.pool.lc.base_url).netloc: _OnLoop(self.pool.lc.app, self.loop),
            urlsplit(self.pool.app_url).netloc: httpx.WSGITransport(app=self.app),
        }
        return httpx.Client(transport=_Router(routes), base_url=self.pool.app_url, timeout=10)

    def sign_in(self, email: str, password: str, *, return_to: str = "/",
                browser: httpx.Client | None = None) -> httpx.Response:
        """Through the hosted UI; returns the callback's answer (a 303 to ``return_to``)."""
        return hosted_sign_in(browser or self.browser, email, password, return_to)

    def token_calls(self) -> int:
        return int(self.pool.lc.requests["token"])

    def revoke_calls(self) -> int:
        return int(self.pool.lc.requests["revoke"])


@contextmanager
def sync_world(make_app: Callable[[LocalPool, LoopThread], Any]) -> Iterator[SyncWorld]:
    """A fresh pool and loop, and the app ``make_app(pool, loop)`` builds on them."""
    pool, loop = LocalPool(), LoopThread()
    try:
        yield SyncWorld(pool, loop, make_app(pool, loop))
    finally:
        pool.close()
