"""An app protected by cognito-gate and Local Cognito, wired together in one process.

``World`` holds both: Local Cognito's ASGI app answers the library's back-channel calls through
``httpx.ASGITransport`` (no mocks: the real provider code runs), and ``world.browser`` is an httpx
client whose transport routes by host — ``localhost:8000`` to the app, Local Cognito's host to the
provider — with one cookie jar, so it behaves like a browser that follows redirects by hand.
One ``ManualClock`` drives both sides; ``world.advance(s)`` moves time for both at once, while
``world.lc.clock.set_offset`` skews only the provider.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse
from starlette.routing import Route

from cognito_gate import CognitoAuth, ManualClock, Settings, get_user
from cognito_gate.local import ClientConfig, LocalCognito

APP_URL = "http://localhost:8000"
SECRET = "integration-session-secret-0123456789abcdef"
DEMO_EMAIL = "demo@example.com"
DEMO_PASSWORD = "Demo-password-1"


async def _home(request: Request) -> HTMLResponse:
    user = get_user(request)
    who = f"Signed in as {user.email}" if user else "Signed out"
    return HTMLResponse(f"<p id=who>{who}</p>")


async def _protected(request: Request) -> HTMLResponse:
    user = get_user(request)
    assert user is not None, "the middleware let an anonymous request through"
    return HTMLResponse(f"<p id=secret>secret page for {user.email}</p>")


async def _api_me(request: Request) -> JSONResponse:
    user = get_user(request)
    if user is None:
        return JSONResponse({"error": "login_required"}, status_code=401)
    return JSONResponse({"sub": user.sub, "email": user.email, "groups": list(user.groups)})


async def _echo_path(request: Request) -> PlainTextResponse:
    return PlainTextResponse(f"protected content at {request.url.path}")


def sample_app() -> Starlette:
    """The app under test: a public home page, a protected page and a protected JSON API."""
    return Starlette(routes=[
        Route("/", _home),
        Route("/public", _home),
        Route("/protected", _protected, methods=["GET", "HEAD", "POST"]),
        Route("/protected/{rest:path}", _echo_path, methods=["GET", "HEAD", "OPTIONS"]),
        Route("/api/me", _api_me),
    ])


class HostRouter(httpx.AsyncBaseTransport):
    """Send each request to the in-process ASGI app that owns its host:port."""

    def __init__(self, routes: Mapping[str, httpx.AsyncBaseTransport]) -> None:
        self.routes = dict(routes)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        netloc = request.url.netloc.decode()
        if netloc not in self.routes:
            raise httpx.ConnectError(f"no server at {netloc}", request=request)
        return await self.routes[netloc].handle_async_request(request)


def netloc(url: str) -> str:
    return urlsplit(url).netloc


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query, keep_blank_values=True).items()}


@dataclass
class World:
    """Local Cognito + a protected app + a browser, on one clock."""

    lc: LocalCognito
    auth: CognitoAuth
    clock: ManualClock
    app: Any
    browser: httpx.AsyncClient
    provider_http: httpx.AsyncClient
    client: ClientConfig
    visited: list[str] = field(default_factory=list)

    def advance(self, seconds: float) -> None:
        """Move time forward on both sides (the provider follows the app's clock)."""
        self.clock.advance(seconds)

    async def get(self, url: str, **kwargs: Any) -> httpx.Response:
        """One request, no redirect following; relative URLs go to the app."""
        target = url if "://" in url else APP_URL + url
        self.visited.append(target)
        return await self.browser.get(target, **kwargs)

    async def follow(self, url: str, *, limit: int = 10, **kwargs: Any) -> httpx.Response:
        """GET ``url`` and follow redirects across app and provider like a browser."""
        response = await self.get(url, **kwargs)
        for _ in range(limit):
            if response.status_code not in (301, 302, 303, 307, 308):
                return response
            response = await self.get(str(response.url.join(response.headers["location"])))
        raise AssertionError(f"more than {limit} redirects: {self.visited[-limit:]}")

    async def sign_in(self, start: str = "/protected", *, email: str = DEMO_EMAIL,
                      password: str = DEMO_PASSWORD) -> httpx.Response:
        """Visit ``start`` signed out, fill in the hosted sign-in form, follow back to the app.

        Returns the app's final response (after the callback's redirect has been followed).
        """
        response = await self.get(start)
        while response.status_code in (302, 303):
            location = str(response.url.join(response.headers["location"]))
            if netloc(location) == netloc(self.lc.base_url) and "/login" in location \
                    and "code=" not in location:
                page = await self.get(location)
                assert page.status_code == 200, page.text
                return await self.submit_login(page, email, password)
            response = await self.get(location)
        raise AssertionError(f"sign-in never reached the hosted UI: {self.visited[-5:]}")

    async def submit_login(self, page: httpx.Response, email: str,
                           password: str) -> httpx.Response:
        """POST the hosted sign-in form on ``page`` and follow the redirects back to the app."""
        import re

        csrf = re.search(r'name="_csrf" value="([^"]+)"', page.text)
        assert csrf, "the sign-in page has no CSRF field"
        posted = await self.browser.post(str(page.url), data={
            "username": email, "password": password, "_csrf": csrf.group(1)})
        assert posted.status_code in (302, 303), posted.text
        return await self.follow(str(posted.url.join(posted.headers["location"])))

    async def start_sign_in(self, start: str = "/protected") -> str:
        """Begin a sign-in at the app and return the provider URL the browser is sent to."""
        response = await self.get(f"/login?return_to={start}")
        assert response.status_code in (302, 303), response.text
        return response.headers["location"]

    async def code_for(self, authorize_url: str, *, email: str = DEMO_EMAIL,
                       password: str = DEMO_PASSWORD) -> str:
        """Drive the provider from ``authorize_url`` to the redirect back to the app's callback,
        without following it: returns the callback URL (with code and state)."""
        import re

        response = await self.get(authorize_url)
        while response.status_code in (302, 303):
            location = str(response.url.join(response.headers["location"]))
            if netloc(location) == netloc(APP_URL):
                return location
            response = await self.get(location)
        assert response.status_code == 200, response.text
        csrf = re.search(r'name="_csrf" value="([^"]+)"', response.text)
        assert csrf, "no sign-in form"
        posted = await self.browser.post(str(response.url), data={
            "username": email, "password": password, "_csrf": csrf.group(1)})
        assert posted.status_code in (302, 303), posted.text
        return str(posted.url.join(posted.headers["location"]))

    def app_cookies(self) -> dict[str, str]:
        """The cookies the browser holds for the app's host."""
        return {c.name: c.value or "" for c in self.browser.cookies.jar
                if c.domain.lstrip(".") in ("localhost", "localhost.local")}

    async def aclose(self) -> None:
        await self.browser.aclose()
        await self.provider_http.aclose()
        self.lc.close()


def build_world(*, protect: Sequence[str] = ("/protected", "/api"),
                client: ClientConfig | None = None, lc: LocalCognito | None = None,
                settings_overrides: Mapping[str, Any] | None = None,
                auth_kwargs: Mapping[str, Any] | None = None) -> World:
    """Wire Local Cognito (demo pool unless ``lc`` is given) and the sample app together.

    ``client``: use this app client instead of the demo one (it is registered with the pool and
    must list ``APP_URL + "/callback/"`` as a callback URL).
    """
    clock = ManualClock()
    lc = lc or LocalCognito(clock=clock.now)
    if client is not None:
        lc.add_client(client)
    else:
        client = lc.demo_client
    provider = httpx.ASGITransport(app=lc.app)
    provider_http = httpx.AsyncClient(transport=provider, timeout=5)
    settings = Settings(
        domain=lc.base_url,
        client_id=client.client_id,
        client_secret=client.client_secret or "",
        user_pool_id=lc.pool_id,
        issuer=lc.issuer,
        app_url=APP_URL,
        session_secret=(SECRET,),
        scopes=("openid", "email", "phone", "profile"),
        **dict(settings_overrides or {}),
    )
    auth = CognitoAuth(settings, protect=tuple(protect), http=provider_http, clock=clock,
                       **dict(auth_kwargs or {}))
    app = auth.wrap(sample_app())
    router = HostRouter({
        netloc(APP_URL): httpx.ASGITransport(app=app),
        netloc(lc.base_url): provider,
    })
    browser = httpx.AsyncClient(transport=router, timeout=10)
    return World(lc=lc, auth=auth, clock=clock, app=app, browser=browser,
                 provider_http=provider_http, client=client)
