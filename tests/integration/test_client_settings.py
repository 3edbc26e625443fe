"""The library against Local Cognito app clients with non-default §10 settings
(cognito-behaviour.md §10): a client without token revocation issues tokens with no
``jti``/``origin_jti``, and a client with narrowed read attributes hands the app fewer claims —
the app must still sign in, refresh and sign out."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from cognito_gate import get_user
from cognito_gate.testing import LocalPool, SignInFailed
from cognito_gate.testing.pool import CLIENT_ID


async def _me(request: Request) -> JSONResponse:
    user = get_user(request)
    assert user is not None
    return JSONResponse({"claims": dict(user.claims), "access": dict(user.access_claims)})


@pytest.fixture
def app(local_cognito: LocalPool) -> Any:
    return local_cognito.wrap(Starlette(routes=[Route("/private", _me)]), protect=("/private",))


def _set(local_cognito: LocalPool, **settings: Any) -> None:
    client = local_cognito.lc.clients[CLIENT_ID]
    local_cognito.lc.add_client(dataclasses.replace(client, **settings))


async def test_s10_app_signs_in_and_refreshes_without_token_revocation(
        app: Any, local_cognito: LocalPool, cognito_user: Any, cognito_client: Any) -> None:
    _set(local_cognito, token_revocation=False)
    browser = await cognito_client(app, cognito_user())
    first = await browser.get("/private")
    assert first.status_code == 200
    assert "origin_jti" not in first.json()["claims"]
    assert "jti" not in first.json()["access"]
    local_cognito.advance(3700)  # past the access token: the middleware refreshes
    again = await browser.get("/private")
    assert again.status_code == 200
    assert again.json()["access"]["exp"] > first.json()["access"]["exp"]


async def test_s10_app_gets_only_the_readable_attributes(
        app: Any, local_cognito: LocalPool, cognito_user: Any, cognito_client: Any) -> None:
    readable = ("email", "email_verified", "phone_number", "phone_number_verified")
    _set(local_cognito, read_attributes=readable)
    browser = await cognito_client(app, cognito_user(attributes={"name": "Ada"}))
    claims = (await browser.get("/private")).json()["claims"]
    assert claims["email_verified"] is True
    assert "name" not in claims


async def test_s10_unreadable_scope_attributes_fail_the_sign_in_cleanly(
        app: Any, local_cognito: LocalPool, cognito_user: Any, cognito_client: Any) -> None:
    """The app asks for ``phone``; the client may not read ``phone_number``: Cognito's
    ``invalid_grant`` at the code exchange becomes the app's "start again" page, not a 500."""
    _set(local_cognito, read_attributes=("email", "email_verified"))
    with pytest.raises(SignInFailed, match="code_rejected"):
        await cognito_client(app, cognito_user())
