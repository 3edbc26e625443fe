"""Response shapes Cognito uses: JSON with its content type, OAuth errors, plain redirects."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from starlette.responses import Response

__all__ = ["JSON_TYPE", "json_response", "oauth_error", "redirect", "token_json"]

JSON_TYPE = "application/json;charset=UTF-8"
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def json_response(
    body: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    content = json.dumps(body, separators=(",", ":"), ensure_ascii=False)
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
