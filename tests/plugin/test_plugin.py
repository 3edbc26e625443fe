"""The pytest plugin ``cognito_gate.testing``: its fixtures, used the way a user's suite uses them
(no conftest here: the fixtures come from the ``pytest11`` entry point)."""

from __future__ import annotations

import base64
import json
from importlib.metadata import entry_points
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from cognito_gate import get_user
from cognito_gate.testing import LocalPool, SignInFailed


async def _me(request: Request) -> JSONResponse:
    user = get_user(request)
    if user is None:
        return JSONResponse({"user": None})
    return JSONResponse({"email": user.email, "groups": list(user.groups),
                         "name": user.claims.get("name"), "scopes": sorted(user.scopes)})


INNER = Starlette(routes=[Route("/", _me), Route("/private", _me), Route("/api/me", _me)])


@pytest.fixture
def app(local_cognito: LocalPool) -> Any:
    return local_cognito.wrap(INNER, protect=("/private", "/api"))


def claims_of(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def test_plugin_is_registered_through_the_pytest11_entry_point() -> None:
    plugins = {ep.name: ep.value for ep in entry_points(group="pytest11")}
    assert plugins.get("cognito_gate") == "cognito_gate.testing.plugin"


def test_each_pool_is_fresh_but_reuses_the_signing_keys() -> None:
    first, second = LocalPool(), LocalPool()
    first.user(email="only-here@example.com")
    assert second.lc.user("only-here@example.com") is None
    a, b = (p.lc.keys.signing_key("id") for p in (first, second))
    assert a.private_key is b.private_key  # generated once for the process
    assert a.kid != b.kid
    assert first.lc.keys.signing_key("access").private_key is not a.private_key
    first.close()
    second.close()


def test_test_users_are_hashed_with_scrypt_at_the_test_cost(local_cognito: LocalPool,
                                                           cognito_user: Any) -> None:
    user = cognito_user()
    stored = local_cognito.lc.user(user.email)
    assert stored is not None
    assert stored.password_hash.startswith("scrypt$16$8$1$")


async def test_signed_in_client_went_through_authorize_login_and_the_token_endpoint(
        app: Any, local_cognito: LocalPool, cognito_user: Any, cognito_client: Any) -> None:
    ada = cognito_user(groups=["admins"], attributes={"name": "Ada"})
    client = await cognito_client(app, ada)
    counts = local_cognito.lc.requests
    assert (counts["authorize"], counts["login"], counts["token"]) == (1, 2, 1)
    me = await client.get("/private")
    assert me.status_code == 200
    assert me.json() == {"email": ada.email, "groups": ["admins"], "name": "Ada",
                         "scopes": ["email", "openid", "phone"]}


async def test_an_anonymous_client_is_sent_to_sign_in(app: Any,
                                                      local_cognito: LocalPool) -> None:
    page = await local_cognito.client(app).get("/private")
    assert page.status_code in (302, 303)
    assert "/login" in page.headers["location"]


async def test_a_wrong_password_fails_the_sign_in_with_the_hosted_ui_page(
        app: Any, local_cognito: LocalPool, cognito_user: Any) -> None:
    ada = cognito_user()
    wrong = type(ada)(ada.email, "Wrong-password-9", ada.sub, ada.groups)
    with pytest.raises(SignInFailed, match="Incorrect username or password"):
        await local_cognito.signed_in(app, wrong)


async def test_a_user_bearer_token_is_a_real_access_token_the_app_accepts(
        app: Any, cognito_user: Any, bearer_token: Any, local_cognito: LocalPool) -> None:
    ada = cognito_user(groups=["readers"])
    token = bearer_token(ada, scopes=["openid", "email"])
    claims = claims_of(token)
    assert (claims["sub"], claims["token_use"], claims["cognito:groups"]) == (
        ada.sub, "access", ["readers"])
    me = await local_cognito.client(app).get(
        "/api/me", headers={"authorization": f"Bearer {token}", "accept": "application/json"})
    assert me.status_code == 200
    assert me.json()["scopes"] == ["email", "openid"]


def test_a_machine_bearer_token_has_the_client_as_sub_and_only_allowed_scopes(
        cognito_machine: Any, bearer_token: Any) -> None:
    robot = cognito_machine(scopes=["orders/read", "orders/write"])
    claims = claims_of(bearer_token(robot, scopes=["orders/read"]))
    assert claims["sub"] == claims["client_id"] == robot.client_id
    assert claims["scope"] == "orders/read"
    assert "username" not in claims
    with pytest.raises(ValueError, match="invalid_scope"):
        bearer_token(robot, scopes=["orders/delete"])


async def test_advancing_the_shared_clock_refreshes_the_session(
        app: Any, local_cognito: LocalPool, cognito_user: Any, cognito_client: Any) -> None:
    client = await cognito_client(app, cognito_user())
    local_cognito.advance(3600 - 30)  # inside the refresh margin of the 1 h access token
    page = await client.get("/private")
    assert page.status_code == 200
    assert local_cognito.lc.requests["token"] == 2  # code exchange, then one refresh
    assert page.headers.get_list("set-cookie")


async def test_a_provider_fault_reaches_the_app(
        app: Any, local_cognito: LocalPool, cognito_user: Any, cognito_client: Any) -> None:
    client = await cognito_client(app, cognito_user())
    local_cognito.faults.set("token", status=503)
    local_cognito.advance(3600 + 1)  # expired: the refresh meets the outage
    page = await client.get("/private", headers={"accept": "application/json"})
    assert page.status_code == 503
    assert page.json()["error"] == "provider_unavailable"


def test_the_test_client_flavour_is_signed_in(app: Any, cognito_user: Any,
                                              cognito_test_client: Any) -> None:
    ada = cognito_user()
    client = cognito_test_client(app, ada)
    assert client.get("/private").json()["email"] == ada.email
    assert cognito_test_client(app).get("/").json() == {"user": None}


async def test_an_app_built_from_the_pools_settings_signs_in_too(
        local_cognito: LocalPool, cognito_user: Any) -> None:
    auth = local_cognito.auth(protect=("/private",))
    app = auth.wrap(INNER)
    client = await local_cognito.signed_in(app, cognito_user())
    assert (await client.get("/private")).status_code == 200
    assert isinstance(client, httpx.AsyncClient)
