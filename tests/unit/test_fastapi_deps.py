"""FastAPI dependencies: require_user's 401 has the middleware's JSON shape after auth.wrap().

No ``from __future__ import annotations`` here: FastAPI must evaluate the endpoints' annotations,
which name the local ``auth``.
"""

from typing import Annotated

import httpx
from fastapi import Depends, FastAPI

from cognito_gate import CognitoAuth, ManualClock, Settings, User
from conftest import FakeCognito


def build(settings: Settings, http: httpx.AsyncClient) -> httpx.AsyncClient:
    auth = CognitoAuth(settings, protect=(), http=http)
    api = FastAPI()

    @api.get("/api/me")
    async def me(user: Annotated[User, Depends(auth.require_user)]) -> dict[str, str]:
        return {"sub": user.sub}

    @api.get("/maybe")
    async def maybe(user: Annotated[User | None, Depends(auth.optional_user)]) -> dict[str, bool]:
        return {"signed_in": user is not None}

    app = auth.wrap(api)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=settings.app_url)


async def test_require_user_answers_401_json_like_the_middleware(
    settings: Settings, http: httpx.AsyncClient
) -> None:
    async with build(settings, http) as client:
        response = await client.get("/api/me", headers={"accept": "application/json"})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["error"] == "login_required"
    assert "message" in response.json()


async def test_optional_user_is_none_for_anonymous_requests(
    settings: Settings, http: httpx.AsyncClient
) -> None:
    async with build(settings, http) as client:
        response = await client.get("/maybe")
    assert response.json() == {"signed_in": False}


async def test_RF_07_require_user_answers_503_not_401_while_the_provider_is_down(
    settings: Settings, http: httpx.AsyncClient, cognito: FakeCognito, clock: ManualClock
) -> None:
    """A session whose tokens expired while the token endpoint is down is kept (RF-07); an API
    behind require_user says "try again" (503 + Retry-After), not "sign in" (401)."""
    auth = CognitoAuth(settings, protect=(), http=http, clock=clock)
    api = FastAPI()

    @api.get("/api/me")
    async def me(user: Annotated[User, Depends(auth.require_user)]) -> dict[str, str]:
        return {"sub": user.sub}

    transport = httpx.ASGITransport(app=auth.wrap(api))
    async with httpx.AsyncClient(transport=transport, base_url=settings.app_url) as client:
        login = await client.get("/login", params={"return_to": "/api/me"})
        code, state = cognito.issue_code(login.headers["location"])
        await client.get("/callback/", params={"code": code, "state": state})
        assert (await client.get("/api/me")).status_code == 200
        cognito.token_override = lambda form: httpx.Response(503, json={"error": "server_error"})
        clock.advance(3600 + 120)
        down = await client.get("/api/me", headers={"accept": "application/json"})
    assert down.status_code == 503
    assert down.json()["error"] == "provider_unavailable"
    assert "retry-after" in down.headers
    assert not any("Max-Age=0" in c for c in down.headers.get_list("set-cookie"))
