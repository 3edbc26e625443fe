"""Authorization by group and scope, against Local Cognito through the testing plugin: FastAPI
dependencies, middleware rules for plain ASGI apps, machine callers, and 403 ``forbidden``."""

from typing import Annotated, Any

import pytest
from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, PlainTextResponse
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from cognito_gate import (
    CognitoAuth,
    Machine,
    User,
    get_caller,
    get_user,
    groups,
    scopes,
    signed_in,
)
from cognito_gate.testing import LocalPool

JSON = {"accept": "application/json"}
Caller = User | Machine


def fastapi_app(auth: CognitoAuth) -> FastAPI:
    api = FastAPI()

    @api.get("/admin", response_class=HTMLResponse)
    async def admin(user: Annotated[User, Depends(auth.require_groups("admins"))]) -> str:
        return f"admin page for {user.sub}"

    @api.get("/api/editors")
    async def editors(
            user: Annotated[User, Depends(auth.require_groups("editors", "admins", all=True))],
    ) -> dict[str, Any]:
        return {"sub": user.sub}

    @api.get("/api/orders")
    async def orders(caller: Annotated[Caller, Depends(auth.require_scopes("orders/read"))],
                     ) -> dict[str, Any]:
        kind = "machine" if isinstance(caller, Machine) else "user"
        who = caller.client_id if isinstance(caller, Machine) else caller.sub
        return {"kind": kind, "who": who}

    @api.get("/api/any-scope")
    async def any_scope(caller: Annotated[Caller, Depends(auth.require_scopes(
            "orders/read", "orders/write", any=True))]) -> dict[str, Any]:
        return {"ok": True}

    return api


@pytest.fixture
def app(local_cognito: LocalPool) -> Any:
    auth = local_cognito.auth(protect=("/account",))
    return auth.wrap(fastapi_app(auth))


# ---------------------------------------------------------------- FastAPI dependencies


async def test_require_groups_lets_a_member_in_and_returns_the_user(
        app: Any, local_cognito: LocalPool, cognito_user: Any) -> None:
    ada = cognito_user(groups=["admins"])
    client = await local_cognito.signed_in(app, ada)
    page = await client.get("/admin")
    assert (page.status_code, page.text) == (200, f"admin page for {ada.sub}")


async def test_a_signed_in_non_member_gets_a_403_page_and_api_callers_json(
        app: Any, local_cognito: LocalPool, cognito_user: Any) -> None:
    client = await local_cognito.signed_in(app, cognito_user(groups=["readers"]))
    page = await client.get("/admin")
    assert page.status_code == 403
    assert page.headers["content-type"].startswith("text/html")
    assert "Not allowed" in page.text
    api = await client.get("/admin", headers=JSON)
    assert api.status_code == 403
    assert api.json()["error"] == "forbidden"


async def test_an_anonymous_visitor_is_sent_to_sign_in_and_an_api_caller_gets_401(
        app: Any, local_cognito: LocalPool) -> None:
    client = local_cognito.client(app)
    page = await client.get("/admin")
    assert page.status_code == 303
    assert page.headers["location"] == "http://localhost:8000/login?return_to=/admin"
    api = await client.get("/admin", headers=JSON)
    assert (api.status_code, api.json()["error"]) == (401, "login_required")


async def test_groups_all_needs_every_group(app: Any, local_cognito: LocalPool,
                                            cognito_user: Any, bearer_token: Any) -> None:
    client = local_cognito.client(app)
    both = cognito_user(groups=["editors", "admins"])
    one = cognito_user(groups=["editors"])
    ok = await client.get("/api/editors", headers={"authorization": f"Bearer {bearer_token(both)}"})
    no = await client.get("/api/editors", headers={"authorization": f"Bearer {bearer_token(one)}"})
    assert (ok.status_code, no.status_code) == (200, 403)


async def test_require_scopes_accepts_a_machine_caller_distinct_from_a_user(
        app: Any, local_cognito: LocalPool, cognito_machine: Any, bearer_token: Any) -> None:
    robot = cognito_machine(scopes=["orders/read"])
    answer = await local_cognito.client(app).get(
        "/api/orders", headers={"authorization": f"Bearer {bearer_token(robot)}"})
    assert answer.status_code == 200
    assert answer.json() == {"kind": "machine", "who": robot.client_id}


async def test_require_scopes_accepts_a_user_token_with_the_scope(
        app: Any, local_cognito: LocalPool, cognito_user: Any, bearer_token: Any) -> None:
    ada = cognito_user()
    token = bearer_token(ada, scopes=["openid", "orders/read"])
    answer = await local_cognito.client(app).get(
        "/api/orders", headers={"authorization": f"Bearer {token}"})
    assert answer.json() == {"kind": "user", "who": ada.sub}


async def test_scopes_are_all_by_default_and_any_when_asked(
        app: Any, local_cognito: LocalPool, cognito_machine: Any, bearer_token: Any) -> None:
    writer = cognito_machine(scopes=["orders/write"])
    headers = {"authorization": f"Bearer {bearer_token(writer)}", **JSON}
    client = local_cognito.client(app)
    refused = await client.get("/api/orders", headers=headers)
    assert (refused.status_code, refused.json()["error"]) == (403, "forbidden")
    assert (await client.get("/api/any-scope", headers=headers)).status_code == 200


async def test_a_machine_never_passes_a_group_requirement(
        app: Any, local_cognito: LocalPool, cognito_machine: Any, bearer_token: Any) -> None:
    robot = cognito_machine(scopes=["orders/read"])
    answer = await local_cognito.client(app).get(
        "/admin", headers={"authorization": f"Bearer {bearer_token(robot)}", **JSON})
    assert (answer.status_code, answer.json()["error"]) == (403, "forbidden")


async def test_groups_come_only_from_a_verified_token(
        app: Any, local_cognito: LocalPool, cognito_user: Any, bearer_token: Any) -> None:
    mallory = cognito_user(groups=["readers"])
    local_cognito.faults.access_token(claims={"cognito:groups": ["admins"]},
                                      sign="foreign_key")
    forged = bearer_token(mallory)  # says "admins", signed by a key the pool never published
    answer = await local_cognito.client(app).get(
        "/admin", headers={"authorization": f"Bearer {forged}", **JSON})
    assert (answer.status_code, answer.json()["error"]) == (401, "login_required")


async def test_a_user_token_of_another_app_client_is_no_machine(
        app: Any, local_cognito: LocalPool, cognito_user: Any) -> None:
    from cognito_gate.local import ClientConfig

    local_cognito.declare_scopes(["orders/read"])
    other = local_cognito.lc.add_client(ClientConfig(
        "other-web-app", client_secret="other-secret-123", allowed_scopes=("openid",
                                                                         "orders/read")))
    user = local_cognito.lc.store.user(sub=cognito_user().sub)
    assert user is not None
    lineage = local_cognito.lc.tokens.start_lineage(other, user.sub, ("orders/read",), 0)
    token = local_cognito.lc.tokens.for_user(lineage, user, other).access_token
    answer = await local_cognito.client(app).get(
        "/api/orders", headers={"authorization": f"Bearer {token}", **JSON})
    assert answer.status_code == 401  # has a user name: a user token, and not for our client


# ---------------------------------------------------------------- middleware rules


async def _whoami(request: Any) -> JSONResponse:
    caller = get_caller(request)
    user = get_user(request)
    return JSONResponse({"user": user.sub if user else None,
                         "machine": caller.client_id if isinstance(caller, Machine) else None})


RULES = {"/admin": groups("admins"), "/account": signed_in,
         "/api/reports": scopes("reports/read")}


@pytest.fixture
def plain(local_cognito: LocalPool) -> Any:
    inner = Starlette(routes=[Route("/{path:path}", _whoami)])
    return local_cognito.wrap(inner, protect=RULES)


@pytest.mark.parametrize(("groups_of_user", "status"), [(["admins"], 200), (["readers"], 403)])
async def test_a_rule_guards_a_plain_asgi_app_by_group(
        plain: Any, local_cognito: LocalPool, cognito_user: Any, groups_of_user: list[str],
        status: int) -> None:
    client = await local_cognito.signed_in(plain, cognito_user(groups=groups_of_user))
    first = await client.get("/admin/users")
    again = await client.get("/admin/users")  # the hot path (a cached session) decides alike
    assert (first.status_code, again.status_code) == (status, status)
    assert (await client.get("/account")).status_code == 200


async def test_a_path_trick_cannot_dodge_a_stricter_rule(
        plain: Any, local_cognito: LocalPool, cognito_user: Any) -> None:
    client = await local_cognito.signed_in(plain, cognito_user(groups=["readers"]))
    for tricky in ("/account/..%2fadmin", "/ADMIN", "/account/..;/admin"):
        assert (await client.get(tricky)).status_code == 403, tricky


async def test_a_scope_rule_lets_a_machine_through_but_a_user_only_rule_does_not(
        plain: Any, local_cognito: LocalPool, cognito_machine: Any, bearer_token: Any) -> None:
    robot = cognito_machine(scopes=["reports/read"])
    headers = {"authorization": f"Bearer {bearer_token(robot)}", **JSON}
    client = local_cognito.client(plain)
    reports = await client.get("/api/reports", headers=headers)
    assert reports.json() == {"user": None, "machine": robot.client_id}  # get_user stays None
    account = await client.get("/account", headers=headers)
    assert (account.status_code, account.json()["error"]) == (403, "forbidden")


async def test_an_anonymous_visitor_of_a_rule_is_sent_to_sign_in(
        plain: Any, local_cognito: LocalPool) -> None:
    page = await local_cognito.client(plain).get("/admin")
    assert page.status_code == 303
    assert "/login?return_to=/admin" in page.headers["location"]


def test_the_403_page_is_the_apps_own_when_it_renders_errors(
        local_cognito: LocalPool, cognito_user: Any, cognito_test_client: Any) -> None:
    def render(request: Request, error: Any) -> PlainTextResponse:
        return PlainTextResponse(f"styled: {error.code}", error.status)

    inner = Starlette(routes=[Route("/{path:path}", _whoami)])
    app = local_cognito.wrap(inner, protect=RULES, render_error=render)
    client = cognito_test_client(app, cognito_user(groups=["readers"]))
    page = client.get("/admin")
    assert (page.status_code, page.text) == (403, "styled: forbidden")
