"""``/_local/*``: a JSON control surface for tests in other processes (browsers, other
languages). Mounted only with ``admin_api=True``; each call mirrors a Python API method."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ..faults import FaultError
from ..forms import BadRequest, read_body
from ..local_cognito import UserExistsError
from ..responses import json_response
from .context import pool, query_value


async def _json(request: Request) -> dict[str, Any]:
    try:
        payload = json.loads(await read_body(request))
    except (BadRequest, ValueError):
        raise BadRequest("body must be a JSON object") from None
    if not isinstance(payload, dict):
        raise BadRequest("body must be a JSON object")
    return payload


def _bad(message: str, status: int = 400) -> Response:
    return json_response({"error": message}, status)


async def faults(request: Request) -> Response:
    """GET: what is switched on. POST ``{"switch": "id_token", "sign": "none", "times": 1}``."""
    lc = pool(request)
    if request.method == "POST":
        try:
            lc.faults.call(await _json(request))
        except (BadRequest, FaultError) as exc:
            return _bad(str(exc))
    return json_response(lc.faults.active())


async def users(request: Request) -> Response:
    """POST ``{"email", "password", "groups"?, "attributes"?, "confirmed"?, "username"?}`` →
    ``{"sub"}`` (``username`` in a pool of real usernames)."""
    lc = pool(request)
    try:
        body = await _json(request)
        sub = lc.add_user(
            str(body["email"]),
            str(body["password"]),
            groups=tuple(body.get("groups", ())),
            attributes=body.get("attributes"),
            confirmed=bool(body.get("confirmed", True)),
            username=body.get("username"),
        )
    except UserExistsError as exc:
        return _bad(str(exc), 409)
    except (BadRequest, KeyError, TypeError, ValueError, AttributeError) as exc:
        return _bad(f"bad user: {exc}")
    return json_response({"sub": sub}, 201)


async def clock(request: Request) -> Response:
    """POST ``{"advance": seconds}`` or ``{"offset": seconds}``; GET reads the time."""
    lc = pool(request)
    if request.method == "POST":
        try:
            body = await _json(request)
            if "advance" in body:
                lc.clock.advance(float(body["advance"]))
            if "offset" in body:
                lc.clock.set_offset(float(body["offset"]))
        except (BadRequest, TypeError, ValueError) as exc:
            return _bad(str(exc))
    return json_response({"now": lc.clock.now(), "offset": lc.clock.offset})


async def keys(request: Request) -> Response:
    """POST ``{"rotate": true, "overlap": false}`` or ``{"drop_retired": true}``."""
    lc = pool(request)
    try:
        body = await _json(request)
    except BadRequest as exc:
        return _bad(str(exc))
    if body.get("rotate"):
        lc.rotate_keys(overlap=bool(body.get("overlap", True)))
    if body.get("drop_retired"):
        lc.drop_retired_keys()
    return json_response(lc.keys.jwks())


async def confirmation_code(request: Request) -> Response:
    """GET ``?email=…`` → ``{"code"}``."""
    lc = pool(request)
    email = query_value(request, "email") or ""
    code = lc.last_confirmation_code(email) if email else None
    if code is None:
        return _bad("no confirmation code for that email", 404)
    return json_response({"email": email, "code": code})
