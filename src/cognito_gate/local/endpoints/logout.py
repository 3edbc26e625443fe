"""``GET /logout`` (cognito-behaviour.md §3): always ends the hosted-UI session, then either
leaves for a registered ``logout_uri`` or restarts sign-in (``redirect_uri`` + ``response_type``).
Anything else is Cognito's error page — never a redirect to an unregistered address."""

from __future__ import annotations

from urllib.parse import quote, urlencode

from starlette.requests import Request
from starlette.responses import Response

from ..forms import BadRequest, parse_params, raw_query
from ..responses import redirect
from .context import pool

MISSING_REDIRECT = "Required String parameter 'redirect_uri' is not present"
MISSING_RESPONSE_TYPE = "Required String parameter 'response_type' is not present"


async def logout(request: Request) -> Response:
    """With SAML single logout (the IdP's ``sign_out``), a browser signed in at that IdP goes
    through the IdP's logout and ``/saml2/logout`` before leaving (§3)."""
    lc = pool(request)
    response = _answer(request)
    saml = lc.federation.single_logout(request)
    if saml is not None and response.status_code == 302:
        response = redirect(f"/_idp/{quote(saml.name, safe='')}/saml/logout?{raw_query(request)}")
    lc.sessions.end(request, response)
    return response


async def saml2_logout(request: Request) -> Response:
    """Back from the IdP's single logout: /logout's own answer, on the same parameters."""
    lc = pool(request)
    response = _answer(request)
    lc.sessions.end(request, response)
    return response


def _answer(request: Request) -> Response:
    lc = pool(request)
    query = raw_query(request)
    try:
        params = parse_params(query, exact=True)
    except BadRequest:
        return lc.ui.error(request, MISSING_REDIRECT)
    client = lc.clients.get(params.get("client_id", ""))
    if client is None or not client.oauth:  # no OAuth: its sign-out URLs do not count (§0)
        return lc.ui.error(request, MISSING_REDIRECT)
    if "logout_uri" in params:
        if params["logout_uri"] in client.logout_urls:
            return redirect(params["logout_uri"])
        return lc.ui.error(request, MISSING_REDIRECT)
    redirect_uri = params.get("redirect_uri")
    if redirect_uri is None:
        return lc.ui.error(request, MISSING_REDIRECT)
    if redirect_uri not in client.callback_urls:
        return redirect(
            "/error?" + urlencode({"error": "redirect_mismatch", "client_id": client.client_id})
        )
    if not params.get("response_type"):
        return lc.ui.error(request, MISSING_RESPONSE_TYPE)
    if "scope" not in params:
        query += "&" + urlencode({"scope": " ".join(client.allowed_scopes)})
    return redirect(f"/login?{query}")
