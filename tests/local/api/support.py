"""The API test pool and helpers shared by the JSON API tests."""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from typing import Any

from cognito_gate.local import (
    ClientConfig,
    GroupConfig,
    PoolConfig,
    ResourceServerConfig,
    UserConfig,
)

POOL_ID = "eu-west-1_ApiTest1"
FLOWS = ("ALLOW_USER_PASSWORD_AUTH", "ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH")
PUBLIC = ClientConfig(
    client_id="api-public", callback_urls=("http://localhost:8000/callback/",),
    explicit_auth_flows=FLOWS,
)
SECRET = ClientConfig(
    client_id="api-secret", client_secret="apiSecret0123456789abcdef",
    callback_urls=("http://localhost:8000/callback/",), explicit_auth_flows=FLOWS,
)
DEFAULT_FLOWS = ClientConfig(client_id="api-default", callback_urls=("http://localhost:8000/cb",))
ROTATING = ClientConfig(client_id="api-rotating", explicit_auth_flows=FLOWS, rotation=True)
PASSWORD = "Api-password-1"
API_POOL = PoolConfig(
    pool_id=POOL_ID,
    clients=(PUBLIC, SECRET, DEFAULT_FLOWS, ROTATING),
    groups=(GroupConfig("readers", "Can read", precedence=5),),
    users=(UserConfig("fixed@example.com", PASSWORD, groups=("readers",)),),
    resource_servers=(
        ResourceServerConfig("orders", "Orders API", ("read", "write")),
        ResourceServerConfig("https://api.example.com", "Example API", ("admin",)),
    ),
)


def new_email(prefix: str = "user") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}@example.com"


def make_user(idp: Any, *, email: str | None = None, password: str = PASSWORD,
              groups: tuple[str, ...] = (), **attributes: str) -> str:
    """A CONFIRMED user made through the API (AdminCreateUser + permanent password)."""
    email = email or new_email()
    attrs = [{"Name": k, "Value": v} for k, v in {"email_verified": "true", **attributes}.items()]
    idp.admin_create_user(UserPoolId=POOL_ID, Username=email, UserAttributes=attrs,
                          MessageAction="SUPPRESS")
    idp.admin_set_user_password(UserPoolId=POOL_ID, Username=email, Password=password,
                                Permanent=True)
    for group in groups:
        idp.admin_add_user_to_group(UserPoolId=POOL_ID, Username=email, GroupName=group)
    return email


def secret_hash(username: str, client: ClientConfig) -> str:
    """AWS's SECRET_HASH: Base64(HMAC-SHA256(secret, username + client id))."""
    assert client.client_secret is not None
    mac = hmac.new(client.client_secret.encode(), (username + client.client_id).encode(),
                   hashlib.sha256)
    return base64.b64encode(mac.digest()).decode()
