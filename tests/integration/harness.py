"""An app protected by cognito-gate and Local Cognito, wired together in one process.

``World`` holds both: Local Cognito's ASGI app answers the library's back-channel calls through
``httpx.ASGITransport`` (no mocks: the real provider code runs), and ``world.browser`` is an httpx
client whose transport routes by host — ``localhost:8000`` to the app, Local Cognito's host to the
provider — with one cookie jar, so it behaves like a browser that follows redirects by hand.
One ``ManualClock`` drives both sides; ``world.advance(s)`` moves time for both at once, while
``world.lc.clock.set_offset`` skews only the provider.

``world.backchannel`` records every call the library makes to Local Cognito (request and
response, read after the fact like a network tap — nothing is changed on the way).
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse
from starlette.routing import Mount, Route

from cognito_gate import CognitoAuth, ManualClock, Settings, get_user
from cognito_gate.local import ClientConfig, LocalCognito
from cognito_gate.testing import fast_local_cognito

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


async def _api_user(request: Request) -> JSONResponse:
    """Everything the library tells the app about the user (``User``'s public fields)."""
    user = get_user(request)
    if user is None:
        return JSONResponse({"error": "login_required"}, status_code=401)
    return JSONResponse({
        "issuer": user.issuer, "sub": user.sub, "username": user.username, "email": user.email,
        "email_verified": user.email_verified, "groups": list(user.groups),
        "scopes": sorted(user.scopes), "expires_at": user.expires_at,
    })


async def _api_admin(request: Request) -> JSONResponse:
    """An API route that needs a scope: the app authorises on the verified access token."""
    user = get_user(request)
    if user is None:
        return JSONResponse({"error": "login_required"}, status_code=401)
    if "aws.cognito.signin.user.admin" not in user.scopes:
        return JSONResponse({"error": "insufficient_scope"}, status_code=403)
    return JSONResponse({"admin": True, "sub": user.sub})


async def _cached(request: Request) -> HTMLResponse:
    """A public page whose caching the app decides itself."""
    response = await _home(request)
    response.headers["cache-control"] = "private, max-age=60"
    return response


async def _echo_path(request: Request) -> PlainTextResponse:
    return PlainTextResponse(f"protected content at {request.url.path}")


def sample_app() -> Starlette:
    """The app under test: a public home page (and one that sets its own ``Cache-Control``), a
    protected page and a protected JSON API."""
    return Starlette(routes=[
        Route("/", _home),
        Route("/public", _home, methods=["GET", "POST"]),
        Route("/cached", _cached),
        Route("/protected", _protected, methods=["GET", "HEAD", "POST"]),
        Route("/protected/{rest:path}", _echo_path, methods=["GET", "HEAD", "OPTIONS"]),
        Route("/api/me", _api_me),
        Route("/api/user", _api_user),
        Route("/api/admin", _api_admin),
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


@dataclass(frozen=True)
class Exchange:
    """One back-channel call the library made to Local Cognito, as seen on the wire."""

    method: str
    url: str
    headers: httpx.Headers
    body: bytes
    status: int | None  # None: no answer (the connection failed)
    response: bytes

    @property
    def path(self) -> str:
        return urlsplit(self.url).path

    @property
    def form(self) -> dict[str, list[str]]:
        """The request body as a form (every value of each field)."""
        return parse_qs(self.body.decode(), keep_blank_values=True)

    def basic_auth(self) -> tuple[str, str] | None:
        """(client id, secret) from ``Authorization: Basic``, or None."""
        scheme, _, value = self.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return None
        user, _, password = base64.b64decode(value).decode().partition(":")
        return unquote(user), unquote(password)

    def json(self) -> Any:
        import json

        return json.loads(self.response)


class Recorder(httpx.AsyncBaseTransport):
    """Pass requests through unchanged, keeping a copy of each request and answer."""

    def __init__(self, inner: httpx.AsyncBaseTransport, log: list[Exchange]) -> None:
        self.inner = inner
        self.log = log

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        try:
            response = await self.inner.handle_async_request(request)
            content = await response.aread()
        except Exception:
            self.log.append(Exchange(request.method, str(request.url), request.headers, body,
                                     None, b""))
            raise
        self.log.append(Exchange(request.method, str(request.url), request.headers, body,
                                 response.status_code, content))
        return httpx.Response(response.status_code, headers=response.headers, content=content,
                              extensions=response.extensions)


@dataclass(frozen=True)
class SetCookie:
    """One ``Set-Cookie`` header, parsed: attribute names lower-cased, flags map to ""."""

    raw: str
    name: str
    value: str
    attrs: dict[str, str]

    @property
    def max_age(self) -> int | None:
        return int(self.attrs["max-age"]) if "max-age" in self.attrs else None

    @property
    def deletes(self) -> bool:
        return self.max_age is not None and self.max_age <= 0


def set_cookies(response: httpx.Response) -> list[SetCookie]:
    """Every ``Set-Cookie`` of ``response``, parsed (RFC 6265 §5.2, without the date parsing)."""
    out = []
    for raw in response.headers.get_list("set-cookie"):
        pair, *attributes = raw.split(";")
        name, _, value = pair.partition("=")
        attrs = {}
        for attribute in attributes:
            key, _, val = attribute.partition("=")
            attrs[key.strip().lower()] = val.strip()
        out.append(SetCookie(raw, name.strip(), value.strip(), attrs))
    return out


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
    app_url: str = APP_URL
    backchannel: list[Exchange] = field(default_factory=list)
    router: httpx.AsyncBaseTransport | None = None
    root_path: str = ""  # what the server puts in the scope's root_path (build_world's prefix_by)

    def advance(self, seconds: float) -> None:
        """Move time forward on both sides (the provider follows the app's clock)."""
        self.clock.advance(seconds)

    async def get(self, url: str, **kwargs: Any) -> httpx.Response:
        """One request, no redirect following; relative URLs go to the app."""
        target = url if urlsplit(url).scheme else self.app_url + url
        self.visited.append(target)
        return await self.browser.get(target, **kwargs)

    async def post(self, url: str, **kwargs: Any) -> httpx.Response:
        """One POST, no redirect following; relative URLs go to the app."""
        target = url if urlsplit(url).scheme else self.app_url + url
        self.visited.append(target)
        return await self.browser.post(target, **kwargs)

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
            if netloc(location) == netloc(self.app_url):
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

    def calls(self, path: str) -> list[Exchange]:
        """The back-channel calls to one provider path (``/oauth2/token``…), oldest first."""
        return [e for e in self.backchannel if e.path == path]

    async def sign_out(self, **kwargs: Any) -> httpx.Response:
        """Read the CSRF token from the ``GET /logout`` form and POST it (no redirect followed);
        ``kwargs`` go to the POST (extra headers, say)."""
        import re

        form = await self.get("/logout")
        token = re.search(r'name="csrf" value="([^"]*)"', form.text)
        assert token is not None, form.text
        return await self.post("/logout", data={"csrf": token.group(1)}, **kwargs)

    def another_browser(self) -> World:
        """The same app and provider seen from a second browser (its own cookie jar)."""
        assert self.router is not None
        browser = httpx.AsyncClient(transport=self.router, timeout=10)
        return replace(self, browser=browser, visited=[])

    async def raw(self, method: str, raw_path: str,
                  headers: Sequence[tuple[str, str]] = ()) -> tuple[int, httpx.Headers, bytes]:
        """Call the app's ASGI callable with exactly this path (httpx would normalise ``..``),
        with the browser's cookies for the app; as a server passes it: ``path`` decoded."""
        path, _, query = raw_path.partition("?")
        cookie = "; ".join(f"{k}={v}" for k, v in self.app_cookies().items())
        head = [(k.lower().encode(), v.encode()) for k, v in headers]
        if cookie:
            head.append((b"cookie", cookie.encode()))
        return await call_asgi(self.app, method, unquote(path), raw_path=path.encode(),
                               query=query.encode(), scheme=urlsplit(self.app_url).scheme,
                               headers=[(b"host", netloc(self.app_url).encode()), *head],
                               root_path=self.root_path)

    async def aclose(self) -> None:
        await self.browser.aclose()
        await self.provider_http.aclose()
        self.lc.close()


async def call_asgi(app: Any, method: str, path: str, *, raw_path: bytes, query: bytes,
                    headers: Sequence[tuple[bytes, bytes]], scheme: str = "http",
                    root_path: str = "") -> tuple[int, httpx.Headers, bytes]:
    """One request with an empty body straight into an ASGI callable, its scope exactly as
    given — no client in between to normalise or refuse anything — as a server would pass it."""
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": method, "scheme": scheme, "path": path, "raw_path": raw_path,
             "query_string": query, "root_path": root_path, "headers": list(headers),
             "server": ("localhost", 8000), "client": ("127.0.0.1", 50000)}
    started: dict[str, Any] = {}
    body = bytearray()

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            started.update(message)
        elif message["type"] == "http.response.body":
            body.extend(message.get("body", b""))

    await app(scope, receive, send)
    headers_out = httpx.Headers([(k.decode("latin-1"), v.decode("latin-1"))
                                 for k, v in started.get("headers", [])])
    return started["status"], headers_out, bytes(body)


def build_world(*, protect: Sequence[str] | Mapping[str, Any] = ("/protected", "/api"),
                client: ClientConfig | None = None, lc: LocalCognito | None = None,
                settings_overrides: Mapping[str, Any] | None = None,
                auth_kwargs: Mapping[str, Any] | None = None, app_url: str = APP_URL,
                clock: ManualClock | None = None,
                make_app: Callable[[Settings, httpx.AsyncClient, ManualClock], Any] | None = None,
                prefix: str = "", prefix_by: str = "mount") -> World:
    """Wire Local Cognito (demo pool unless ``lc`` is given) and the sample app together.

    ``protect``: prefixes, or ``{prefix: rule}`` (``groups(…)``, ``scopes(…)``, ``signed_in``).
    ``client``: use this app client instead of the demo one (it is registered with the pool and
    must list ``app_url + "/callback/"`` as a callback URL). ``app_url``: the app's origin
    (``https://…`` gives ``__Host-`` cookies; pair it with such a client). ``clock``: the app's
    clock — pass the one ``lc`` was built on when sharing a pool between worlds. ``make_app``:
    build the app from the settings, back-channel client and clock instead (the demo app).
    ``prefix``: serve the wrapped app under this path instead of at the root, ``prefix_by``
    ``"mount"`` (Starlette ``Mount(prefix, app)`` in an outer app) or ``"root_path"`` (the server
    sets ``root_path``, as ``uvicorn --root-path`` behind a proxy that strips the prefix); the
    world's relative URLs then go under the prefix.
    """
    clock = clock or ManualClock()
    lc = lc or fast_local_cognito(clock=clock.now)
    if client is not None:
        lc.add_client(client)
    else:
        client = lc.demo_client
    provider = httpx.ASGITransport(app=lc.app)
    backchannel: list[Exchange] = []
    provider_http = httpx.AsyncClient(transport=Recorder(provider, backchannel), timeout=5)
    settings = Settings(
        domain=lc.base_url,
        client_id=client.client_id,
        client_secret=client.client_secret or "",
        user_pool_id=lc.pool_id,
        issuer=lc.issuer,
        app_url=app_url,
        session_secret=(SECRET,),
        scopes=("openid", "email", "phone", "profile"),
        **dict(settings_overrides or {}),
    )
    rules = protect if isinstance(protect, Mapping) else tuple(protect)
    auth = CognitoAuth(settings, protect=rules, http=provider_http, clock=clock,
                       **dict(auth_kwargs or {}))
    app = make_app(settings, provider_http, clock) if make_app else auth.wrap(sample_app())
    if prefix and prefix_by == "mount":
        app = Starlette(routes=[Mount(prefix, app=app)])
    root_path = prefix if prefix_by == "root_path" else ""
    router = HostRouter({
        netloc(app_url): httpx.ASGITransport(app=app, root_path=root_path),
        netloc(lc.base_url): provider,
    })
    browser = httpx.AsyncClient(transport=router, timeout=10)
    return World(lc=lc, auth=auth, clock=clock, app=app, browser=browser,
                 provider_http=provider_http, client=client, app_url=app_url + prefix,
                 backchannel=backchannel, router=router, root_path=root_path)


@dataclass
class SharedPool:
    """One Local Cognito (and the clock it runs on) shared by many worlds."""

    lc: LocalCognito
    clock: ManualClock


@contextmanager
def open_shared_pool(*clients: ClientConfig) -> Iterator[SharedPool]:
    """A fresh pool on its own ``ManualClock``, with these extra app clients; closed on exit."""
    clock = ManualClock()
    lc = fast_local_cognito(clock=clock.now)
    for client in clients:
        lc.add_client(client)
    try:
        yield SharedPool(lc, clock)
    finally:
        lc.close()


@asynccontextmanager
async def worlds_on(pool: SharedPool) -> AsyncIterator[Callable[..., World]]:
    """``make(**build_world_kwargs)`` → a world on ``pool`` (its own app, browser, caches).
    Faults are off and request counts cleared on entry; on exit faults are reset and the worlds'
    clients closed (the pool stays open)."""
    lc = pool.lc
    lc.faults.reset()
    lc.requests.clear()
    made: list[World] = []

    def make(**kwargs: Any) -> World:
        made.append(build_world(lc=lc, clock=pool.clock, **kwargs))
        return made[-1]

    try:
        yield make
    finally:
        lc.faults.reset()
        for w in made:
            await w.browser.aclose()
            await w.provider_http.aclose()


ATTACKER = "attacker@example.com"
ATTACKER_PASSWORD = "Attacker-password-1"


def ensure_attacker(w: World) -> None:
    """A second, genuine user of the pool: the attacker signing in with their own account."""
    if w.lc.user(ATTACKER) is None:
        w.lc.add_user(ATTACKER, ATTACKER_PASSWORD)


async def whoami(w: World) -> str | None:
    """The signed-in user's email as the app's JSON API sees it, or None (401)."""
    me = await w.get("/api/me", headers={"accept": "application/json"})
    assert me.status_code in (200, 401), me.text
    return me.json()["email"] if me.status_code == 200 else None
