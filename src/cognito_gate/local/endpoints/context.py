"""What every handler needs first: the pool it serves, (for the sign-in pages) the
authorization request carried in the query string, validated, and (for the form posts) the form;
for the token and revoke endpoints, the form and the app client it authenticates."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from ..client_auth import ClientAuthError, authenticate_client
from ..config import ClientConfig
from ..delivery import deliver_error
from ..forms import BadRequest, parse_params, raw_query, read_form
from ..oauth_request import AppError, AuthorizeRequest, Untrusted, parse_authorize
from ..responses import oauth_error, redirect

if TYPE_CHECKING:
    from ..local_cognito import LocalCognito

__all__ = [
    "authenticated_client_form",
    "authorize_request",
    "authorized_form",
    "no_local_sign_in",
    "pool",
    "query_value",
    "with_param",
]


NO_LOCAL_SIGN_IN = "This app does not allow sign-in with a user name and password."


def pool(request: Request) -> LocalCognito:
    lc: LocalCognito = request.app.state.lc
    return lc


def authorize_request(request: Request, *, local: bool = False) -> AuthorizeRequest | Response:
    """The validated request, or the response that refuses it (error page or app redirect).
    ``local``: a page of the pool's own accounts (sign-up, passwords), refused to a client
    without COGNITO among its identity providers."""
    lc = pool(request)
    parsed = parse_authorize(raw_query(request), lc.clients, lc.config, lc.federation.supported)
    if isinstance(parsed, Untrusted):
        return redirect(parsed.location)
    if isinstance(parsed, AppError):
        return deliver_error(lc, request, parsed)
    return (local and no_local_sign_in(request, parsed)) or parsed


async def authorized_form(
    request: Request, *, local: bool = False
) -> tuple[AuthorizeRequest, dict[str, str] | None] | Response:
    """A hosted-UI form post: the validated authorization request and the posted form (``None``
    when the body is not a readable form), or the response that refuses the request."""
    req = authorize_request(request, local=local)
    if isinstance(req, Response):
        return req
    try:
        return req, await read_form(request)
    except BadRequest:
        return req, None


async def authenticated_client_form(
    request: Request, *, invalid_client_status: int
) -> tuple[dict[str, str], ClientConfig] | Response:
    """A POST to the token or revoke endpoint: the form and the app client it authenticates, or
    the error that refuses it — 405 (``Allow: POST``) for another method, ``invalid_request``
    for an unreadable form, ``invalid_client`` with ``invalid_client_status`` (they differ)."""
    if request.method != "POST":
        response = oauth_error("invalid_request", 405)
        response.headers["Allow"] = "POST"
        return response
    try:
        form = await read_form(request)
    except BadRequest:
        return oauth_error("invalid_request")
    authorization = request.headers.get("authorization", "")
    try:
        client = authenticate_client(authorization, form, pool(request).clients)
    except ClientAuthError:
        return oauth_error("invalid_client", invalid_client_status)
    return form, client


def no_local_sign_in(request: Request, req: AuthorizeRequest) -> Response | None:
    """The refusal of the hosted UI's own sign-in, sign-up and password pages for a client
    without COGNITO among its identity providers (they are hidden from it, §10), or None."""
    if req.client.supports("COGNITO"):
        return None
    return pool(request).ui.error(request, NO_LOCAL_SIGN_IN)


def with_param(query: str, name: str, value: str) -> str:
    """``query`` with ``name`` set to ``value`` (replacing any earlier value)."""
    try:
        params = [(k, v) for k, v in parse_params(query, exact=True).items() if k != name]
    except BadRequest:
        params = []
    return urlencode([*params, (name, value)], errors="surrogateescape")


def query_value(request: Request, name: str) -> str | None:
    try:
        return parse_params(raw_query(request)).get(name)
    except BadRequest:
        return None
