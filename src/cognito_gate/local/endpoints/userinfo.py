"""``GET /oauth2/userInfo`` (cognito-behaviour.md §5): the user's attributes for a live access
token with ``openid``, filtered by its scopes, verified flags as the strings "true"/"false"."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ..config import ClientConfig
from ..forms import BadRequest, parse_params, raw_query
from ..responses import NO_STORE, json_response
from ..store import User
from ..tokens import InvalidToken, readable_attributes
from .context import pool

PROFILE = frozenset(
    [
        "name",
        "family_name",
        "given_name",
        "middle_name",
        "nickname",
        "preferred_username",
        "profile",
        "picture",
        "website",
        "gender",
        "birthdate",
        "zoneinfo",
        "locale",
        "updated_at",
        "address",
    ]
)
SCOPE_CLAIMS = {
    "profile": PROFILE,
    "email": frozenset({"email", "email_verified"}),
    "phone": frozenset({"phone_number", "phone_number_verified"}),
}
EXPIRED = "Access token is expired, disabled, or deleted, or the user has globally signed out."


def _challenge(error: str, description: str) -> str:
    """The header exactly as Cognito documents it (§5): no auth-scheme before the params."""
    return f'error="{error}", error_description="{description}"'


def bad_request() -> Response:
    headers = {
        **NO_STORE,
        "WWW-Authenticate": _challenge(
            "invalid_request", "Bad OAuth2 request at UserInfo Endpoint"
        ),
    }
    return json_response({"error": "invalid_request"}, 400, headers)


def invalid_token(description: str = EXPIRED) -> Response:
    headers = {**NO_STORE, "WWW-Authenticate": _challenge("invalid_token", description)}
    return json_response({"error": "invalid_token", "error_description": description}, 401, headers)


def userinfo_claims(user: User, scopes: tuple[str, ...], client: ClientConfig) -> dict[str, str]:
    """``openid`` alone returns every attribute the client may read; profile/email/phone
    narrow it to theirs. A federated user's ``identities`` stays the attribute's JSON string
    here."""
    attributes = readable_attributes(user, client)
    narrowing = [SCOPE_CLAIMS[s] for s in scopes if s in SCOPE_CLAIMS]
    if narrowing:
        allowed = frozenset().union(*narrowing)
        attributes = {k: v for k, v in attributes.items() if k in allowed}
    return {"sub": user.sub, **attributes, "username": user.username}


async def userinfo(request: Request) -> Response:
    lc = pool(request)
    try:
        in_query = "access_token" in parse_params(raw_query(request))
    except BadRequest:
        return bad_request()
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if in_query or scheme.lower() != "bearer" or not token.strip():
        return bad_request()
    try:
        claims, _lineage = lc.tokens.read_access_token(token.strip())
    except InvalidToken:
        return invalid_token()
    scopes = tuple(str(claims.get("scope", "")).split())
    if "openid" not in scopes:
        return invalid_token("Access token does not contain openid scope")
    user = lc.store.user(sub=str(claims.get("sub")))
    client = lc.clients.get(str(claims.get("client_id")))
    if user is None or client is None:
        return invalid_token()
    body: dict[str, object] = dict(userinfo_claims(user, scopes, client))
    fault = lc.faults.take("userinfo")
    if fault is not None:
        body = fault.apply(body)
    return json_response(body, headers=NO_STORE)
