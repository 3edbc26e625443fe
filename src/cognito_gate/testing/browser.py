"""An in-process browser: one cookie jar, requests routed by host to the app or to Local Cognito,
and the real sign-in through it — app ``/login`` → ``/oauth2/authorize`` → hosted sign-in form →
app callback (which exchanges the code at the token endpoint). No cookie is forged: the session
is the one the app itself set."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import httpx
from starlette.types import ASGIApp

from ..local import LocalCognito

__all__ = ["SignInFailed", "browser_for", "sign_in"]

_CSRF = re.compile(r'name="_csrf" value="([^"]+)"')


class SignInFailed(AssertionError):
    """The sign-in did not end with the app's callback setting a session."""


class _HostRouter(httpx.AsyncBaseTransport):
    def __init__(self, routes: dict[str, httpx.AsyncBaseTransport]) -> None:
        self._routes = routes

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        transport = self._routes.get(request.url.netloc.decode())
        if transport is None:
            raise httpx.ConnectError(f"no in-process server at {request.url}", request=request)
        return await transport.handle_async_request(request)


def browser_for(app: ASGIApp, app_url: str, lc: LocalCognito) -> httpx.AsyncClient:
    """A client whose relative URLs go to ``app`` (at ``app_url``) and whose requests to the
    pool's domain go to Local Cognito; redirects are not followed (tests see every hop)."""
    routes: dict[str, httpx.AsyncBaseTransport] = {
        urlsplit(lc.base_url).netloc: httpx.ASGITransport(app=lc.app),
        urlsplit(app_url).netloc: httpx.ASGITransport(app=app),
    }
    return httpx.AsyncClient(transport=_HostRouter(routes), base_url=app_url, timeout=10)


async def sign_in(browser: httpx.AsyncClient, email: str, password: str, *,
                  login_path: str = "/login", return_to: str = "/") -> None:
    """Sign ``browser`` in as ``email`` through the hosted UI; stop at the callback's redirect
    to ``return_to`` (not fetched). Raises SignInFailed with the page that went wrong."""
    hop = await browser.get(login_path, params={"return_to": return_to})
    for _ in range(5):  # app /login → authorize → hosted /login
        if not hop.is_redirect:
            break
        hop = await browser.get(hop.url.join(hop.headers["location"]))
    match = _CSRF.search(hop.text) if hop.status_code == 200 else None
    if match is None:
        raise SignInFailed(f"no hosted sign-in form at {hop.url}: {hop.status_code}\n{hop.text}")
    posted = await browser.post(hop.url, data={
        "username": email, "password": password, "_csrf": match.group(1)})
    if not posted.is_redirect:
        raise SignInFailed(f"the hosted UI refused the sign-in: {posted.status_code}\n"
                           f"{posted.text}")
    callback = await browser.get(posted.url.join(posted.headers["location"]))
    if not callback.is_redirect or not callback.headers.get_list("set-cookie"):
        raise SignInFailed(f"the app's callback did not sign in: {callback.status_code}\n"
                           f"{callback.text}")
