"""Signing in through real boto3: InitiateAuth / AdminInitiateAuth (password and refresh flows),
NEW_PASSWORD_REQUIRED, SECRET_HASH as AWS checks it, ExplicitAuthFlows per client."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest

from cognito_gate.local import LocalCognito

from .support import PASSWORD, POOL_ID, PUBLIC, SECRET, make_user, new_email, secret_hash


def claims(token: str) -> dict[str, Any]:
    part = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def password_auth(idp: Any, email: str, password: str = PASSWORD, client: str = "api-public",
                  **extra: str) -> dict[str, Any]:
    return idp.initiate_auth(ClientId=client, AuthFlow="USER_PASSWORD_AUTH",
                             AuthParameters={"USERNAME": email, "PASSWORD": password, **extra})


def test_user_password_auth_issues_api_tokens(idp: Any, lc: LocalCognito) -> None:
    email = make_user(idp, groups=("readers",))
    out = password_auth(idp, email)
    result = out["AuthenticationResult"]
    assert out["ChallengeParameters"] == {}
    assert result["TokenType"] == "Bearer"
    assert result["ExpiresIn"] == PUBLIC.access_token_validity
    access, id_token = claims(result["AccessToken"]), claims(result["IdToken"])
    assert access["scope"] == "aws.cognito.signin.user.admin"
    assert access["client_id"] == "api-public"
    assert access["cognito:groups"] == ["readers"]
    assert access["iss"] == lc.issuer
    assert id_token["email"] == email
    assert id_token["aud"] == "api-public"
    assert "nonce" not in id_token
    assert "at_hash" not in id_token
    assert id_token["origin_jti"] == access["origin_jti"]
    assert result["RefreshToken"].count(".") == 4


def test_admin_user_password_auth(idp: Any) -> None:
    email = make_user(idp)
    out = idp.admin_initiate_auth(UserPoolId=POOL_ID, ClientId="api-public",
                                  AuthFlow="ADMIN_USER_PASSWORD_AUTH",
                                  AuthParameters={"USERNAME": email, "PASSWORD": PASSWORD})
    assert claims(out["AuthenticationResult"]["IdToken"])["email"] == email
    legacy = idp.admin_initiate_auth(UserPoolId=POOL_ID, ClientId="api-public",
                                     AuthFlow="ADMIN_NO_SRP_AUTH",
                                     AuthParameters={"USERNAME": email, "PASSWORD": PASSWORD})
    assert "AccessToken" in legacy["AuthenticationResult"]


def test_sign_in_outcomes_by_state(idp: Any, lc: LocalCognito) -> None:
    email = make_user(idp)
    with pytest.raises(idp.exceptions.NotAuthorizedException,
                       match=r"Incorrect username or password\."):
        password_auth(idp, email, "Wrong-password-1")
    with pytest.raises(idp.exceptions.UserNotFoundException, match=r"User does not exist\."):
        password_auth(idp, new_email())
    pending = new_email()
    lc.add_user(pending, PASSWORD, confirmed=False)
    with pytest.raises(idp.exceptions.UserNotConfirmedException):
        password_auth(idp, pending, "Even-a-wrong-one-1")  # regardless of the password
    idp.admin_disable_user(UserPoolId=POOL_ID, Username=email)
    with pytest.raises(idp.exceptions.NotAuthorizedException, match=r"User is disabled\."):
        password_auth(idp, email)


def test_flows_a_client_does_not_allow_are_refused(idp: Any) -> None:
    email = make_user(idp)
    with pytest.raises(idp.exceptions.InvalidParameterException,
                       match="USER_PASSWORD_AUTH flow not enabled for this client"):
        password_auth(idp, email, client="api-default")
    with pytest.raises(idp.exceptions.InvalidParameterException,
                       match="Auth flow not enabled for this client"):
        idp.admin_initiate_auth(UserPoolId=POOL_ID, ClientId="api-default",
                                AuthFlow="ADMIN_USER_PASSWORD_AUTH",
                                AuthParameters={"USERNAME": email, "PASSWORD": PASSWORD})
    with pytest.raises(idp.exceptions.InvalidParameterException,
                       match="Initiate Auth method not supported"):
        idp.initiate_auth(ClientId="api-public", AuthFlow="ADMIN_USER_PASSWORD_AUTH",
                          AuthParameters={"USERNAME": email, "PASSWORD": PASSWORD})
    with pytest.raises(idp.exceptions.InvalidParameterException, match="enum value set"):
        idp.initiate_auth(ClientId="api-public", AuthFlow="MAGIC", AuthParameters={})
    with pytest.raises(idp.exceptions.ResourceNotFoundException,
                       match=r"User pool client nope does not exist\."):
        password_auth(idp, email, client="nope")
    with pytest.raises(idp.exceptions.InvalidParameterException, match="USERNAME"):
        idp.initiate_auth(ClientId="api-public", AuthFlow="USER_PASSWORD_AUTH",
                          AuthParameters={"PASSWORD": PASSWORD})


def test_secret_hash_is_checked_as_aws_does(idp: Any) -> None:
    email = make_user(idp)
    with pytest.raises(idp.exceptions.NotAuthorizedException,
                       match="Client api-secret is configured for secret but secret was not "
                             "received"):
        password_auth(idp, email, client="api-secret")
    with pytest.raises(idp.exceptions.NotAuthorizedException,
                       match="Unable to verify secret hash for client api-secret"):
        password_auth(idp, email, client="api-secret", SECRET_HASH=secret_hash("other", SECRET))
    out = password_auth(idp, email, client="api-secret", SECRET_HASH=secret_hash(email, SECRET))
    refresh = out["AuthenticationResult"]["RefreshToken"]
    username = claims(out["AuthenticationResult"]["AccessToken"])["username"]
    with pytest.raises(idp.exceptions.NotAuthorizedException, match="Unable to verify"):
        # refresh: the hash is over the internal username, never the e-mail address
        idp.initiate_auth(ClientId="api-secret", AuthFlow="REFRESH_TOKEN_AUTH", AuthParameters={
            "REFRESH_TOKEN": refresh, "SECRET_HASH": secret_hash(email, SECRET)})
    again = idp.initiate_auth(ClientId="api-secret", AuthFlow="REFRESH_TOKEN_AUTH",
                              AuthParameters={"REFRESH_TOKEN": refresh,
                                              "SECRET_HASH": secret_hash(username, SECRET)})
    assert "AccessToken" in again["AuthenticationResult"]


def test_refresh_token_auth(idp: Any) -> None:
    email = make_user(idp)
    first = password_auth(idp, email)["AuthenticationResult"]
    out = idp.initiate_auth(ClientId="api-public", AuthFlow="REFRESH_TOKEN_AUTH",
                            AuthParameters={"REFRESH_TOKEN": first["RefreshToken"]})
    result = out["AuthenticationResult"]
    assert "RefreshToken" not in result
    old, new = claims(first["AccessToken"]), claims(result["AccessToken"])
    assert new["origin_jti"] == old["origin_jti"]
    assert new["auth_time"] == old["auth_time"]
    assert claims(result["IdToken"])["email"] == email
    admin = idp.admin_initiate_auth(UserPoolId=POOL_ID, ClientId="api-public",
                                    AuthFlow="REFRESH_TOKEN",
                                    AuthParameters={"REFRESH_TOKEN": first["RefreshToken"]})
    assert "IdToken" in admin["AuthenticationResult"]
    with pytest.raises(idp.exceptions.NotAuthorizedException, match=r"Invalid Refresh Token\."):
        idp.initiate_auth(ClientId="api-public", AuthFlow="REFRESH_TOKEN_AUTH",
                          AuthParameters={"REFRESH_TOKEN": "a.b.c.d.e"})
    with pytest.raises(idp.exceptions.NotAuthorizedException, match=r"Invalid Refresh Token\."):
        idp.initiate_auth(ClientId="api-default", AuthFlow="REFRESH_TOKEN_AUTH",
                          AuthParameters={"REFRESH_TOKEN": first["RefreshToken"]})
    with pytest.raises(idp.exceptions.InvalidParameterException, match="rotation"):
        idp.initiate_auth(ClientId="api-rotating", AuthFlow="REFRESH_TOKEN_AUTH",
                          AuthParameters={"REFRESH_TOKEN": first["RefreshToken"]})


def test_disabling_revokes_refresh_and_access(idp: Any) -> None:
    email = make_user(idp)
    result = password_auth(idp, email)["AuthenticationResult"]
    idp.admin_disable_user(UserPoolId=POOL_ID, Username=email)
    with pytest.raises(idp.exceptions.NotAuthorizedException,
                       match="Refresh Token has been revoked"):
        idp.initiate_auth(ClientId="api-public", AuthFlow="REFRESH_TOKEN_AUTH",
                          AuthParameters={"REFRESH_TOKEN": result["RefreshToken"]})
    with pytest.raises(idp.exceptions.NotAuthorizedException,
                       match="Access Token has been revoked"):
        idp.get_user(AccessToken=result["AccessToken"])
    idp.admin_enable_user(UserPoolId=POOL_ID, Username=email)  # revoked tokens stay revoked
    with pytest.raises(idp.exceptions.NotAuthorizedException):
        idp.get_user(AccessToken=result["AccessToken"])


def test_new_password_required_challenge(idp: Any, lc: LocalCognito) -> None:
    email = new_email()
    idp.admin_create_user(UserPoolId=POOL_ID, Username=email, TemporaryPassword="Temp-pass-123",
                          UserAttributes=[{"Name": "email_verified", "Value": "true"}])
    challenge = password_auth(idp, email, "Temp-pass-123")
    assert challenge["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
    assert "AuthenticationResult" not in challenge
    parameters = challenge["ChallengeParameters"]
    assert json.loads(parameters["userAttributes"])["email"] == email
    assert json.loads(parameters["requiredAttributes"]) == []
    answer = {"USERNAME": email, "NEW_PASSWORD": "Short1!"}
    with pytest.raises(idp.exceptions.InvalidPasswordException):
        idp.respond_to_auth_challenge(ClientId="api-public", ChallengeName="NEW_PASSWORD_REQUIRED",
                                      Session=challenge["Session"], ChallengeResponses=answer)
    answer = {"USERNAME": email, "NEW_PASSWORD": "Brand-new-pass-1", "userAttributes.name": "Ada"}
    done = idp.respond_to_auth_challenge(ClientId="api-public",
                                         ChallengeName="NEW_PASSWORD_REQUIRED",
                                         Session=challenge["Session"], ChallengeResponses=answer)
    assert claims(done["AuthenticationResult"]["IdToken"])["name"] == "Ada"
    assert lc.user(email).status == "CONFIRMED"
    with pytest.raises(idp.exceptions.NotAuthorizedException, match="Invalid session"):
        idp.respond_to_auth_challenge(ClientId="api-public", ChallengeName="NEW_PASSWORD_REQUIRED",
                                      Session=challenge["Session"], ChallengeResponses=answer)
    assert "AccessToken" in password_auth(idp, email, "Brand-new-pass-1")["AuthenticationResult"]


def test_admin_respond_to_auth_challenge_with_secret_and_expiry(
        idp: Any, lc: LocalCognito) -> None:
    email = new_email()
    idp.admin_create_user(UserPoolId=POOL_ID, Username=email, TemporaryPassword="Temp-pass-123")
    start = idp.admin_initiate_auth(
        UserPoolId=POOL_ID, ClientId="api-secret", AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": "Temp-pass-123",
                        "SECRET_HASH": secret_hash(email, SECRET)})
    answer = {"USERNAME": email, "NEW_PASSWORD": "Brand-new-pass-1"}
    with pytest.raises(idp.exceptions.NotAuthorizedException, match="configured for secret"):
        idp.admin_respond_to_auth_challenge(
            UserPoolId=POOL_ID, ClientId="api-secret", ChallengeName="NEW_PASSWORD_REQUIRED",
            Session=start["Session"], ChallengeResponses=answer)
    lc.clock.advance(181)  # the session lasts 3 minutes
    try:
        with pytest.raises(idp.exceptions.NotAuthorizedException, match="Invalid session"):
            idp.admin_respond_to_auth_challenge(
                UserPoolId=POOL_ID, ClientId="api-secret", ChallengeName="NEW_PASSWORD_REQUIRED",
                Session=start["Session"],
                ChallengeResponses={**answer, "SECRET_HASH": secret_hash(email, SECRET)})
    finally:
        lc.clock.set_offset(0)
    fresh = idp.admin_initiate_auth(
        UserPoolId=POOL_ID, ClientId="api-secret", AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": "Temp-pass-123",
                        "SECRET_HASH": secret_hash(email, SECRET)})
    done = idp.admin_respond_to_auth_challenge(
        UserPoolId=POOL_ID, ClientId="api-secret", ChallengeName="NEW_PASSWORD_REQUIRED",
        Session=fresh["Session"],
        ChallengeResponses={**answer, "SECRET_HASH": secret_hash(email, SECRET)})
    assert "RefreshToken" in done["AuthenticationResult"]
    with pytest.raises(idp.exceptions.InvalidParameterException, match="Session"):
        idp.respond_to_auth_challenge(ClientId="api-public", ChallengeName="NEW_PASSWORD_REQUIRED",
                                      ChallengeResponses=answer)


def test_expired_temporary_password(idp: Any, lc: LocalCognito) -> None:
    email = new_email()
    idp.admin_create_user(UserPoolId=POOL_ID, Username=email, TemporaryPassword="Temp-pass-123")
    lc.clock.advance(8 * 86400)
    try:
        with pytest.raises(idp.exceptions.NotAuthorizedException,
                           match="Temporary password has expired"):
            password_auth(idp, email, "Temp-pass-123")
    finally:
        lc.clock.set_offset(0)


def test_api_refresh_tokens_work_at_the_token_endpoint(idp: Any, lc: LocalCognito) -> None:
    """One pool: an API sign-in's refresh token refreshes at /oauth2/token too, with the API
    claims (ID token, scope aws.cognito.signin.user.admin) kept; userInfo refuses its access
    token (no openid scope)."""
    email = make_user(idp)
    result = password_auth(idp, email)["AuthenticationResult"]
    answer = httpx.post(f"{lc.base_url}/oauth2/token", data={
        "grant_type": "refresh_token", "client_id": "api-public",
        "refresh_token": result["RefreshToken"]})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert claims(body["access_token"])["scope"] == "aws.cognito.signin.user.admin"
    assert claims(body["id_token"])["email"] == email
    userinfo = httpx.get(f"{lc.base_url}/oauth2/userInfo",
                         headers={"Authorization": f"Bearer {result['AccessToken']}"})
    assert userinfo.status_code == 401
