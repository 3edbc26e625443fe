"""Sign-up, recovery and the signed-in user's own operations through real boto3."""

from __future__ import annotations

from typing import Any

import pytest

from cognito_gate.local import LocalCognito

from .support import PASSWORD, POOL_ID, SECRET, make_user, new_email, secret_hash
from .test_auth import password_auth


def tokens(idp: Any, email: str, password: str = PASSWORD) -> dict[str, Any]:
    result: dict[str, Any] = password_auth(idp, email, password)["AuthenticationResult"]
    return result


def test_sign_up_confirm_and_resend(idp: Any, lc: LocalCognito) -> None:
    email = new_email()
    out = idp.sign_up(ClientId="api-public", Username=email, Password=PASSWORD,
                      UserAttributes=[{"Name": "name", "Value": "Lin"}])
    assert out["UserConfirmed"] is False
    assert out["UserSub"] == lc.user(email).sub
    assert out["CodeDeliveryDetails"]["DeliveryMedium"] == "EMAIL"
    assert out["CodeDeliveryDetails"]["Destination"].startswith(email[0] + "***@")
    first = lc.last_confirmation_code(email)
    idp.resend_confirmation_code(ClientId="api-public", Username=email)
    second = lc.last_confirmation_code(email)
    wrong = "000000" if second != "000000" else "111111"
    with pytest.raises(idp.exceptions.CodeMismatchException):
        idp.confirm_sign_up(ClientId="api-public", Username=email, ConfirmationCode=wrong)
    if first != second:
        with pytest.raises(idp.exceptions.CodeMismatchException):  # earlier codes stop working
            idp.confirm_sign_up(ClientId="api-public", Username=email, ConfirmationCode=first)
    idp.confirm_sign_up(ClientId="api-public", Username=email, ConfirmationCode=second)
    assert lc.user(email).status == "CONFIRMED"
    assert lc.user(email).attributes["email_verified"] == "true"
    with pytest.raises(idp.exceptions.NotAuthorizedException,
                       match=r"User cannot be confirmed\. Current status is CONFIRMED"):
        idp.confirm_sign_up(ClientId="api-public", Username=email, ConfirmationCode=second)
    with pytest.raises(idp.exceptions.InvalidParameterException, match="already confirmed"):
        idp.resend_confirmation_code(ClientId="api-public", Username=email)
    assert "AccessToken" in tokens(idp, email)


def test_sign_up_errors(idp: Any, lc: LocalCognito) -> None:
    email = make_user(idp)
    with pytest.raises(idp.exceptions.UsernameExistsException):
        idp.sign_up(ClientId="api-public", Username=email, Password=PASSWORD)
    with pytest.raises(idp.exceptions.InvalidPasswordException, match="uppercase"):
        idp.sign_up(ClientId="api-public", Username=new_email(), Password="lower-case-1")
    with pytest.raises(idp.exceptions.InvalidParameterException, match="should be an email"):
        idp.sign_up(ClientId="api-public", Username="plainname", Password=PASSWORD)
    with pytest.raises(idp.exceptions.NotAuthorizedException, match="configured for secret"):
        idp.sign_up(ClientId="api-secret", Username=new_email(), Password=PASSWORD)
    fresh = new_email()
    idp.sign_up(ClientId="api-secret", Username=fresh, Password=PASSWORD,
                SecretHash=secret_hash(fresh, SECRET))
    lc.clock.advance(25 * 3600)  # codes last 24 hours
    try:
        with pytest.raises(idp.exceptions.ExpiredCodeException):
            idp.confirm_sign_up(ClientId="api-secret", Username=fresh,
                                SecretHash=secret_hash(fresh, SECRET),
                                ConfirmationCode=lc.last_confirmation_code(fresh))
    finally:
        lc.clock.set_offset(0)
    with pytest.raises(idp.exceptions.UserNotFoundException):
        idp.confirm_sign_up(ClientId="api-public", Username=new_email(), ConfirmationCode="123456")
    with pytest.raises(idp.exceptions.UserNotFoundException):
        idp.resend_confirmation_code(ClientId="api-public", Username=new_email())


def test_wrong_codes_hit_the_attempt_limit(idp: Any, lc: LocalCognito) -> None:
    email = new_email()
    idp.sign_up(ClientId="api-public", Username=email, Password=PASSWORD)
    right = lc.last_confirmation_code(email)
    wrong = "000000" if right != "000000" else "111111"
    for _ in range(5):
        with pytest.raises(idp.exceptions.CodeMismatchException):
            idp.confirm_sign_up(ClientId="api-public", Username=email, ConfirmationCode=wrong)
    with pytest.raises(idp.exceptions.LimitExceededException, match="Attempt limit exceeded"):
        idp.confirm_sign_up(ClientId="api-public", Username=email, ConfirmationCode=right)


def test_forgot_and_confirm_forgot_password(idp: Any, lc: LocalCognito) -> None:
    email = make_user(idp)
    old = tokens(idp, email)
    out = idp.forgot_password(ClientId="api-public", Username=email)
    assert out["CodeDeliveryDetails"]["AttributeName"] == "email"
    code = lc.last_reset_code(email)
    with pytest.raises(idp.exceptions.InvalidPasswordException):
        idp.confirm_forgot_password(ClientId="api-public", Username=email, ConfirmationCode=code,
                                    Password="weak")
    with pytest.raises(idp.exceptions.CodeMismatchException):
        idp.confirm_forgot_password(ClientId="api-public", Username=email,
                                    ConfirmationCode="x" + code, Password="Reset-pass-123")
    idp.confirm_forgot_password(ClientId="api-public", Username=email, ConfirmationCode=code,
                                Password="Reset-pass-123")
    assert "AccessToken" in tokens(idp, email, "Reset-pass-123")
    with pytest.raises(idp.exceptions.NotAuthorizedException):
        tokens(idp, email)
    assert idp.get_user(AccessToken=old["AccessToken"])["UserAttributes"]  # other sessions live
    with pytest.raises(idp.exceptions.ExpiredCodeException):  # used up
        idp.confirm_forgot_password(ClientId="api-public", Username=email, ConfirmationCode=code,
                                    Password="Reset-pass-456")


def test_forgot_password_refusals(idp: Any) -> None:
    temporary = new_email()
    idp.admin_create_user(UserPoolId=POOL_ID, Username=temporary)
    with pytest.raises(idp.exceptions.NotAuthorizedException,
                       match=r"User password cannot be reset in the current state\."):
        idp.forgot_password(ClientId="api-public", Username=temporary)
    with pytest.raises(idp.exceptions.UserNotFoundException):
        idp.forgot_password(ClientId="api-public", Username=new_email())
    unverified = make_user(idp, email_verified="false")
    with pytest.raises(idp.exceptions.InvalidParameterException, match="no registered/verified"):
        idp.forgot_password(ClientId="api-public", Username=unverified)
    email = make_user(idp)
    with pytest.raises(idp.exceptions.NotAuthorizedException, match="Unable to verify"):
        idp.forgot_password(ClientId="api-secret", Username=email,
                            SecretHash=secret_hash(email + "x", SECRET))
    with pytest.raises(idp.exceptions.ExpiredCodeException):
        idp.confirm_forgot_password(ClientId="api-public", Username=email,
                                    ConfirmationCode="123456", Password="Reset-pass-123")


def test_get_user_and_update_user_attributes(idp: Any, lc: LocalCognito) -> None:
    email = make_user(idp, name="Before")
    access = tokens(idp, email)["AccessToken"]
    got = idp.get_user(AccessToken=access)
    assert got["Username"] == lc.user(email).username
    assert {a["Name"]: a["Value"] for a in got["UserAttributes"]}["name"] == "Before"
    idp.update_user_attributes(AccessToken=access,
                               UserAttributes=[{"Name": "name", "Value": "After"}])
    assert lc.user(email).attributes["name"] == "After"
    with pytest.raises(idp.exceptions.InvalidParameterException, match="schema"):
        idp.update_user_attributes(AccessToken=access,
                                   UserAttributes=[{"Name": "shoe_size", "Value": "9"}])
    for bad in ("not-a-token", access[:-4] + "AAAA"):
        with pytest.raises(idp.exceptions.NotAuthorizedException, match="Invalid Access Token"):
            idp.get_user(AccessToken=bad)
    id_token = tokens(idp, email)["IdToken"]
    with pytest.raises(idp.exceptions.NotAuthorizedException, match="Invalid Access Token"):
        idp.get_user(AccessToken=id_token)
    lc.clock.advance(3601)
    try:
        with pytest.raises(idp.exceptions.NotAuthorizedException, match="Access Token has expired"):
            idp.get_user(AccessToken=access)
    finally:
        lc.clock.set_offset(0)
    idp.admin_delete_user(UserPoolId=POOL_ID, Username=email)
    with pytest.raises(idp.exceptions.NotAuthorizedException):
        idp.get_user(AccessToken=access)  # deleting revokes the user's tokens


def test_change_password(idp: Any) -> None:
    email = make_user(idp)
    access = tokens(idp, email)["AccessToken"]
    with pytest.raises(idp.exceptions.NotAuthorizedException, match="Incorrect username"):
        idp.change_password(AccessToken=access, PreviousPassword="Wrong-pass-1",
                            ProposedPassword="Changed-pass-1")
    with pytest.raises(idp.exceptions.InvalidPasswordException):
        idp.change_password(AccessToken=access, PreviousPassword=PASSWORD, ProposedPassword="x")
    idp.change_password(AccessToken=access, PreviousPassword=PASSWORD,
                        ProposedPassword="Changed-pass-1")
    assert "AccessToken" in tokens(idp, email, "Changed-pass-1")


def test_global_sign_out(idp: Any) -> None:
    email = make_user(idp)
    first, second = tokens(idp, email), tokens(idp, email)
    idp.global_sign_out(AccessToken=first["AccessToken"])
    for result in (first, second):
        with pytest.raises(idp.exceptions.NotAuthorizedException,
                           match="Access Token has been revoked"):
            idp.get_user(AccessToken=result["AccessToken"])
        with pytest.raises(idp.exceptions.NotAuthorizedException,
                           match="Refresh Token has been revoked"):
            idp.initiate_auth(ClientId="api-public", AuthFlow="REFRESH_TOKEN_AUTH",
                              AuthParameters={"REFRESH_TOKEN": result["RefreshToken"]})
    with pytest.raises(idp.exceptions.NotAuthorizedException, match="has been revoked"):
        idp.global_sign_out(AccessToken=first["AccessToken"])
    third = tokens(idp, email)  # signing in again works
    idp.admin_user_global_sign_out(UserPoolId=POOL_ID, Username=email)
    with pytest.raises(idp.exceptions.NotAuthorizedException, match="has been revoked"):
        idp.get_user(AccessToken=third["AccessToken"])
    with pytest.raises(idp.exceptions.UserNotFoundException):
        idp.admin_user_global_sign_out(UserPoolId=POOL_ID, Username=new_email())


def test_revoke_token(idp: Any, lc: LocalCognito) -> None:
    email = make_user(idp)
    kept, revoked = tokens(idp, email), tokens(idp, email)
    idp.revoke_token(Token=revoked["RefreshToken"], ClientId="api-public")
    with pytest.raises(idp.exceptions.NotAuthorizedException, match="has been revoked"):
        idp.get_user(AccessToken=revoked["AccessToken"])
    assert idp.get_user(AccessToken=kept["AccessToken"])["Username"]  # other sign-ins survive
    idp.revoke_token(Token=revoked["RefreshToken"], ClientId="api-public")  # again: fine
    idp.revoke_token(Token="a.b.c.d.e", ClientId="api-public")  # unknown: fine (no oracle)
    with pytest.raises(idp.exceptions.UnsupportedTokenTypeException):
        idp.revoke_token(Token=kept["AccessToken"], ClientId="api-public")
    with pytest.raises(idp.exceptions.UnauthorizedException):
        idp.revoke_token(Token=kept["RefreshToken"], ClientId="api-secret")
    with pytest.raises(idp.exceptions.UnauthorizedException):
        idp.revoke_token(Token=kept["RefreshToken"], ClientId="api-secret",
                         ClientSecret="wrongSecretValue0123456789")
    with pytest.raises(idp.exceptions.UnauthorizedException):
        idp.revoke_token(Token=kept["RefreshToken"], ClientId="api-default")
    secret_tokens = password_auth(idp, email, client="api-secret",
                                  SECRET_HASH=secret_hash(email, SECRET))["AuthenticationResult"]
    idp.revoke_token(Token=secret_tokens["RefreshToken"], ClientId="api-secret",
                     ClientSecret=SECRET.client_secret)
    with pytest.raises(idp.exceptions.NotAuthorizedException, match="has been revoked"):
        idp.get_user(AccessToken=secret_tokens["AccessToken"])
