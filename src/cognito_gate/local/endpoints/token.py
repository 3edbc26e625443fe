"""``POST /oauth2/token``: authorization_code, refresh_token and client_credentials grants
(cognito-behaviour.md §4). Every answer is JSON, never cached, readable cross-origin."""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response

from ..config import ClientConfig
from ..oauth_request import RESOURCE_RULE, valid_resource
from ..responses import oauth_error, token_json
from ..signing import b64url
from ..tokens import Issued, RefreshRefused, new_refresh_token
from .context import authenticated_client_form, pool

if TYPE_CHECKING:
    from ..local_cognito import LocalCognito

log = logging.getLogger("cognito_gate.local")

NO_OAUTH = "the app client does not allow OAuth flows (AllowedOAuthFlowsUserPoolClient)"
UNREADABLE = "the app client may not read attributes its scopes need"
_VERIFIER = re.compile(r"^[A-Za-z0-9._~-]{43,128}$")
Form = dict[str, str]


async def token(request: Request) -> Response:
    posted = await authenticated_client_form(request, invalid_client_status=400)
    if isinstance(posted, Response):
        return posted
    form, client = posted
    lc = pool(request)
    grant_type = form.get("grant_type")
    if not grant_type:
        return oauth_error("invalid_request")
    grant = _GRANTS.get(grant_type)
    if grant is None:
        return oauth_error("unsupported_grant_type")
    if not client.oauth:  # AllowedOAuthFlowsUserPoolClient=false: every grant (§12 no. 4)
        return oauth_error("invalid_grant", description=NO_OAUTH)
    return grant(lc, client, form)


def _unreadable(client: ClientConfig, scopes: tuple[str, ...]) -> Response | None:
    """``invalid_grant`` when a granted scope implies attributes the client may not read."""
    unreadable = client.unreadable(scopes)
    if not unreadable:
        return None
    return oauth_error("invalid_grant", description=f"{UNREADABLE}: {', '.join(unreadable)}")


def _answer(lc: LocalCognito, issued: Issued, refresh_token: str | None) -> Response:
    body: dict[str, Any] = {}
    if issued.id_token is not None:
        body["id_token"] = issued.id_token
    body["access_token"] = issued.access_token
    if refresh_token is not None:
        body["refresh_token"] = refresh_token
    body |= {"expires_in": issued.expires_in, "token_type": "Bearer"}
    fault = lc.faults.take("token_response")
    return token_json(fault.apply(body) if fault is not None else body)


def _pkce_problem(lc: LocalCognito, challenge: str | None, verifier: str | None) -> str | None:
    """Why ``verifier`` does not prove the challenge, or None when it does. Like Cognito, any
    verifier whose S256 matches counts; RFC 7636's 43–128 characters only under the
    ``strict_pkce_verifier`` switch."""
    if lc.faults.pkce_ignored:
        return None
    if challenge is None:
        # RFC 9700 §4.8.2: no verifier without a challenge
        return None if verifier is None else "code_verifier sent for a code issued without PKCE"
    if verifier is None:
        return "code_verifier is required: the code was issued with a code_challenge"
    if lc.faults.pkce_verifier_strict and not _VERIFIER.match(verifier):
        return "code_verifier must be 43-128 characters of [A-Za-z0-9._~-] (RFC 7636 4.1)"
    computed = b64url(hashlib.sha256(verifier.encode()).digest())
    if not hmac.compare_digest(computed, challenge):
        return "code_verifier does not match the code_challenge (S256)"
    return None


def _authorization_code(lc: LocalCognito, client: ClientConfig, form: Form) -> Response:
    if "code" not in client.allowed_flows:
        return oauth_error("unauthorized_client")
    code, redirect_uri = form.get("code"), form.get("redirect_uri")
    if not code or not redirect_uri:
        return oauth_error("invalid_request")
    outcome, grant, expires_at, origin_jti = lc.store.consume_code(code, client.client_id)
    if outcome == "reused":
        # Cognito documents only invalid_grant (§4.4): the first exchange's tokens stay valid
        # unless the RFC 6749 §4.1.2 revocation is switched on.
        if origin_jti and lc.faults.code_replay_revokes:
            lc.store.revoke_lineage(origin_jti)
            log.warning("authorization code replayed; refused, and its tokens are revoked")
        else:
            log.warning("authorization code replayed; refused")
    if outcome != "ok" or grant is None:
        return oauth_error("invalid_grant")
    user = lc.store.user(sub=grant.sub)
    if (
        expires_at <= lc.clock.now()
        or grant.redirect_uri != redirect_uri
        or user is None
        or not user.active
    ):
        return oauth_error("invalid_grant")
    problem = _pkce_problem(lc, grant.code_challenge, form.get("code_verifier"))
    if problem is not None:
        return oauth_error("invalid_grant", description=problem)
    refused = _unreadable(client, grant.scopes)
    if refused is not None:
        return refused
    lineage, issued, refresh_token = lc.tokens.sign_in(
        client, user, grant.scopes, grant.auth_time, nonce=grant.nonce, resource=grant.resource
    )
    lc.store.link_code(code, lineage.origin_jti)
    return _answer(lc, issued, refresh_token)


def _refresh_token(lc: LocalCognito, client: ClientConfig, form: Form) -> Response:
    if "code" not in client.allowed_flows:
        return oauth_error("unauthorized_client")
    presented = form.get("refresh_token")
    if not presented:
        return oauth_error("invalid_request")
    try:
        lineage, user = lc.tokens.redeem_refresh(client, presented)
    except RefreshRefused:
        return oauth_error("invalid_grant")
    refused = _unreadable(client, lineage.scopes)
    if refused is not None:
        return refused
    now = lc.clock.now()
    issued = lc.tokens.for_user(lineage, user, client, refreshed=True)
    if not client.rotation:
        return _answer(lc, issued, None)
    rotated = new_refresh_token()
    lc.store.add_refresh_token(rotated, lineage.origin_jti, now + client.refresh_token_validity)
    lc.store.supersede_refresh_token(presented, now)
    return _answer(lc, issued, rotated)


def _client_credentials(lc: LocalCognito, client: ClientConfig, form: Form) -> Response:
    if "client_credentials" not in client.allowed_flows:
        return oauth_error("unauthorized_client")
    requested = tuple(dict.fromkeys(form.get("scope", "").split()))
    if any(scope not in client.custom_scopes for scope in requested):
        return oauth_error("invalid_scope")
    resource = form.get("resource")
    if resource is not None and not valid_resource(resource):
        return oauth_error("invalid_target", description=RESOURCE_RULE)
    issued = lc.tokens.for_client(client, requested or client.custom_scopes, resource)
    return _answer(lc, issued, None)


_GRANTS: dict[str, Callable[[LocalCognito, ClientConfig, Form], Response]] = {
    "authorization_code": _authorization_code,
    "refresh_token": _refresh_token,
    "client_credentials": _client_credentials,
}
