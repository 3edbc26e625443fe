"""Outermost middleware: counts requests per endpoint, caps query sizes, and turns any
unexpected exception into the Cognito-shaped error for that endpoint — never a 500 or a trace.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import CognitoError
from .fault_injection import ENDPOINT_KEY, DroppedConnection
from .forms import MAX_QUERY
from .responses import json_response, oauth_error

if TYPE_CHECKING:
    from .local_cognito import LocalCognito

__all__ = ["Guard", "endpoint_name"]

log = logging.getLogger("cognito_gate.local")
_PATHS = {
    "/oauth2/authorize": "authorize",
    "/login": "login",
    "/signup": "signup",
    "/confirm": "confirm",
    "/changePassword": "change_password",
    "/forgotPassword": "forgot_password",
    "/confirmForgotPassword": "confirm_forgot_password",
    "/logout": "logout",
    "/oauth2/token": "token",
    "/oauth2/userInfo": "userinfo",
    "/oauth2/revoke": "revoke",
    "/error": "error",
    "/oauth2/idpresponse": "idpresponse",
    "/saml2/idpresponse": "idpresponse",
    "/saml2/logout": "saml2_logout",
}
_WELL_KNOWN = re.compile(r"^/[^/]+/\.well-known/(openid-configuration|jwks\.json)$")


def endpoint_name(path: str) -> str:
    """The name ``lc.requests`` counts a path under ("token", "jwks", "discovery", …)."""
    if path in _PATHS:
        return _PATHS[path]
    match = _WELL_KNOWN.match(path)
    if match:
        return "jwks" if match.group(1) == "jwks.json" else "discovery"
    if path.startswith("/_local/"):
        return "admin"
    if path.startswith("/_idp/"):
        return "idp"
    return "static" if path.startswith("/static/") else "other"


def failure_response(lc: LocalCognito, name: str, scope: Scope) -> Response:
    """What the endpoint answers to a request it cannot read."""
    if name in ("token", "revoke"):
        return oauth_error("invalid_request")
    if name == "api":
        from .api.protocol import error_response

        return error_response(CognitoError("InternalErrorException", "Internal error", 500))
    if name == "userinfo":
        from .endpoints.userinfo import bad_request

        return bad_request()
    if name in ("jwks", "discovery", "admin"):
        return json_response({"error": "invalid_request"}, 400)
    try:
        return lc.ui.error(Request(scope), "An error was encountered with the requested page.")
    except Exception:  # the page itself failed; fall back to plain text
        return PlainTextResponse("An error was encountered with the requested page.", 400)


class Guard:
    def __init__(self, app: ASGIApp, lc: LocalCognito) -> None:
        self.app, self.lc = app, lc

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        json_api = scope["path"] == "/" and scope["method"] == "POST"  # GET / is the console
        name = "api" if json_api else endpoint_name(scope["path"])
        scope[ENDPOINT_KEY] = name
        self.lc.requests[name] += 1
        if len(scope.get("query_string", b"")) > MAX_QUERY:
            await failure_response(self.lc, name, scope)(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except DroppedConnection:
            raise
        except Exception:
            log.exception("Local Cognito failed answering %s %s", scope["method"], scope["path"])
            if not started:
                await failure_response(self.lc, name, scope)(scope, receive, send)
