"""The middleware's hot path: the session cache's wiring, no-store on protected responses (LO-02)
and what the send wrappers may and may not change in the app's own objects."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from cognito_gate import CognitoAuth, ManualClock, get_user
from cognito_gate.core.authenticate import Authenticated
from cognito_gate.core.session import SessionData
from cognito_gate.core.user import User
from conftest import FakeCognito, make_settings

APP = "https://app.example.com"
SHARED = PlainTextResponse("shared")  # one response object served again and again


async def shared(request: Request) -> Response:
    return SHARED


async def whoami(request: Request) -> Response:
    user = get_user(request)
    return PlainTextResponse(user.email or "" if user else "anonymous")


async def sign_in(client: httpx.AsyncClient, cognito: FakeCognito) -> None:
    login = await client.get("/login", params={"return_to": "/protected"})
    code, state = cognito.issue_code(login.headers["location"])
    done = await client.get("/callback/", params={"code": code, "state": state})
    assert done.status_code == 303


@pytest.fixture
def auth(http: httpx.AsyncClient, clock: ManualClock) -> CognitoAuth:
    return CognitoAuth(make_settings(), http=http, clock=clock, protect=("/protected",))


def client_for(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=APP)


async def test_second_request_is_served_from_the_session_cache(auth: CognitoAuth,
                                                                cognito: FakeCognito):
    app = auth.wrap(Starlette(routes=[Route("/protected", whoami)]))
    async with client_for(app) as client:
        await sign_in(client, cognito)
        first = await client.get("/protected")
        assert len(auth.hot) == 1
        auth.verifier._cache = type(auth.verifier._cache)(0)  # the hot path needs no verifier
        second = await client.get("/protected")
    assert first.text == second.text == "demo@example.com"
    assert second.headers["cache-control"] == "no-store"


async def test_cookies_split_over_two_headers_still_sign_in(auth: CognitoAuth,
                                                            cognito: FakeCognito):
    """HTTP/2 may send one Cookie header per cookie: the hot path leaves that to _handle, which
    joins them (and finds the cached session the careful way)."""
    app = auth.wrap(Starlette(routes=[Route("/protected", whoami)]))
    async with client_for(app) as client:
        await sign_in(client, cognito)
        assert (await client.get("/protected")).text == "demo@example.com"
        pairs = [f"{name}={value}" for name, value in client.cookies.items()]
        client.cookies.clear()
        split = [("cookie", pair) for pair in [*pairs, "theme=dark"]]
        response = await client.get("/protected", headers=split)
    assert response.text == "demo@example.com"
    assert response.headers["cache-control"] == "no-store"


async def test_LO_02_no_store_replaces_the_apps_cache_control_whatever_its_case(
    auth: CognitoAuth, cognito: FakeCognito
):
    async def raw(scope: Scope, receive: Receive, send: Send) -> None:
        headers = ((b"Cache-Control", b"public, max-age=600"), (b"content-length", b"2"))
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"ok"})

    async with client_for(auth.wrap(raw)) as client:
        await sign_in(client, cognito)
        for _ in range(2):  # verified, then from the session cache
            page = await client.get("/protected")
            assert page.headers.get_list("cache-control") == ["no-store"]
        public = await client.get("/elsewhere")
    assert public.headers.get_list("cache-control") == ["public, max-age=600"]


async def test_a_response_object_served_again_gets_no_pile_up_and_keeps_no_cookies(
    auth: CognitoAuth, cognito: FakeCognito, clock: ManualClock
):
    app = auth.wrap(Starlette(routes=[Route("/protected", shared), Route("/public", shared)]))
    async with client_for(app) as client:
        await sign_in(client, cognito)
        for _ in range(3):
            page = await client.get("/protected")
            assert page.headers.get_list("cache-control") == ["no-store"]
        clock.advance(3600 - 30)  # due for refresh: new session cookies on this response
        refreshed = await client.get("/protected")
        assert refreshed.headers.get_list("set-cookie")
        client.cookies.clear()
        stranger = await client.get("/public")
    assert not stranger.headers.get_list("set-cookie")
    assert [k for k, _ in SHARED.raw_headers].count(b"cache-control") <= 1
    assert b"set-cookie" not in [k for k, _ in SHARED.raw_headers]


async def test_LO_04_a_session_signed_out_during_its_verification_is_not_cached(
        auth: CognitoAuth):
    """Sign-out drops the session's cache entries; a request that was still verifying the
    session at that moment must not put it back."""
    now = auth.clock.now()
    user = User(sub="s", username="u", email=None, email_verified=False, groups=(),
                expires_at=now + 3600, issuer="https://issuer", claims={}, access_claims={})
    header = b"__Host-cg.0=1." + b"A" * 80
    ended = SessionData("sid-1", "id", "access", "refresh", now)
    await auth.end_session(ended)
    auth.remember(header, Authenticated(ended, user, "csrf", now + 60, False))
    assert len(auth.hot) == 0
    live = SessionData("sid-2", "id", "access", "refresh", now)
    auth.remember(header, Authenticated(live, user, "csrf", now + 60, False))
    assert len(auth.hot) == 1


@pytest.mark.parametrize(("over", "sessions", "claims"), [
    ({}, 100_000, 100_000),
    ({"claims_cache_size": 0}, 0, 0),  # 0 still turns off every verified-result cache
    ({"session_cache_size": 500}, 500, 100_000),
    ({"claims_cache_size": 0, "session_cache_size": 500}, 500, 0),
])
def test_session_cache_size_defaults_to_the_claims_cache_size(
    http: httpx.AsyncClient, over: dict[str, int], sessions: int, claims: int
):
    auth = CognitoAuth(make_settings(**over), http=http)
    assert (auth.hot.maxsize, auth.verifier._cache.maxsize) == (sessions, claims)


async def test_an_anonymous_request_to_a_public_path_skips_the_slow_path(auth: CognitoAuth):
    """No cookie and no Authorization: the app gets the server's own ``send`` and the user key
    (None), and nothing of ``_handle`` runs — the cheapest thing the middleware does."""
    seen: dict[str, Any] = {}

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.update(user=scope["cognito_gate.user"], send=send)

    middleware = auth.wrap(app)

    async def no_slow_path(*args: Any) -> None:
        raise AssertionError("an anonymous public request went through _handle")

    middleware._handle = no_slow_path  # type: ignore[attr-defined]

    async def send(message: Any) -> None:
        return None

    scope = {"type": "http", "method": "GET", "path": "/public", "root_path": "",
             "headers": [(b"host", b"app.example.com")]}
    await middleware(scope, None, send)  # type: ignore[arg-type]
    assert seen == {"user": None, "send": send}


@pytest.mark.parametrize(("path", "headers"), [
    ("/protected", []),                                   # must be denied
    ("/protected/../protected", []),                      # ProtectedPaths' careful test
    ("/login", []),                                       # the library's own route
    ("/public", [(b"authorization", b"Bearer x.y.z")]),   # a bearer token to check
])
async def test_anonymous_requests_that_need_a_decision_still_take_the_slow_path(
        auth: CognitoAuth, path: str, headers: list[tuple[bytes, bytes]]):
    middleware = auth.wrap(Starlette())
    calls: list[str] = []

    async def slow(scope: Scope, receive: Receive, send: Send) -> None:
        calls.append(scope["path"])

    middleware._handle = slow  # type: ignore[attr-defined]
    scope = {"type": "http", "method": "GET", "path": path, "root_path": "", "headers": headers}
    await middleware(scope, None, None)  # type: ignore[arg-type]
    assert calls == [path]
