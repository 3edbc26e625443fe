"""``POST /oauth2/revoke`` (cognito-behaviour.md §6): refresh tokens only; revoking one ends its
whole lineage (every token of that sign-in). Unknown tokens get 200 too, so it is no oracle."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ..client_auth import ClientAuthError, authenticate_client
from ..forms import BadRequest, read_form
from ..responses import NO_STORE, oauth_error
from .context import pool


async def revoke(request: Request) -> Response:
    if request.method != "POST":
        response = oauth_error("invalid_request", 405)
        response.headers["Allow"] = "POST"
        return response
    lc = pool(request)
    try:
        form = await read_form(request)
    except BadRequest:
        return oauth_error("invalid_request")
    try:
        client = authenticate_client(request.headers.get("authorization", ""), form, lc.clients)
    except ClientAuthError:
        return oauth_error("invalid_client", 401)
    token = form.get("token")
    if not token:
        return oauth_error("invalid_request")
    if token.count(".") == 2:  # a JWT: an ID or access token
        return oauth_error("unsupported_token_type")
    row = lc.store.refresh_token(token)
    lineage = lc.store.lineage(row[0]) if row else None
    if lineage is not None:
        if lineage.client_id != client.client_id:
            return oauth_error("unauthorized_client")
        lc.store.revoke_lineage(lineage.origin_jti)
    return Response(status_code=200, headers=NO_STORE)
