"""Resource servers, custom scopes and ``resource=`` (cognito-behaviour.md §1.2, §4.3, §9.3).

A custom scope is ``{identifier}/{name}`` only when a resource server declares it; the
``resource`` indicator (RFC 8707) becomes the access token's ``aud``, which access tokens
otherwise never carry.
"""

from __future__ import annotations

import dataclasses
from urllib.parse import urlencode

import pytest

from cognito_gate.local import ConfigError, PoolConfig, ResourceServerConfig
from cognito_gate.local.config import parse_config

from .conftest import KEYS, MACHINE, TEST_POOL, WEB
from .helpers import authorize_params, basic, peek, query_of, refresh, tokens_for

ORDERS_WEB = dataclasses.replace(
    WEB, client_id="orders-web", allowed_scopes=("openid", "email", "orders/read")
)


def test_s1_2_custom_scope_needs_a_declared_resource_server():
    undeclared = dataclasses.replace(MACHINE, allowed_scopes=("billing/read",))
    with pytest.raises(ConfigError, match=r"clients\[0\]\.scopes: \['billing/read'\] not declared"):
        PoolConfig(clients=(undeclared,))
    with pytest.raises(ConfigError, match="not declared"):
        PoolConfig(
            clients=(dataclasses.replace(MACHINE, allowed_scopes=("orders/delete",)),),
            resource_servers=(ResourceServerConfig("orders", scopes=("read",)),),
        )
    declared = PoolConfig(
        clients=(dataclasses.replace(MACHINE, allowed_scopes=("https://api.example.com/read",)),),
        resource_servers=(ResourceServerConfig("https://api.example.com", scopes=("read",)),),
    )
    assert declared.clients[0].custom_scopes == ("https://api.example.com/read",)


def test_s1_2_resource_servers_in_toml():
    config = parse_config(
        {
            "resource_servers": [{"identifier": "orders", "name": "Orders", "scopes": ["read"]}],
            "clients": [
                {
                    "id": "job",
                    "secret": "jobSecret42",
                    "flows": ["client_credentials"],
                    "scopes": ["orders/read"],
                }
            ],
        }
    )
    assert config.resource_servers == (ResourceServerConfig("orders", "Orders", ("read",)),)
    with pytest.raises(ConfigError, match=r"resource_servers\[0\].*scopes"):
        parse_config({"resource_servers": [{"identifier": "orders", "scopes": ["a/b"]}]})
    with pytest.raises(ConfigError, match=r"resource_servers\[0\]: unknown key"):
        parse_config({"resource_servers": [{"identifier": "orders", "scope": ["read"]}]})


def test_s1_2_add_client_refuses_an_undeclared_scope(lc):
    with pytest.raises(ConfigError, match="not declared by any resource server"):
        lc.add_client(dataclasses.replace(MACHINE, client_id="m2", allowed_scopes=("x/y",)))
    lc.add_resource_server(ResourceServerConfig("x", scopes=("y",)))
    assert lc.add_client(dataclasses.replace(MACHINE, client_id="m2", allowed_scopes=("x/y",)))


def test_s1_2_resource_servers_are_kept_in_the_data_file(tmp_path):
    from cognito_gate.local import TEST_COST, LocalCognito

    data = str(tmp_path / "pool.sqlite3")
    first = LocalCognito(TEST_POOL, data=data, key_factory=KEYS.factory(), password_cost=TEST_COST)
    first.add_resource_server(ResourceServerConfig("x", scopes=("y",)))
    first.add_client(dataclasses.replace(MACHINE, client_id="m2", allowed_scopes=("x/y",)))
    first.close()
    again = LocalCognito(TEST_POOL, data=data, key_factory=KEYS.factory(), password_cost=TEST_COST)
    assert again.clients["m2"].allowed_scopes == ("x/y",)
    again.close()


async def test_s1_2_declared_custom_scope_reaches_the_access_token(lc, http):
    lc.add_client(ORDERS_WEB)
    tokens, _ = await tokens_for(http, lc, client=ORDERS_WEB, scope="openid orders/read")
    claims = peek(tokens["access_token"])[1]
    assert claims["scope"] == "openid orders/read"
    assert "aud" not in claims  # no resource asked for: access tokens carry client_id only


async def test_s1_2_resource_sets_the_access_token_aud_and_survives_refresh(lc, http):
    lc.add_client(ORDERS_WEB)
    tokens, _ = await tokens_for(
        http, lc, client=ORDERS_WEB, scope="openid orders/read", resource="https://orders.example"
    )
    access = peek(tokens["access_token"])[1]
    assert access["aud"] == "https://orders.example"
    assert peek(tokens["id_token"])[1]["aud"] == ORDERS_WEB.client_id  # the ID token's is kept
    again = await refresh(http, ORDERS_WEB, tokens["refresh_token"])
    assert peek(again.json()["access_token"])[1]["aud"] == "https://orders.example"


@pytest.mark.parametrize(
    "resource",
    ["orders", "http://orders.example", "https://", "https://orders.example/#x", "ftp:/x"],
)
async def test_s1_2_resource_must_be_an_https_localhost_or_app_url(lc, http, resource):
    query, _ = authorize_params(WEB, resource=resource)
    response = await http.get(f"/oauth2/authorize?{urlencode(query)}")
    assert response.status_code == 302
    got = query_of(response.headers["location"])
    assert (got["error"], got["state"]) == ("invalid_target", query["state"])


@pytest.mark.parametrize("resource", ["http://localhost:3000/api", "myapp://orders"])
async def test_s1_2_localhost_and_app_schemes_are_resources(lc, http, resource):
    tokens, _ = await tokens_for(http, lc, client=WEB, resource=resource)
    assert peek(tokens["access_token"])[1]["aud"] == resource


async def test_s4_3_client_credentials_grant_with_resource(lc, http):
    headers = basic(MACHINE.client_id, "machineSecret1")
    form = {"grant_type": "client_credentials", "scope": "orders/write"}
    bound = await http.post(
        "/oauth2/token", data={**form, "resource": "https://orders.example"}, headers=headers
    )
    claims = peek(bound.json()["access_token"])[1]
    assert (claims["aud"], claims["scope"]) == ("https://orders.example", "orders/write")
    plain = await http.post("/oauth2/token", data=form, headers=headers)
    assert "aud" not in peek(plain.json()["access_token"])[1]
    bad = await http.post("/oauth2/token", data={**form, "resource": "orders"}, headers=headers)
    assert (bad.status_code, bad.json()["error"]) == (400, "invalid_target")


async def test_s4_3_client_credentials_refuses_undeclared_scopes(lc, http):
    response = await http.post(
        "/oauth2/token",
        data={"grant_type": "client_credentials", "scope": "orders/delete"},
        headers=basic(MACHINE.client_id, "machineSecret1"),
    )
    assert response.json() == {"error": "invalid_scope"}
