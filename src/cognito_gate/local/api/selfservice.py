"""Public and token-authorized operations (§4.4): sign-up and its code, password recovery,
and what a signed-in user does with their access token (read and change themselves, sign out
everywhere, revoke a refresh token)."""

from __future__ import annotations

import hmac
from typing import TYPE_CHECKING, Any

from ..errors import CognitoError
from ..tokens import InvalidToken
from .auth import API_SCOPE
from .params import CLIENT_ID, Params, invalid
from .secret import check_secret_hash
from .shapes import attribute_list, code_delivery

if TYPE_CHECKING:
    from ..config import ClientConfig
    from ..local_cognito import LocalCognito
    from ..store import User

__all__ = ["OPERATIONS"]

Result = dict[str, Any]
CODE_MISMATCH = "Invalid verification code provided, please try again."
_TOKEN_ERRORS = {"revoked": "Access Token has been revoked", "expired": "Access Token has expired"}


def _public(lc: LocalCognito, p: Params) -> tuple[ClientConfig, str]:
    """The client and the ``Username``, with the client's SECRET_HASH checked over it."""
    client = p.client(lc)
    username = p.username()
    check_secret_hash(client, username, p.optional("SecretHash", max_length=128))
    return client, username


def _signed_in_user(lc: LocalCognito, p: Params, *, missing: str = "UserNotFoundException") -> User:
    """The owner of a live access token with the API scope."""
    return _signed_in(lc, p, missing=missing)[0]


def _signed_in(
    lc: LocalCognito, p: Params, *, missing: str = "UserNotFoundException"
) -> tuple[User, ClientConfig]:
    """The owner of a live access token with the API scope, and the client it was issued to."""
    token = p.text("AccessToken")
    try:
        claims, _lineage = lc.tokens.read_access_token(token)
    except InvalidToken as exc:
        message = _TOKEN_ERRORS.get(str(exc), "Invalid Access Token")
        raise CognitoError("NotAuthorizedException", message) from None
    if API_SCOPE not in str(claims.get("scope", "")).split():
        raise CognitoError("NotAuthorizedException", "Access Token does not have required scopes")
    user = lc.store.user(sub=str(claims.get("sub")))
    client = lc.clients.get(str(claims.get("client_id")))
    if user is None or client is None:
        raise CognitoError(missing, "User does not exist.")
    return user, client


def _unknown_user(lc: LocalCognito, client: ClientConfig, username: str) -> User | None:
    """The user, or None for an unknown one when the client hides users (ENABLED: the caller
    answers as if the user existed); UserNotFoundException otherwise (LEGACY)."""
    user = lc.accounts.find(username)
    if user is None and not client.hides_users:
        raise CognitoError("UserNotFoundException", "User does not exist.")
    return user


def sign_up(lc: LocalCognito, p: Params) -> Result:
    """An UNCONFIRMED user and a confirmation code "sent" to the address (the server log)."""
    client, username = _public(lc, p)
    password = p.optional("Password", max_length=256)
    if password is None:
        raise invalid("Missing required parameter Password")
    attributes = p.attributes("UserAttributes")
    client.check_writable(attributes)
    lc.accounts.check_policy(password)
    user = lc.accounts.create_named(username, password, attributes, "UNCONFIRMED")
    lc.accounts.send_code(user, "signup")
    return {
        "UserConfirmed": False,
        "UserSub": user.sub,
        "CodeDeliveryDetails": code_delivery(user.email),
    }


def confirm_sign_up(lc: LocalCognito, p: Params) -> Result:
    client, username = _public(lc, p)
    code = p.text("ConfirmationCode", max_length=2048)
    user = _unknown_user(lc, client, username)
    if user is None:
        raise CognitoError("CodeMismatchException", CODE_MISMATCH)
    lc.accounts.confirm_sign_up(user, code)
    return {}


def resend_confirmation_code(lc: LocalCognito, p: Params) -> Result:
    client, username = _public(lc, p)
    user = _unknown_user(lc, client, username)
    if user is None:
        return {"CodeDeliveryDetails": code_delivery(username)}
    if user.confirmed:
        raise invalid("User is already confirmed.")
    lc.accounts.send_code(user, "signup")
    return {"CodeDeliveryDetails": code_delivery(user.email)}


def forgot_password(lc: LocalCognito, p: Params) -> Result:
    client, username = _public(lc, p)
    user = _unknown_user(lc, client, username)
    if user is None:  # ENABLED: a simulated delivery, so the answer reveals nothing
        return {"CodeDeliveryDetails": code_delivery(username)}
    lc.accounts.forgot_password(user)
    return {"CodeDeliveryDetails": code_delivery(user.email)}


def confirm_forgot_password(lc: LocalCognito, p: Params) -> Result:
    client, username = _public(lc, p)
    code = p.text("ConfirmationCode", max_length=2048)
    password = p.text("Password", max_length=256)
    user = _unknown_user(lc, client, username)
    if user is None:
        raise CognitoError("CodeMismatchException", CODE_MISMATCH)
    lc.accounts.confirm_forgot_password(user, code, password)
    return {}


def get_user(lc: LocalCognito, p: Params) -> Result:
    user = _signed_in_user(lc, p)
    return {"Username": user.username, "UserAttributes": attribute_list(user)}


def update_user_attributes(lc: LocalCognito, p: Params) -> Result:
    """No verification code is sent for a new e-mail address: it is stored unverified. Only
    the token's client's WriteAttributes may change."""
    user, client = _signed_in(lc, p)
    attributes = p.attributes("UserAttributes", required=True)
    client.check_writable(attributes)
    lc.accounts.update_attributes(user, attributes)
    return {}


def change_password(lc: LocalCognito, p: Params) -> Result:
    user = _signed_in_user(lc, p)
    proposed = p.text("ProposedPassword", max_length=256)
    previous = p.text("PreviousPassword", max_length=256)
    lc.accounts.change_password(user, previous, proposed)
    return {}


def global_sign_out(lc: LocalCognito, p: Params) -> Result:
    lc.accounts.global_sign_out(_signed_in_user(lc, p, missing="NotAuthorizedException"))
    return {}


def revoke_token(lc: LocalCognito, p: Params) -> Result:
    """As /oauth2/revoke: refresh tokens only, the whole sign-in revoked, unknown tokens fine."""
    token = p.text("Token")
    client_id = p.text("ClientId", pattern=CLIENT_ID, max_length=128)
    secret = p.optional("ClientSecret", max_length=64)
    if "RevokeAssociatedSessions" in p.body:
        p.choice("RevokeAssociatedSessions", ("NONE", "LINKED"))
    client = lc.clients.get(client_id)
    expected = client.client_secret if client else None
    if client is None or (
        expected is not None and not hmac.compare_digest(expected.encode(), (secret or "").encode())
    ):
        raise CognitoError("UnauthorizedException", "Invalid client credentials")
    if not client.token_revocation:
        raise CognitoError(
            "UnsupportedOperationException", "Token revocation is not enabled for this client"
        )
    if token.count(".") == 2:
        raise CognitoError("UnsupportedTokenTypeException", "Unsupported token type")
    if not lc.tokens.revoke(client, token):
        raise CognitoError("UnauthorizedException", "The token was issued to another client")
    return {}


OPERATIONS = {
    "SignUp": sign_up,
    "ConfirmSignUp": confirm_sign_up,
    "ResendConfirmationCode": resend_confirmation_code,
    "ForgotPassword": forgot_password,
    "ConfirmForgotPassword": confirm_forgot_password,
    "GetUser": get_user,
    "UpdateUserAttributes": update_user_attributes,
    "ChangePassword": change_password,
    "GlobalSignOut": global_sign_out,
    "RevokeToken": revoke_token,
}
