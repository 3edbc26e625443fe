"""The library signed in through a federated user (issue 15 item 3): the app's visitor picks
"Sign in with Google" on Local Cognito's hosted UI, answers the simulated IdP, and comes back
signed in; what the app is handed carries Cognito's federation claims (``identities``, the
``{poolId}_Google`` group, the ``Google_{sub}`` username)."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from cognito_gate import CognitoAuth, ManualClock, Settings, get_user

from .harness import World, build_world, netloc

SUBJECT = "104242424242424242424"


async def _me(request: Request) -> JSONResponse:
    user = get_user(request)
    assert user is not None
    return JSONResponse({
        "username": user.username, "email": user.email, "groups": list(user.groups),
        "identities": user.claims.get("identities"),
    })


def _app(settings: Settings, http: httpx.AsyncClient, clock: ManualClock) -> Any:
    auth = CognitoAuth(settings, protect=("/protected",), http=http, clock=clock)
    return auth.wrap(Starlette(routes=[Route("/protected", _me)]))


@pytest.fixture
async def world() -> AsyncIterator[World]:
    w = build_world(make_app=_app)
    try:
        yield w
    finally:
        await w.aclose()


async def sign_in_with_google(world: World) -> httpx.Response:
    """/protected → hosted UI → its "Sign in with Google" link → the simulated IdP's form,
    posted → back at the app, following every redirect."""
    login = await world.follow("/protected")
    assert str(login.url).startswith(world.lc.base_url + "/login?")
    button = re.search(r'href="(/oauth2/authorize\?[^"]+)"[^>]*>.*?Sign in with Google', login.text)
    assert button, "no Google button on the hosted sign-in page"
    idp_page = await world.follow(str(login.url.join(html.unescape(button.group(1)))))
    assert netloc(str(idp_page.url)) == netloc(world.lc.base_url)
    assert "/_idp/Google/authorize" in str(idp_page.url)
    action = re.search(r'<form method="post" action="([^"]+)" novalidate', idp_page.text)
    csrf = re.search(r'name="_csrf" value="([^"]+)"', idp_page.text)
    assert action
    assert csrf
    posted = await world.browser.post(
        str(idp_page.url.join(html.unescape(action.group(1)))),
        data={"_csrf": csrf.group(1), "provider": "Google", "claim:sub": SUBJECT,
              "claim:email": "casey@gmail.example", "claim:email_verified": "true",
              "claim:name": "Casey Example"},
    )
    assert posted.status_code == 302, posted.text
    return await world.follow(str(posted.url.join(posted.headers["location"])))


async def test_federated_user_signs_in_through_the_middleware(world: World) -> None:
    page = await sign_in_with_google(world)
    assert page.status_code == 200, page.text
    assert str(page.url) == world.app_url + "/protected"
    me = page.json()
    assert me["username"] == f"Google_{SUBJECT}"
    assert me["email"] == "casey@gmail.example"
    assert me["groups"] == [f"{world.lc.pool_id}_Google"]
    (identity,) = me["identities"]
    assert identity["providerName"] == "Google"
    assert identity["userId"] == SUBJECT


async def test_federated_session_refreshes_like_any_other(world: World) -> None:
    await sign_in_with_google(world)
    world.advance(3700)  # the access token has expired: the middleware refreshes it
    again = await world.get("/protected")
    assert again.status_code == 200
    assert again.json()["identities"][0]["userId"] == SUBJECT
    assert len(world.calls("/oauth2/token")) == 2
