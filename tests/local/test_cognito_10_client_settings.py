"""App-client settings that change what the endpoints do (cognito-behaviour.md §10, §7; the
JSON API's side: cognito-json-api.md §3.3, §4.4, §4.5), each with Cognito's default."""

from __future__ import annotations

import dataclasses
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from cognito_gate.local import (
    ClientConfig,
    ConfigError,
    IdentityProviderConfig,
    LocalCognito,
    demo_pool,
)
from cognito_gate.local.config import parse_config

from .conftest import SPA, TEST_POOL, WEB
from .helpers import (
    DEMO_EMAIL,
    DEMO_PASSWORD,
    api,
    authorize_params,
    basic,
    csrf_of,
    exchange,
    peek,
    query_of,
    refresh,
    sign_in,
    submit_login,
    tokens_for,
    userinfo,
)

API_FLOWS = ("ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH")
APP = dataclasses.replace(SPA, client_id="settings-app", explicit_auth_flows=API_FLOWS)
CSRF = "XSRF-TOKEN"
UNAUTHORIZED_WRITE = "A client attempted to write unauthorized attribute"


def with_settings(lc: LocalCognito, **settings: Any) -> ClientConfig:
    """The public test app client with these settings, registered."""
    return lc.add_client(dataclasses.replace(APP, **settings))


async def initiate_auth(
    http: httpx.AsyncClient, client: ClientConfig, username: str, password: str
) -> httpx.Response:
    """InitiateAuth with USER_PASSWORD_AUTH (the test clients have no secret)."""
    return await api(
        http,
        "InitiateAuth",
        ClientId=client.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": password},
    )


async def api_tokens(http: httpx.AsyncClient, client: ClientConfig) -> dict[str, Any]:
    answer = await initiate_auth(http, client, DEMO_EMAIL, DEMO_PASSWORD)
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()["AuthenticationResult"]
    return result


def error_of(answer: httpx.Response) -> tuple[str, str]:
    body = answer.json()
    return body["__type"], body["message"]


# ------------------------------------------------------------------ ReadAttributes
async def test_s10_read_attributes_filter_id_token_claims(lc, http):
    client = with_settings(lc, read_attributes=("email", "email_verified", "name"))
    tokens, _ = await tokens_for(http, lc, client=client, scope="openid")
    claims = peek(tokens["id_token"])[1]
    assert (claims["email"], claims["name"], claims["email_verified"]) == (
        DEMO_EMAIL,
        "Demo User",
        True,
    )
    assert "phone_number" not in claims
    assert "custom:tenant" not in claims
    api_claims = peek((await api_tokens(http, client))["IdToken"])[1]
    assert "custom:tenant" not in api_claims
    assert api_claims["name"] == "Demo User"


async def test_s10_read_attributes_filter_userinfo(lc, http):
    client = with_settings(lc, read_attributes=("email", "email_verified", "custom:tenant"))
    tokens, _ = await tokens_for(http, lc, client=client, scope="openid")
    body = (await userinfo(http, tokens["access_token"])).json()
    assert body["custom:tenant"] == "acme"
    assert body["email"] == DEMO_EMAIL
    assert "name" not in body
    assert "phone_number" not in body


async def test_s10_default_read_attributes_are_every_attribute(lc, http):
    tokens, _ = await tokens_for(http, lc, client=WEB, scope="openid")
    claims = peek(tokens["id_token"])[1]
    assert {"email", "name", "phone_number", "custom:tenant"} <= set(claims)


async def test_s10_unreadable_attribute_of_a_scope_is_invalid_grant(lc, http):
    client = with_settings(lc, read_attributes=("email", "name"))  # no email_verified
    auth = await sign_in(http, lc, client=client, scope="openid email")
    refused = await exchange(http, auth)
    assert (refused.status_code, refused.json()["error"]) == (400, "invalid_grant")
    assert "email_verified" in refused.json()["error_description"]
    tokens, _ = await tokens_for(http, lc, client=client, scope="openid")  # implies nothing
    assert "email_verified" not in peek(tokens["id_token"])[1]


async def test_s10_refresh_after_losing_read_access_is_invalid_grant(lc, http):
    client = with_settings(lc)
    tokens, _ = await tokens_for(http, lc, client=client, scope="openid phone")
    narrowed = with_settings(lc, read_attributes=("email", "phone_number"))
    again = await refresh(http, narrowed, tokens["refresh_token"])
    assert (again.status_code, again.json()["error"]) == (400, "invalid_grant")
    assert "phone_number_verified" in again.json()["error_description"]


# ----------------------------------------------------------------- WriteAttributes
async def test_s10_write_attributes_refuse_update_user_attributes(lc, http):
    client = with_settings(lc, write_attributes=("email", "name"))
    access = (await api_tokens(http, client))["AccessToken"]
    allowed = await api(
        http,
        "UpdateUserAttributes",
        AccessToken=access,
        UserAttributes=[{"Name": "name", "Value": "Renamed"}],
    )
    assert allowed.status_code == 200, allowed.text
    refused = await api(
        http,
        "UpdateUserAttributes",
        AccessToken=access,
        UserAttributes=[{"Name": "phone_number", "Value": "+15550199"}],
    )
    assert error_of(refused) == ("NotAuthorizedException", UNAUTHORIZED_WRITE)
    user = lc.user(DEMO_EMAIL)
    assert user is not None
    assert (user.attributes["name"], user.attributes["phone_number"]) == ("Renamed", "+15550100")


async def test_s10_write_attributes_refuse_sign_up(lc, http):
    client = with_settings(lc, write_attributes=("email", "name"))
    common = {"ClientId": client.client_id, "Password": "New-password-1"}
    refused = await api(
        http,
        "SignUp",
        Username="new@example.com",
        UserAttributes=[{"Name": "custom:tenant", "Value": "evil"}],
        **common,
    )
    assert error_of(refused) == ("NotAuthorizedException", UNAUTHORIZED_WRITE)
    assert lc.user("new@example.com") is None
    fine = await api(
        http,
        "SignUp",
        Username="new@example.com",
        UserAttributes=[{"Name": "name", "Value": "New"}],
        **common,
    )
    assert fine.status_code == 200, fine.text


def test_s10_write_attributes_must_include_the_required_email():
    with pytest.raises(ConfigError, match="email must be writable"):
        ClientConfig("c", write_attributes=("name",))
    with pytest.raises(ConfigError, match=r"read_attributes: \['colour'\]"):
        ClientConfig("c", read_attributes=("email", "colour"))


# ------------------------------------------------------------ EnableTokenRevocation
async def test_s10_token_revocation_on_by_default_adds_jti_and_origin_jti(lc, http):
    tokens, _ = await tokens_for(http, lc, client=WEB)
    for token in (tokens["id_token"], tokens["access_token"]):
        assert {"jti", "origin_jti"} <= set(peek(token)[1])


async def test_s10_token_revocation_off_drops_jti_and_refuses_revocation(lc, http):
    client = lc.add_client(dataclasses.replace(WEB, client_id="no-revoke", token_revocation=False))
    tokens, _ = await tokens_for(http, lc, client=client)
    for token in (tokens["id_token"], tokens["access_token"]):
        assert not {"jti", "origin_jti"} & set(peek(token)[1])
    assert (await userinfo(http, tokens["access_token"])).status_code == 200
    revoke = await http.post(
        "/oauth2/revoke",
        data={"token": tokens["refresh_token"]},
        headers=basic(client.client_id, "webSecret123"),
    )
    assert (revoke.status_code, revoke.json()["error"]) == (400, "invalid_request")
    api_revoke = await api(
        http,
        "RevokeToken",
        Token=tokens["refresh_token"],
        ClientId=client.client_id,
        ClientSecret="webSecret123",
    )
    assert error_of(api_revoke)[0] == "UnsupportedOperationException"
    # a global sign-out still ends the sign-in: userInfo and refresh refuse its tokens
    lc.global_sign_out(DEMO_EMAIL)
    assert (await userinfo(http, tokens["access_token"])).status_code == 401
    assert (await refresh(http, client, tokens["refresh_token"])).status_code == 400


async def test_s10_client_credentials_without_revocation_has_no_jti(lc, http):
    from .conftest import MACHINE

    lc.add_client(dataclasses.replace(MACHINE, token_revocation=False))
    answer = await http.post(
        "/oauth2/token",
        data={"grant_type": "client_credentials"},
        headers=basic(MACHINE.client_id, "machineSecret1"),
    )
    assert "jti" not in peek(answer.json()["access_token"])[1]


# ------------------------------------------------------- PreventUserExistenceErrors
AUTHORIZE = urlencode(
    {"response_type": "code", "client_id": "settings-app", "redirect_uri": SPA.callback_urls[0]}
)


async def login_as(http: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    return await submit_login(http, f"/login?{AUTHORIZE}", email, password)


async def test_s10_user_existence_legacy_is_the_default_and_says_user_does_not_exist(lc, http):
    client = with_settings(lc)
    assert client.prevent_user_existence_errors == "LEGACY"
    page = await login_as(http, "nobody@example.com", "Some-password-1")
    assert page.status_code == 400
    assert "User does not exist." in page.text
    answer = await initiate_auth(http, client, "nobody@example.com", "x")
    assert error_of(answer) == ("UserNotFoundException", "User does not exist.")
    forgot = await api(http, "ForgotPassword", ClientId=client.client_id, Username="no@ex.com")
    assert error_of(forgot)[0] == "UserNotFoundException"


async def test_s10_user_existence_enabled_answers_alike_for_unknown_users(lc, http):
    client = with_settings(lc, prevent_user_existence_errors="ENABLED")
    unknown = await login_as(http, "nobody@example.com", "Some-password-1")
    wrong = await login_as(http, DEMO_EMAIL, "Wrong-password-1")
    for page in (unknown, wrong):
        assert page.status_code == 400
        assert "Incorrect username or password." in page.text
    answer = await initiate_auth(http, client, "nobody@example.com", "x")
    assert error_of(answer) == ("NotAuthorizedException", "Incorrect username or password.")
    ids = {"ClientId": client.client_id, "Username": "nobody@example.com"}
    forgot = await api(http, "ForgotPassword", **ids)
    resend = await api(http, "ResendConfirmationCode", **ids)
    for simulated in (forgot, resend):
        assert simulated.status_code == 200
        assert simulated.json()["CodeDeliveryDetails"]["DeliveryMedium"] == "EMAIL"
    confirm = await api(
        http, "ConfirmForgotPassword", ConfirmationCode="123456", Password="New-pass-word1", **ids
    )
    signup = await api(http, "ConfirmSignUp", ConfirmationCode="123456", **ids)
    for mismatch in (confirm, signup):
        assert error_of(mismatch)[0] == "CodeMismatchException"


async def test_s10_user_existence_enabled_hosted_ui_forgot_password_goes_on(lc, http):
    with_settings(lc, prevent_user_existence_errors="ENABLED")
    page = await http.get(f"/forgotPassword?{AUTHORIZE}")
    answer = await http.post(
        f"/forgotPassword?{AUTHORIZE}",
        data={"username": "nobody@example.com", "_csrf": csrf_of(page)},
    )
    assert answer.status_code == 302
    assert answer.headers["location"].startswith("/confirmForgotPassword?")


def test_s10_user_existence_defaults_legacy_in_files_enabled_in_the_demo():
    config = parse_config({"clients": [{"id": "c"}]})
    assert config.clients[0].prevent_user_existence_errors == "LEGACY"
    assert demo_pool().clients[0].prevent_user_existence_errors == "ENABLED"


# -------------------------------------------------- AllowedOAuthFlowsUserPoolClient
async def test_s10_oauth_flag_off_closes_the_oauth_endpoints_only(lc, http):
    client = with_settings(lc, oauth=False, logout_urls=("https://spa.example.com/bye",))
    query, _ = authorize_params(client)
    answer = await http.get(f"/oauth2/authorize?{urlencode(query)}")
    assert answer.headers["location"] == "/error?error=unauthorized_client&client_id=settings-app"
    api_signed_in = await api_tokens(http, client)  # the JSON API works without OAuth
    refused = await refresh(http, client, api_signed_in["RefreshToken"])
    assert refused.json()["error"] == "invalid_grant"
    logout = await http.get(
        "/logout?" + urlencode({"client_id": client.client_id, "logout_uri": client.logout_urls[0]})
    )
    assert logout.status_code == 400
    assert (await refresh(http, APP, api_signed_in["RefreshToken"])).status_code == 400


# ------------------------------------------------------ SupportedIdentityProviders
async def test_s10_supported_identity_providers_without_cognito_hide_the_form(lc, http):
    lc.add_identity_provider(IdentityProviderConfig("Google", "Google"))
    client = with_settings(lc, supported_identity_providers=("Google",))
    page = await http.get(f"/login?{AUTHORIZE}")
    assert page.status_code == 200
    assert 'name="password"' not in page.text
    posted = await http.post(
        f"/login?{AUTHORIZE}",
        data={"username": DEMO_EMAIL, "password": DEMO_PASSWORD, "_csrf": http.cookies[CSRF]},
    )
    assert posted.status_code == 400
    assert "cognito=" not in posted.headers.get("set-cookie", "")
    assert (await http.get(f"/signup?{AUTHORIZE}")).status_code == 400
    assert (await http.get(f"/forgotPassword?{AUTHORIZE}")).status_code == 400
    assert (await api_tokens(http, client))["AccessToken"]  # API sign-in is not affected


async def test_s10_client_without_identity_providers_cannot_authorize(lc, http):
    client = with_settings(lc, supported_identity_providers=())
    query, _ = authorize_params(client)
    answer = await http.get(f"/oauth2/authorize?{urlencode(query)}")
    assert query_of(answer.headers["location"])["error"] == "unauthorized_client"


# ---------------------------------------------------------------- DefaultRedirectURI
async def test_s10_default_redirect_uri_stands_in_for_a_missing_redirect_uri(lc, http):
    target = "https://spa.example.com/home"
    client = with_settings(
        lc, callback_urls=(SPA.callback_urls[0], target), default_redirect_uri=target
    )
    query, verifier = authorize_params(client)
    del query["redirect_uri"]
    answer = await http.get(f"/oauth2/authorize?{urlencode(query)}")
    login = await submit_login(http, answer.headers["location"], DEMO_EMAIL, DEMO_PASSWORD)
    assert login.headers["location"].startswith(target + "?code=")
    code = query_of(login.headers["location"])["code"]
    tokens = await http.post(
        "/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "client_id": client.client_id,
            "code": code,
            "redirect_uri": target,
            "code_verifier": verifier or "",
        },
    )
    assert tokens.status_code == 200, tokens.text
    plain = with_settings(lc, client_id="no-default")
    query, _ = authorize_params(plain)
    del query["redirect_uri"]
    answer = await http.get(f"/oauth2/authorize?{urlencode(query)}")
    assert answer.headers["location"].startswith("/error?error=invalid_request")


def test_s10_default_redirect_uri_must_be_a_callback_url():
    with pytest.raises(ConfigError, match="default_redirect_uri"):
        ClientConfig("c", callback_urls=("https://a.example/cb",), default_redirect_uri="https://b.example/")


# ------------------------------------------------------- hosted-UI session validity
async def test_s7_session_validity_per_client(lc, http):
    await sign_in(http, lc, client=WEB)  # a hosted-UI session, from WEB's sign-in
    short = with_settings(lc, session_validity=600)
    never = with_settings(lc, client_id="always-ask", session_validity=0)

    async def silent(client: ClientConfig) -> bool:
        query, _ = authorize_params(client)
        answer = await http.get(f"/oauth2/authorize?{urlencode(query)}")
        return not answer.headers["location"].startswith("/login?")

    assert await silent(short)
    assert not await silent(never)
    lc.clock.advance(601)
    assert not await silent(short)
    assert await silent(WEB)  # the pool's session itself lives on (1 hour, renewed)


# ------------------------------------------------------------------- the JSON API
async def test_s10_describe_user_pool_client_reports_the_settings(lc, http):
    with_settings(
        lc,
        read_attributes=("email", "email_verified"),
        write_attributes=("email",),
        prevent_user_existence_errors="ENABLED",
        token_revocation=False,
        oauth=False,
        supported_identity_providers=("COGNITO",),
        default_redirect_uri=SPA.callback_urls[0],
    )
    # DescribeUserPoolClient is an IAM operation: any signature is accepted
    answer = await api(
        http, "DescribeUserPoolClient", UserPoolId=TEST_POOL.pool_id, ClientId="settings-app"
    )
    shape = answer.json()["UserPoolClient"]
    assert shape["ReadAttributes"] == ["email", "email_verified"]
    assert shape["WriteAttributes"] == ["email"]
    assert shape["PreventUserExistenceErrors"] == "ENABLED"
    assert shape["EnableTokenRevocation"] is False
    assert shape["AllowedOAuthFlowsUserPoolClient"] is False
    assert shape["SupportedIdentityProviders"] == ["COGNITO"]
    assert shape["DefaultRedirectURI"] == SPA.callback_urls[0]
    default = await api(
        http, "DescribeUserPoolClient", UserPoolId=TEST_POOL.pool_id, ClientId="web-client"
    )
    assert "ReadAttributes" not in default.json()["UserPoolClient"]


def test_s10_client_settings_in_toml():
    config = parse_config(
        {
            "clients": [
                {
                    "id": "c",
                    "callback_urls": ["https://a.example/cb"],
                    "read_attributes": ["email", "email_verified", "name"],
                    "write_attributes": ["email", "name"],
                    "prevent_user_existence_errors": "ENABLED",
                    "oauth": False,
                    "supported_identity_providers": ["COGNITO"],
                    "default_redirect_uri": "https://a.example/cb",
                    "session_validity": "10m",
                }
            ]
        }
    )
    client = config.clients[0]
    assert client.read_attributes == ("email", "email_verified", "name")
    assert client.write_attributes == ("email", "name")
    assert (client.oauth, client.hides_users, client.session_validity) == (False, True, 600)
    assert client.supported_identity_providers == ("COGNITO",)
    assert client.default_redirect_uri == "https://a.example/cb"


def test_s10_supported_identity_providers_must_exist():
    with pytest.raises(ConfigError, match=r"clients\[0\]\.supported_identity_providers"):
        parse_config({"clients": [{"id": "c", "supported_identity_providers": ["Google"]}]})
    assert parse_config({"clients": [{"id": "c", "supported_identity_providers": ["COGNITO"]}]})
