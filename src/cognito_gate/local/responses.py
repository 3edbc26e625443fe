"""Response shapes Cognito uses: JSON with its content type, OAuth errors, plain redirects."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from starlette.responses import Response

__all__ = [
    "JSON_TYPE",
    "json_response",
    "oauth_error",
    "redirect",
    "set_cookie",
    "token_json",
]

JSON_TYPE = "application/json;charset=UTF-8"
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
_COMPACT = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)
_PLAIN_VALUE = re.compile(r"[A-Za-z0-9_-]+")


def json_response(
    body: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    content = _COMPACT.encode(body)
    return Response(content, status, headers=dict(headers or {}), media_type=JSON_TYPE)


def token_json(body: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    """Token-endpoint answers: never cached, readable cross-origin (as Cognito's)."""
    return json_response(
        body, status, {**NO_STORE, "Access-Control-Allow-Origin": "*", **(headers or {})}
    )


def oauth_error(error: str, status: int = 400, description: str | None = None) -> Response:
    body = (
        {"error": error}
        if description is None
        else {"error": error, "error_description": description}
    )
    return token_json(body, status)


def redirect(url: str) -> Response:
    """302 (never 307: a 307 after the credential POST would resend the password)."""
    return Response(status_code=302, headers={"Location": url, **NO_STORE})


def set_cookie(
    response: Response, name: str, value: str, *, secure: bool, max_age: int | None = None
) -> None:
    """A hosted-UI cookie (``Path=/``, ``HttpOnly``, ``SameSite=lax``), the header written as
    Starlette's ``set_cookie`` writes it but without building a ``SimpleCookie`` per response
    when ``value`` needs no quoting (our own URL-safe tokens); anything else goes through it."""
    if not _PLAIN_VALUE.fullmatch(value):
        response.set_cookie(
            name, value, max_age=max_age, path="/", httponly=True, samesite="lax", secure=secure
        )
        return
    age = "" if max_age is None else f"; Max-Age={max_age}"
    flags = "; Secure" if secure else ""
    header = f"{name}={value}; HttpOnly{age}; Path=/; SameSite=lax{flags}"
    response.raw_headers.append((b"set-cookie", header.encode("latin-1")))
