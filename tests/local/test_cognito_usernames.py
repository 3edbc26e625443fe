"""Usernames as Cognito makes them (issue 15 item 6; cognito-json-api.md §3.1, §4.1
AdminCreateUser; cognito-behaviour.md §9.2 ``cognito:username``): a pool whose users sign in
with their e-mail names them by their ``sub``; a pool of real usernames keeps them, the e-mail
an alias. The pool kind is ``username_attributes`` in the TOML and PoolConfig."""

from __future__ import annotations

import dataclasses
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from cognito_gate.local import TEST_COST, ConfigError, LocalCognito, PoolConfig, UserConfig
from cognito_gate.local.config import parse_config

from .conftest import KEYS, TEST_POOL, WEB
from .helpers import authorize_params, csrf_of, peek, tokens_for

USERNAME_POOL = dataclasses.replace(
    TEST_POOL,
    username_attributes=(),
    users=(UserConfig("alice@example.com", "Alice-password-1", username="alice"),),
)
TARGET = "AWSCognitoIdentityProviderService."


async def api(http: httpx.AsyncClient, operation: str, **body: Any) -> httpx.Response:
    return await http.post(
        "/",
        json={"UserPoolId": TEST_POOL.pool_id, **body},
        headers={"X-Amz-Target": TARGET + operation, "Content-Type": "application/x-amz-json-1.1"},
    )


@pytest.fixture
def named() -> LocalCognito:
    return LocalCognito(USERNAME_POOL, key_factory=KEYS.factory(), password_cost=TEST_COST)


@pytest.fixture
async def named_http(named: LocalCognito) -> Any:
    transport = httpx.ASGITransport(app=named.app)
    async with httpx.AsyncClient(transport=transport, base_url=named.base_url) as client:
        yield client


# e-mail sign-in pools (the default)
def test_3_1_email_pool_is_the_default() -> None:
    assert PoolConfig().username_attributes == ("email",)
    assert parse_config({}).email_usernames


async def test_9_2_email_pool_username_is_the_sub(
    http: httpx.AsyncClient, lc: LocalCognito
) -> None:
    tokens, _ = await tokens_for(http, lc, client=WEB)
    _, id_claims = peek(tokens["id_token"])
    _, access = peek(tokens["access_token"])
    assert id_claims["cognito:username"] == id_claims["sub"] == access["username"]


async def test_4_1_admin_create_user_in_an_email_pool(http: httpx.AsyncClient) -> None:
    made = await api(http, "AdminCreateUser", Username="new@example.com")
    assert made.status_code == 200, made.text
    user = made.json()["User"]
    sub = next(a["Value"] for a in user["Attributes"] if a["Name"] == "sub")
    assert user["Username"] == sub
    got = await api(http, "AdminGetUser", Username="new@example.com")
    assert got.json()["Username"] == sub
    refused = await api(http, "AdminCreateUser", Username="bob")
    assert refused.json() == {
        "__type": "InvalidParameterException",
        "message": "Username should be an email.",
    }


# pools of real usernames
async def test_9_2_username_pool_keeps_the_username(
    named_http: httpx.AsyncClient, named: LocalCognito
) -> None:
    tokens, _ = await tokens_for(
        named_http, named, client=WEB, email="alice", password="Alice-password-1"
    )
    _, id_claims = peek(tokens["id_token"])
    _, access = peek(tokens["access_token"])
    assert id_claims["cognito:username"] == "alice" == access["username"]
    assert id_claims["email"] == "alice@example.com"
    assert id_claims["sub"] != "alice"


async def test_3_1_username_pool_signs_in_with_the_email_alias(
    named_http: httpx.AsyncClient, named: LocalCognito
) -> None:
    tokens, _ = await tokens_for(
        named_http, named, client=WEB, email="Alice@Example.com", password="Alice-password-1"
    )
    assert peek(tokens["id_token"])[1]["cognito:username"] == "alice"


async def test_2_username_pool_login_page_asks_for_a_username(
    named_http: httpx.AsyncClient,
) -> None:
    query, _ = authorize_params(WEB)
    login = await named_http.get(f"/login?{urlencode(query)}")
    assert "Username or email" in login.text
    assert 'type="text"' in login.text
    signup = await named_http.get(f"/signup?{urlencode(query)}")
    assert 'name="username"' in signup.text


async def test_2_username_pool_sign_up_keeps_the_username(
    named_http: httpx.AsyncClient, named: LocalCognito
) -> None:
    query, _ = authorize_params(WEB)
    url = f"/signup?{urlencode(query)}"
    page = await named_http.get(url)
    form = {"_csrf": csrf_of(page), "password": "Bob-password-12", "email": "bob@example.com"}
    taken = await named_http.post(url, data={**form, "username": "alice"})
    assert taken.status_code == 400
    assert "User account already exists" in taken.text
    shaped = await named_http.post(url, data={**form, "username": "bob@example.com"})
    assert shaped.status_code == 400
    assert "cannot be of email format" in shaped.text
    made = await named_http.post(url, data={**form, "username": "bob"})
    assert made.status_code == 302, made.text
    user = named.user("bob@example.com")
    assert user is not None
    assert user.username == "bob"
    assert user.status == "UNCONFIRMED"


async def test_4_1_admin_create_user_in_a_username_pool(named_http: httpx.AsyncClient) -> None:
    email = [{"Name": "email", "Value": "carol@example.com"}]
    made = await api(named_http, "AdminCreateUser", Username="carol", UserAttributes=email)
    assert made.status_code == 200, made.text
    assert made.json()["User"]["Username"] == "carol"
    by_alias = await api(named_http, "AdminGetUser", Username="carol@example.com")
    assert by_alias.json()["Username"] == "carol"
    shaped = await api(named_http, "AdminCreateUser", Username="dave@example.com")
    assert "cannot be of email format" in shaped.json()["message"]
    no_email = await api(named_http, "AdminCreateUser", Username="erin")
    assert no_email.json()["message"].startswith("Attributes did not conform to the schema: email")
    again = await api(named_http, "AdminCreateUser", Username="carol", UserAttributes=email)
    assert again.json()["__type"] == "UsernameExistsException"


def test_3_1_pool_kind_in_toml() -> None:
    config = parse_config(
        {
            "pool": {"username_attributes": []},
            "users": [{"username": "alice", "email": "a@example.com", "password": "P-assword1"}],
        }
    )
    assert not config.email_usernames
    assert config.users[0].username == "alice"
    with pytest.raises(ConfigError, match=r"users\[0\]\.username: required"):
        parse_config(
            {
                "pool": {"username_attributes": []},
                "users": [{"email": "a@example.com", "password": "P-assword1"}],
            }
        )
    with pytest.raises(ConfigError, match="names its users by their sub"):
        parse_config(
            {"users": [{"username": "x", "email": "a@example.com", "password": "P-assword1"}]}
        )
    with pytest.raises(ConfigError, match="phone-number sign-in is not simulated"):
        parse_config({"pool": {"username_attributes": ["phone_number"]}})


def test_python_api_add_user_in_both_kinds(named: LocalCognito, lc: LocalCognito) -> None:
    sub = named.add_user("frank@example.com", "Frank-password-1", username="frank")
    frank = named.user("frank")
    assert frank is not None
    assert frank.sub == sub
    assert frank.username == "frank"
    sub = lc.add_user("grace@example.com", "Grace-password-1")
    grace = lc.user("grace@example.com")
    assert grace is not None
    assert grace.username == sub


async def test_4_5_describe_user_pool_says_what_users_sign_in_with(
    http: httpx.AsyncClient, named_http: httpx.AsyncClient
) -> None:
    email_pool = (await api(http, "DescribeUserPool")).json()["UserPool"]
    assert email_pool["UsernameAttributes"] == ["email"]
    assert "AliasAttributes" not in email_pool
    named_pool = (await api(named_http, "DescribeUserPool")).json()["UserPool"]
    assert named_pool["AliasAttributes"] == ["email"]
    assert "UsernameAttributes" not in named_pool
    assert named_pool["UsernameConfiguration"] == {"CaseSensitive": True}
