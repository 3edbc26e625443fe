"""What the app is handed about the user is read-only (issue 8, defect 9): ``User.claims`` and
``User.access_claims`` come straight from the verified-claims cache, so an app that changed them
would change what later requests of the same session (or bearer token) see as "verified"."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from cognito_gate import CognitoAuth, ManualClock, Settings, get_user

from .expect import signed_in
from .forge import bearer, tokens_of
from .harness import World

EDITS: dict[str, Callable[[Any], object]] = {
    "claims: set": lambda u: u.claims.__setitem__("email", "admin@evil.example"),
    "claims: delete": lambda u: u.claims.__delitem__("email"),
    "claims: update": lambda u: u.claims.update({"email_verified": False}),
    "claims: pop": lambda u: u.claims.pop("sub"),
    "claims: setdefault": lambda u: u.claims.setdefault("custom:role", "admin"),
    "claims: clear": lambda u: u.claims.clear(),
    "claims: |=": lambda u: u.claims.__ior__({"email": "x"}),
    "access: set scope": lambda u: u.access_claims.__setitem__("scope", "admin"),
    "access: popitem": lambda u: u.access_claims.popitem(),
    "access: nested groups": lambda u: u.access_claims["cognito:groups"].append("admins"),
}


async def _tamper(request: Request) -> JSONResponse:
    """App code that edits what it was given, then reports which edits were refused."""
    user = get_user(request)
    assert user is not None
    refused = []
    for what, edit in EDITS.items():
        try:
            edit(user)
        except (TypeError, AttributeError):
            refused.append(what)
    return JSONResponse({"refused": refused})


async def _claims(request: Request) -> JSONResponse:
    user = get_user(request)
    assert user is not None
    return JSONResponse({"claims": user.claims, "access_claims": user.access_claims})


def _app(settings: Settings, http: httpx.AsyncClient, clock: ManualClock) -> Any:
    auth = CognitoAuth(settings, protect=("/protected", "/api"), http=http, clock=clock)
    return auth.wrap(Starlette(routes=[
        Route("/protected", _claims), Route("/api/tamper", _tamper), Route("/api/claims", _claims),
    ]))


def _with_groups(world: World) -> World:
    world.lc.faults.access_token(claims={"cognito:groups": ["readers"]}, times=1)
    return world


async def test_app_code_cannot_change_the_verified_claims_later_requests_see(
        worlds: Callable[..., World]) -> None:
    world = _with_groups(worlds(make_app=_app))
    await signed_in(world)
    before = (await world.get("/api/claims")).json()
    assert before["access_claims"]["cognito:groups"] == ["readers"]
    tampered = await world.get("/api/tamper")
    assert tampered.status_code == 200
    assert tampered.json()["refused"] == list(EDITS)
    assert (await world.get("/api/claims")).json() == before  # JSON-serialisable, unchanged


async def test_bearer_callers_get_read_only_claims_too(worlds: Callable[..., World]) -> None:
    world = _with_groups(worlds(make_app=_app))
    await signed_in(world)
    access = (await tokens_of(world)).access_token
    before = (await bearer(world, access, "/api/claims")).json()
    tampered = await bearer(world, access, "/api/tamper")
    assert [e for e in tampered.json()["refused"] if e.startswith("access")] == [
        e for e in EDITS if e.startswith("access")]
    assert (await bearer(world, access, "/api/claims")).json() == before
    assert json.dumps(before)
