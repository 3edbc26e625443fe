"""The pool, its app clients and resource servers, described (SigV4 operations, §4.5): what
Local Cognito's pool really is — an e-mail sign-in pool with Cognito's default password policy."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..accounts import STANDARD_ATTRIBUTES, TEMPORARY_PASSWORD_DAYS
from ..errors import CognitoError
from .params import RESOURCE_SERVER, Params
from .shapes import paginate

if TYPE_CHECKING:
    from ..config import ClientConfig, ResourceServerConfig
    from ..local_cognito import LocalCognito

__all__ = ["OPERATIONS"]

Result = dict[str, Any]
ACCOUNT = "000000000000"
_OAUTH_FLOWS = {"code": "code", "implicit": "implicit", "client_credentials": "client_credentials"}


def _created(lc: LocalCognito) -> float:
    return min((u.created for u in lc.store.users()), default=0.0)


def _schema() -> list[dict[str, Any]]:
    def attribute(name: str, required: bool = False, mutable: bool = True) -> dict[str, Any]:
        kind = "Boolean" if name.endswith("_verified") else "String"
        shape: dict[str, Any] = {
            "Name": name,
            "AttributeDataType": kind,
            "DeveloperOnlyAttribute": False,
            "Mutable": mutable,
            "Required": required,
        }
        if kind == "String":
            shape["StringAttributeConstraints"] = {"MinLength": "0", "MaxLength": "2048"}
        return shape

    return [
        attribute("sub", required=True, mutable=False),
        attribute("email", required=True),
        *(attribute(name) for name in sorted(STANDARD_ATTRIBUTES)),
    ]


def describe_user_pool(lc: LocalCognito, p: Params) -> Result:
    pool_id = p.pool(lc)
    created = _created(lc)
    return {
        "UserPool": {
            "Id": pool_id,
            "Name": pool_id.split("_", 1)[1],
            "Arn": f"arn:aws:cognito-idp:{lc.config.region}:{ACCOUNT}:userpool/{pool_id}",
            "Policies": {
                "PasswordPolicy": {
                    "MinimumLength": 8,
                    "RequireUppercase": True,
                    "RequireLowercase": True,
                    "RequireNumbers": True,
                    "RequireSymbols": True,
                    "PasswordHistorySize": 0,
                    "TemporaryPasswordValidityDays": TEMPORARY_PASSWORD_DAYS,
                },
            },
            "DeletionProtection": "INACTIVE",
            "LambdaConfig": {},
            "SchemaAttributes": _schema(),
            "AutoVerifiedAttributes": ["email"],
            **_sign_in_identifiers(lc),
            "MfaConfiguration": "OFF",
            "EstimatedNumberOfUsers": len(lc.store.users()),
            "AdminCreateUserConfig": {
                "AllowAdminCreateUserOnly": False,
                "UnusedAccountValidityDays": TEMPORARY_PASSWORD_DAYS,
            },
            "AccountRecoverySetting": {
                "RecoveryMechanisms": [{"Priority": 1, "Name": "verified_email"}]
            },
            "UserPoolTier": "ESSENTIALS",
            "CreationDate": created,
            "LastModifiedDate": created,
        }
    }


def client_type(lc: LocalCognito, client: ClientConfig) -> Result:
    """UserPoolClientType; validities in seconds, as configured."""
    shape: Result = {
        "UserPoolId": lc.pool_id,
        "ClientName": client.client_id,
        "ClientId": client.client_id,
        "RefreshTokenValidity": client.refresh_token_validity,
        "AccessTokenValidity": client.access_token_validity,
        "IdTokenValidity": client.id_token_validity,
        "TokenValidityUnits": {
            "AccessToken": "seconds",
            "IdToken": "seconds",
            "RefreshToken": "seconds",
        },
        "ExplicitAuthFlows": list(client.explicit_auth_flows),
        "SupportedIdentityProviders": list(lc.federation.supported(client)),
        "CallbackURLs": list(client.callback_urls),
        "LogoutURLs": list(client.logout_urls),
        "AllowedOAuthFlows": [_OAUTH_FLOWS[f] for f in client.allowed_flows],
        "AllowedOAuthScopes": list(client.allowed_scopes),
        "AllowedOAuthFlowsUserPoolClient": client.oauth,
        "PreventUserExistenceErrors": client.prevent_user_existence_errors,
        "EnableTokenRevocation": client.token_revocation,
        "AuthSessionValidity": 3,
        "RefreshTokenRotation": {
            "Feature": "ENABLED" if client.rotation else "DISABLED",
            "RetryGracePeriodSeconds": client.rotation_grace_seconds,
        },
        "CreationDate": _created(lc),
        "LastModifiedDate": _created(lc),
    }
    if client.client_secret is not None:
        shape["ClientSecret"] = client.client_secret
    # Cognito returns ReadAttributes/WriteAttributes only when a set was configured
    if client.read_attributes is not None:
        shape["ReadAttributes"] = list(client.read_attributes)
    if client.write_attributes is not None:
        shape["WriteAttributes"] = list(client.write_attributes)
    if client.default_redirect_uri is not None:
        shape["DefaultRedirectURI"] = client.default_redirect_uri
    return shape


def describe_user_pool_client(lc: LocalCognito, p: Params) -> Result:
    p.pool(lc)
    return {"UserPoolClient": client_type(lc, p.client(lc))}


def list_user_pool_clients(lc: LocalCognito, p: Params) -> Result:
    p.pool(lc)
    limit = p.number("MaxResults", low=1, high=60)
    clients = list(lc.clients.values())
    page, token = paginate(clients, p.page("NextToken", len(clients)), limit)
    result: Result = {
        "UserPoolClients": [
            {"ClientId": c.client_id, "UserPoolId": lc.pool_id, "ClientName": c.client_id}
            for c in page
        ]
    }
    if token is not None:
        result["NextToken"] = token
    return result


def _resource_server(lc: LocalCognito, server: ResourceServerConfig) -> Result:
    """ResourceServerType (the configuration keeps no scope descriptions: they are the names)."""
    return {
        "UserPoolId": lc.pool_id,
        "Identifier": server.identifier,
        "Name": server.name,
        "Scopes": [{"ScopeName": s, "ScopeDescription": s} for s in server.scopes],
    }


def describe_resource_server(lc: LocalCognito, p: Params) -> Result:
    p.pool(lc)
    identifier = p.text("Identifier", pattern=RESOURCE_SERVER, max_length=256)
    server = lc.resource_servers.get(identifier)
    if server is None:
        raise CognitoError(
            "ResourceNotFoundException", f"Resource server {identifier} does not exist."
        )
    return {"ResourceServer": _resource_server(lc, server)}


def list_resource_servers(lc: LocalCognito, p: Params) -> Result:
    p.pool(lc)
    limit = p.number("MaxResults", low=1, high=50)
    servers = list(lc.resource_servers.values())
    page, token = paginate(servers, p.page("NextToken", len(servers)), limit)
    result: Result = {"ResourceServers": [_resource_server(lc, s) for s in page]}
    if token is not None:
        result["NextToken"] = token
    return result


OPERATIONS = {
    "DescribeUserPool": describe_user_pool,
    "DescribeUserPoolClient": describe_user_pool_client,
    "ListUserPoolClients": list_user_pool_clients,
    "DescribeResourceServer": describe_resource_server,
    "ListResourceServers": list_resource_servers,
}


def _sign_in_identifiers(lc: LocalCognito) -> dict[str, Any]:
    """What the pool's users sign in with: their e-mail (UsernameAttributes, which Cognito
    matches in any case), or a username with the e-mail as alias (usernames compared exactly)."""
    if lc.config.email_usernames:
        return {"UsernameAttributes": ["email"], "UsernameConfiguration": {"CaseSensitive": False}}
    return {"AliasAttributes": ["email"], "UsernameConfiguration": {"CaseSensitive": True}}
