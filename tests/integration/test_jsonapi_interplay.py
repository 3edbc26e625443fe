"""One pool, two faces: what an admin does through the JSON API (real boto3, Local Cognito on a
loopback socket) is what the app (the library, via the harness) sees at the hosted UI and at its
next refresh — no fault switches, no stand-ins."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import boto3
import pytest

from cognito_gate import groups, signed_in
from cognito_gate.local.server import run_in_thread

from . import expect
from .forge import tokens_of
from .harness import DEMO_EMAIL, World, build_world, netloc

API = {"accept": "application/json"}
LIFETIME = 3600
ISSUER_BASE = "http://127.0.0.1:9229"  # the pool's domain as the world reaches it


@pytest.fixture
async def served() -> AsyncIterator[tuple[World, Any]]:
    """A world whose Local Cognito app also listens on a loopback socket, and a boto3 client
    pointed at it: the world reaches the provider in-process, boto3 over the socket; one pool,
    one clock. (Not ``lc.serve()``, which would move the pool's URLs to the bound port.)"""
    world = build_world(protect={"/protected": signed_in, "/api": signed_in,
                                 "/protected/editors": groups("editors")})
    try:
        with run_in_thread(world.lc.app, "127.0.0.1", 0) as url:
            idp = boto3.client("cognito-idp", endpoint_url=url, region_name="us-east-1",
                               aws_access_key_id="x", aws_secret_access_key="x")
            yield world, idp
    finally:
        await world.aclose()


@pytest.fixture
def pool(served: tuple[World, Any]) -> str:
    return served[0].lc.pool_id


async def _post_form(world: World, page: Any, fields: dict[str, str]) -> Any:
    csrf = re.search(r'name="_csrf" value="([^"]+)"', page.text)
    assert csrf, page.text
    return await world.browser.post(str(page.url), data={**fields, "_csrf": csrf.group(1)})


async def test_admin_created_user_changes_the_temporary_password_then_the_app_signs_in(
        served: tuple[World, Any], pool: str) -> None:
    world, idp = served
    idp.admin_create_user(UserPoolId=pool, Username="ada@example.com",
                          TemporaryPassword="Temp-pass-123", MessageAction="SUPPRESS")
    change = await world.sign_in("/protected", email="ada@example.com", password="Temp-pass-123")
    assert change.status_code == 200
    assert netloc(str(change.url)) == netloc(ISSUER_BASE)
    assert "/changePassword" in str(change.url)
    assert "Change your password" in change.text
    posted = await _post_form(world, change, {"username": "ada@example.com",
                                              "password": "Ada-password-1",
                                              "confirm_password": "Ada-password-1"})
    assert posted.status_code == 302
    page = await world.follow(str(posted.url.join(posted.headers["location"])))
    assert page.status_code == 200
    assert "secret page for ada@example.com" in page.text
    user = idp.admin_get_user(UserPoolId=pool, Username="ada@example.com")
    assert user["UserStatus"] == "CONFIRMED"


async def test_admin_disable_user_ends_the_apps_session_at_its_next_refresh(
        served: tuple[World, Any], pool: str) -> None:
    world, idp = served
    await expect.signed_in(world)
    idp.admin_disable_user(UserPoolId=pool, Username=DEMO_EMAIL)
    assert (await world.get("/api/me", headers=API)).status_code == 200  # until the refresh
    world.advance(LIFETIME)
    assert (await world.get("/api/me", headers=API)).status_code == 401
    assert world.calls("/oauth2/token")[-1].json() == {"error": "invalid_grant"}
    login = await world.follow(await world.start_sign_in("/protected"))
    assert "/login?" in str(login.url)  # the hosted-UI session no longer counts
    again = await _post_form(world, login, {"username": DEMO_EMAIL, "password": "Demo-password-1"})
    assert again.status_code == 400
    assert "User is disabled." in again.text


async def test_admin_user_global_sign_out_revokes_the_apps_tokens(
        served: tuple[World, Any], pool: str) -> None:
    world, idp = served
    await expect.signed_in(world)
    tokens = await tokens_of(world)
    idp.admin_user_global_sign_out(UserPoolId=pool, Username=DEMO_EMAIL)
    userinfo = await world.provider_http.get(
        f"{ISSUER_BASE}/oauth2/userInfo",
        headers={"Authorization": f"Bearer {tokens.access_token}"})
    assert userinfo.status_code == 401
    assert "globally signed out" in userinfo.headers["www-authenticate"]
    world.advance(LIFETIME)
    assert (await world.get("/api/me", headers=API)).status_code == 401
    assert world.calls("/oauth2/token")[-1].json() == {"error": "invalid_grant"}


async def test_admin_add_user_to_group_shows_at_the_next_sign_in(
        served: tuple[World, Any], pool: str) -> None:
    world, idp = served
    idp.create_group(UserPoolId=pool, GroupName="editors")
    await expect.signed_in(world)
    assert (await world.get("/protected/editors")).status_code == 403
    idp.admin_add_user_to_group(UserPoolId=pool, Username=DEMO_EMAIL, GroupName="editors")
    assert (await world.get("/protected/editors")).status_code == 403  # the old tokens
    await world.sign_out()
    fresh = world.another_browser()
    await expect.signed_in(fresh)
    me = (await fresh.get("/api/me", headers=API)).json()
    assert sorted(me["groups"]) == ["editors", "readers"]
    page = await fresh.get("/protected/editors")  # the library's group rule lets it through
    assert page.status_code == 200
    assert page.text == "protected content at /protected/editors"
