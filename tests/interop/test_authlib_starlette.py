"""Authlib's Starlette client, configured only through its documented ``register`` options,
signs in against Local Cognito on loopback: discovery, PKCE (S256), the ID token's signature,
issuer, audience and nonce, userInfo, and a refresh-token grant.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from authlib.integrations.starlette_client import OAuth
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .local_op import EMAIL, hosted_ui_sign_in, served

pytestmark = pytest.mark.interop

APP = "http://localhost:8766"
REDIRECT_URI = f"{APP}/callback"


def relying_party(metadata_url: str, client_id: str, client_secret: str) -> Starlette:
    """The app as Authlib's docs write it: register from discovery, redirect, then callback."""
    oauth = OAuth()
    oauth.register(
        "cognito",
        client_id=client_id,
        client_secret=client_secret,
        server_metadata_url=metadata_url,
        client_kwargs={"scope": "openid email profile", "code_challenge_method": "S256"},
    )

    async def login(request: Request) -> Response:
        response: Response = await oauth.cognito.authorize_redirect(request, REDIRECT_URI)
        return response

    async def callback(request: Request) -> Response:
        token: dict[str, Any] = await oauth.cognito.authorize_access_token(request)
        info = await oauth.cognito.userinfo(token=token)
        refreshed = await oauth.cognito.fetch_access_token(
            grant_type="refresh_token", refresh_token=token["refresh_token"]
        )
        return JSONResponse(
            {
                "id_sub": token["userinfo"]["sub"],
                "id_email": token["userinfo"]["email"],
                "id_iss": token["userinfo"]["iss"],
                "userinfo_sub": info["sub"],
                "userinfo_email": info["email"],
                "refreshed": refreshed["access_token"] != token["access_token"],
                "refreshed_has_id_token": "id_token" in refreshed,
            }
        )

    return Starlette(
        routes=[Route("/login", login), Route("/callback", callback)],
        middleware=[Middleware(SessionMiddleware, secret_key="interop-session-key")],
    )


async def test_authlib_starlette_client_signs_in_with_pkce_checks_id_token_and_refreshes() -> None:
    with served(REDIRECT_URI) as (lc, client):
        app = relying_party(
            f"{lc.issuer}/.well-known/openid-configuration",
            client.client_id,
            client.client_secret or "",
        )
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=APP) as rp:
            start = await rp.get("/login")
            assert start.status_code == 302, start.text
            authorize_url = start.headers["location"]
            assert "code_challenge_method=S256" in authorize_url
            callback = hosted_ui_sign_in(authorize_url)
            assert callback.startswith(REDIRECT_URI)
            done = await rp.get(callback.removeprefix(APP))
        assert done.status_code == 200, done.text
        seen = done.json()
        assert seen["id_iss"] == lc.issuer
        assert seen["id_email"] == EMAIL
        assert seen["userinfo_sub"] == seen["id_sub"]
        assert seen["userinfo_email"] == EMAIL
        assert seen["refreshed"] is True
        assert seen["refreshed_has_id_token"] is True
