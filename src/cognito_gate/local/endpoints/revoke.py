"""``POST /oauth2/revoke`` (cognito-behaviour.md §6): refresh tokens only; revoking one ends its
whole lineage (every token of that sign-in). Unknown tokens get 200 too, so it is no oracle."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ..responses import NO_STORE, oauth_error
from .context import authenticated_client_form, pool


async def revoke(request: Request) -> Response:
    posted = await authenticated_client_form(request, invalid_client_status=401)
    if isinstance(posted, Response):
        return posted
    form, client = posted
    lc = pool(request)
    token = form.get("token")
    if not token:
        return oauth_error("invalid_request")
    if not client.token_revocation:  # EnableTokenRevocation=false (§6)
        return oauth_error("invalid_request", description="Token revocation is not enabled")
    if token.count(".") == 2:  # a JWT: an ID or access token
        return oauth_error("unsupported_token_type")
    if not lc.tokens.revoke(client, token):
        return oauth_error("unauthorized_client")
    return Response(status_code=200, headers=NO_STORE)
