"""The wire protocol (AWS JSON 1.1) and the pool description operations."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from cognito_gate.local import LocalCognito

from .support import POOL_ID

TARGET = "AWSCognitoIdentityProviderService."


def raw(lc: LocalCognito, operation: str, body: bytes) -> httpx.Response:
    return httpx.post(lc.base_url + "/", content=body, headers={
        "X-Amz-Target": TARGET + operation, "Content-Type": "application/x-amz-json-1.1"})


def test_errors_have_aws_shape_headers_and_status(lc: LocalCognito) -> None:
    answer = raw(lc, "AdminGetUser", json.dumps(
        {"UserPoolId": POOL_ID, "Username": "nobody@example.com"}).encode())
    assert answer.status_code == 400
    assert answer.headers["content-type"] == "application/x-amz-json-1.1"
    assert answer.json() == {"__type": "UserNotFoundException", "message": "User does not exist."}
    assert answer.headers["x-amzn-ErrorType"] == "UserNotFoundException:"
    assert answer.headers["x-amzn-ErrorMessage"] == "User does not exist."
    assert answer.headers["x-amzn-RequestId"]


def test_unknown_operation_bad_json_and_missing_members(lc: LocalCognito) -> None:
    unknown = raw(lc, "DeleteEverything", b"{}")
    assert unknown.status_code == 400
    assert unknown.json()["__type"] == "UnknownOperationException"
    for body in (b"not json", b"[1, 2]", b"\xff"):
        bad = raw(lc, "AdminGetUser", body)
        assert bad.status_code == 400
        assert bad.json()["__type"] == "SerializationException"
    missing = raw(lc, "AdminGetUser", json.dumps({"UserPoolId": POOL_ID}).encode())
    assert missing.json() == {
        "__type": "InvalidParameterException",
        "message": "1 validation error detected: Value null at 'username' failed to satisfy "
                   "constraint: Member must not be null",
    }
    wrong_type = raw(lc, "AdminGetUser", json.dumps({"UserPoolId": 5, "Username": "x"}).encode())
    assert wrong_type.status_code == 400


def test_success_carries_request_id_and_json_type(lc: LocalCognito) -> None:
    answer = raw(lc, "ListGroups", json.dumps({"UserPoolId": POOL_ID}).encode())
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/x-amz-json-1.1"
    assert answer.headers["x-amzn-RequestId"]
    assert lc.requests["api"] >= 1


def test_boto3_gets_request_id_and_status(idp: Any) -> None:
    out = idp.list_groups(UserPoolId=POOL_ID)
    assert out["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert out["ResponseMetadata"]["RequestId"]
    with pytest.raises(idp.exceptions.UserNotFoundException) as caught:
        idp.admin_get_user(UserPoolId=POOL_ID, Username="nobody@example.com")
    assert caught.value.response["Error"] == {"Code": "UserNotFoundException",
                                              "Message": "User does not exist."}
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_describe_user_pool(idp: Any, lc: LocalCognito) -> None:
    pool = idp.describe_user_pool(UserPoolId=POOL_ID)["UserPool"]
    assert pool["Id"] == POOL_ID
    assert pool["Arn"] == f"arn:aws:cognito-idp:eu-west-1:000000000000:userpool/{POOL_ID}"
    assert pool["UsernameAttributes"] == ["email"]
    assert pool["Policies"]["PasswordPolicy"]["MinimumLength"] == 8
    assert pool["EstimatedNumberOfUsers"] == len(lc.store.users())
    with pytest.raises(idp.exceptions.ResourceNotFoundException):
        idp.describe_user_pool(UserPoolId="eu-west-1_Nope")


def test_s1_2_describe_and_list_resource_servers(idp: Any) -> None:
    described = idp.describe_resource_server(UserPoolId=POOL_ID, Identifier="orders")
    server = described["ResourceServer"]
    assert (server["Identifier"], server["Name"]) == ("orders", "Orders API")
    assert [s["ScopeName"] for s in server["Scopes"]] == ["read", "write"]
    with pytest.raises(idp.exceptions.ResourceNotFoundException):
        idp.describe_resource_server(UserPoolId=POOL_ID, Identifier="nope")
    first = idp.list_resource_servers(UserPoolId=POOL_ID, MaxResults=1)
    rest = idp.list_resource_servers(UserPoolId=POOL_ID, MaxResults=1,
                                     NextToken=first["NextToken"])
    listed = [s["Identifier"] for s in first["ResourceServers"] + rest["ResourceServers"]]
    assert listed == ["orders", "https://api.example.com"]
    assert "NextToken" not in rest


def test_describe_and_list_user_pool_clients(idp: Any, lc: LocalCognito) -> None:
    secret = idp.describe_user_pool_client(UserPoolId=POOL_ID, ClientId="api-secret")
    client = secret["UserPoolClient"]
    assert client["ClientSecret"] == lc.clients["api-secret"].client_secret
    assert "ALLOW_USER_PASSWORD_AUTH" in client["ExplicitAuthFlows"]
    assert client["AllowedOAuthFlows"] == ["code"]
    public = idp.describe_user_pool_client(UserPoolId=POOL_ID, ClientId="api-default")
    assert "ClientSecret" not in public["UserPoolClient"]
    assert public["UserPoolClient"]["ExplicitAuthFlows"] == [
        "ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_CUSTOM_AUTH"]
    with pytest.raises(idp.exceptions.ResourceNotFoundException,
                       match=r"User pool client nope does not exist\."):
        idp.describe_user_pool_client(UserPoolId=POOL_ID, ClientId="nope")
    first = idp.list_user_pool_clients(UserPoolId=POOL_ID, MaxResults=3)
    rest = idp.list_user_pool_clients(UserPoolId=POOL_ID, MaxResults=3,
                                      NextToken=first["NextToken"])
    listed = [c["ClientId"] for c in first["UserPoolClients"] + rest["UserPoolClients"]]
    assert sorted(listed) == sorted(lc.clients)
    assert all("ClientSecret" not in c for c in first["UserPoolClients"])
