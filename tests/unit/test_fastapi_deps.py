"""FastAPI dependencies: require_user's 401 has the middleware's JSON shape after auth.wrap().

No ``from __future__ import annotations`` here: FastAPI must evaluate the endpoints' annotations,
which name the local ``auth``.
"""

from typing import Annotated

import httpx
from fastapi import Depends, FastAPI

from cognito_gate import CognitoAuth, Settings, User


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
