"""Signing in through the API (§4.3): InitiateAuth / AdminInitiateAuth with the password and
refresh flows, and the NEW_PASSWORD_REQUIRED challenge of a temporary password.

Tokens come from the same issuer and lineages as the hosted UI's, with the API's claims: scope
``aws.cognito.signin.user.admin`` only, an ID token always, no ``nonce``/``at_hash`` (§5).
"""

from __future__ import annotations

import json
import secrets
from typing import TYPE_CHECKING, Any

from ..errors import CognitoError
from ..tokens import Issued, RefreshRefused
from .params import Params, invalid
from .secret import check_secret_hash

if TYPE_CHECKING:
    from ..config import ClientConfig
    from ..local_cognito import LocalCognito
    from ..store import User

__all__ = ["API_SCOPE", "OPERATIONS"]

Result = dict[str, Any]
API_SCOPE = "aws.cognito.signin.user.admin"
CHALLENGE_TTL = 180  # AuthSessionValidity: 3 minutes
AUTH_FLOWS = (
    "USER_SRP_AUTH",
    "REFRESH_TOKEN_AUTH",
    "REFRESH_TOKEN",
    "CUSTOM_AUTH",
    "ADMIN_NO_SRP_AUTH",
    "USER_PASSWORD_AUTH",
    "ADMIN_USER_PASSWORD_AUTH",
    "USER_AUTH",
)
_ALIASES = {"ADMIN_NO_SRP_AUTH": "ADMIN_USER_PASSWORD_AUTH", "REFRESH_TOKEN": "REFRESH_TOKEN_AUTH"}
_ADMIN_ONLY = ("ADMIN_USER_PASSWORD_AUTH",)
_PUBLIC_ONLY = ("USER_PASSWORD_AUTH",)
CHALLENGES = (
    "SMS_MFA",
    "EMAIL_OTP",
    "SOFTWARE_TOKEN_MFA",
    "SELECT_MFA_TYPE",
    "MFA_SETUP",
    "PASSWORD_VERIFIER",
    "CUSTOM_CHALLENGE",
    "SELECT_CHALLENGE",
    "DEVICE_SRP_AUTH",
    "DEVICE_PASSWORD_VERIFIER",
    "ADMIN_NO_SRP_AUTH",
    "NEW_PASSWORD_REQUIRED",
    "SMS_OTP",
    "PASSWORD",
    "WEB_AUTHN",
    "PASSWORD_SRP",
)
INVALID_SESSION = "Invalid session for the user."


def _missing(name: str) -> CognitoError:
    return invalid(f"Missing required parameter {name}")


def _result(issued: Issued, refresh_token: str | None) -> Result:
    result: Result = {
        "AccessToken": issued.access_token,
        "ExpiresIn": issued.expires_in,
        "TokenType": "Bearer",
    }
    if refresh_token is not None:
        result["RefreshToken"] = refresh_token
    if issued.id_token is not None:
        result["IdToken"] = issued.id_token
    return {"ChallengeParameters": {}, "AuthenticationResult": result}


def _signed_in(lc: LocalCognito, client: ClientConfig, user: User) -> Result:
    _lineage, issued, refresh_token = lc.tokens.sign_in(
        client, user, (API_SCOPE,), int(lc.clock.now()), api=True
    )
    return _result(issued, refresh_token)


def _new_password_challenge(lc: LocalCognito, client: ClientConfig, user: User) -> Result:
    """A single-use Session (3 minutes) for the new-password answer."""
    session = secrets.token_urlsafe(96)
    expires = lc.clock.now() + CHALLENGE_TTL
    lc.store.save_session(session, f"challenge:{client.client_id}", user.sub, 0, expires)
    attributes = {"email": user.email, **user.attributes}
    return {
        "ChallengeName": "NEW_PASSWORD_REQUIRED",
        "Session": session,
        "ChallengeParameters": {
            "USER_ID_FOR_SRP": user.username,
            "requiredAttributes": "[]",
            "userAttributes": json.dumps(attributes),
        },
    }


def _refresh(lc: LocalCognito, client: ClientConfig, params: dict[str, str]) -> Result:
    """New access and ID tokens, no new refresh token; SECRET_HASH over the internal username."""
    presented = params.get("REFRESH_TOKEN")
    if not presented:
        raise _missing("REFRESH_TOKEN")
    if client.rotation:
        raise invalid(
            "REFRESH_TOKEN_AUTH is refused for a client with refresh-token rotation; "
            "refresh at /oauth2/token"
        )
    try:
        lineage, user = lc.tokens.redeem_refresh(client, presented)
    except RefreshRefused as exc:
        raise CognitoError("NotAuthorizedException", str(exc)) from None
    check_secret_hash(client, user.username, params.get("SECRET_HASH"))
    return _result(lc.tokens.for_user(lineage, user, client, refreshed=True), None)


def _initiate(lc: LocalCognito, p: Params, *, admin: bool) -> Result:
    client = p.client(lc)
    flow = p.choice("AuthFlow", AUTH_FLOWS)
    canonical = _ALIASES.get(flow, flow)
    if canonical in (_PUBLIC_ONLY if admin else _ADMIN_ONLY):
        raise invalid("Initiate Auth method not supported.")
    if not client.allows(canonical):
        if canonical == "USER_PASSWORD_AUTH":
            raise invalid("USER_PASSWORD_AUTH flow not enabled for this client")
        raise invalid("Auth flow not enabled for this client")
    params = p.mapping("AuthParameters")
    if canonical == "REFRESH_TOKEN_AUTH":
        return _refresh(lc, client, params)
    if canonical not in _ADMIN_ONLY + _PUBLIC_ONLY:
        raise invalid(f"{flow} is not supported by Local Cognito; use USER_PASSWORD_AUTH")
    username, password = params.get("USERNAME"), params.get("PASSWORD")
    if not username:
        raise _missing("USERNAME")
    if password is None:
        raise _missing("PASSWORD")
    check_secret_hash(client, username, params.get("SECRET_HASH"))
    user = lc.accounts.password_sign_in(username, password, hide_users=client.hides_users)
    if user.status == "FORCE_CHANGE_PASSWORD":
        return _new_password_challenge(lc, client, user)
    return _signed_in(lc, client, user)


def initiate_auth(lc: LocalCognito, p: Params) -> Result:
    return _initiate(lc, p, admin=False)


def admin_initiate_auth(lc: LocalCognito, p: Params) -> Result:
    p.pool(lc)
    return _initiate(lc, p, admin=True)


def _respond(lc: LocalCognito, p: Params) -> Result:
    client = p.client(lc)
    challenge = p.choice("ChallengeName", CHALLENGES)
    if challenge != "NEW_PASSWORD_REQUIRED":
        raise invalid(f"{challenge} is not supported by Local Cognito")
    session = p.optional("Session", max_length=4096)
    if not session:
        raise _missing("Session")
    responses = p.mapping("ChallengeResponses")
    username, new_password = responses.get("USERNAME"), responses.get("NEW_PASSWORD")
    if not username:
        raise _missing("USERNAME")
    if new_password is None:
        raise _missing("NEW_PASSWORD")
    kind = f"challenge:{client.client_id}"
    row = lc.store.session(session, kind)
    user = lc.accounts.find(username)
    if row is None or row[2] <= lc.clock.now() or user is None or user.sub != row[0]:
        raise CognitoError("NotAuthorizedException", INVALID_SESSION)
    check_secret_hash(client, username, responses.get("SECRET_HASH"))
    attributes = {
        k.removeprefix("userAttributes."): v
        for k, v in responses.items()
        if k.startswith("userAttributes.")
    }
    client.check_writable(attributes)
    user = lc.accounts.complete_new_password(user, new_password, attributes)
    lc.store.delete_session(session)  # single use, once answered
    return _signed_in(lc, client, user)


def respond_to_auth_challenge(lc: LocalCognito, p: Params) -> Result:
    return _respond(lc, p)


def admin_respond_to_auth_challenge(lc: LocalCognito, p: Params) -> Result:
    p.pool(lc)
    return _respond(lc, p)


OPERATIONS = {
    "InitiateAuth": initiate_auth,
    "AdminInitiateAuth": admin_initiate_auth,
    "RespondToAuthChallenge": respond_to_auth_challenge,
    "AdminRespondToAuthChallenge": admin_respond_to_auth_challenge,
}
