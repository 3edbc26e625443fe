"""Identity providers and linked users (SigV4 operations): ListIdentityProviders,
DescribeIdentityProvider, GetIdentityProviderByIdentifier and AdminLinkProviderForUser.

The providers are the ones the configuration declared (TOML, ``lc.add_identity_provider``); the
API reads them but does not create or change them. A link is what the hosted UI's federated
sign-in honours (federation.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import CognitoError
from .params import Params, invalid
from .shapes import paginate

if TYPE_CHECKING:
    from ..config import IdentityProviderConfig
    from ..local_cognito import LocalCognito

__all__ = ["OPERATIONS"]

Result = dict[str, Any]
COGNITO_SOURCE = (
    "Invalid SourceUser: Cognito users with a username/password may not be passed in as a "
    "SourceUser, only as a DestinationUser"
)  # observed: aws-amplify/amplify-js#13334


def _summary(lc: LocalCognito, idp: IdentityProviderConfig) -> Result:
    created = lc.federation.created[idp.name]
    return {
        "ProviderName": idp.name,
        "ProviderType": idp.type,
        "LastModifiedDate": created,
        "CreationDate": created,
    }


def _described(lc: LocalCognito, idp: IdentityProviderConfig | None, name: str) -> Result:
    if idp is None:
        raise CognitoError("ResourceNotFoundException", f"Identity provider {name} does not exist.")
    return {
        "IdentityProvider": {
            "UserPoolId": lc.pool_id,
            **_summary(lc, idp),
            "ProviderDetails": {},  # no client ids or secrets: the IdP is simulated
            "AttributeMapping": dict(idp.attribute_mapping),
            "IdpIdentifiers": list(idp.idp_identifiers),
        }
    }


def list_identity_providers(lc: LocalCognito, p: Params) -> Result:
    p.pool(lc)
    limit = p.number("MaxResults", low=1, high=60)
    providers = list(lc.federation.providers.values())
    page, token = paginate(providers, p.page("NextToken", len(providers)), limit)
    result: Result = {"Providers": [_summary(lc, idp) for idp in page]}
    if token is not None:
        result["NextToken"] = token
    return result


def describe_identity_provider(lc: LocalCognito, p: Params) -> Result:
    p.pool(lc)
    name = p.text("ProviderName", max_length=32)
    return _described(lc, lc.federation.providers.get(name), name)


def get_identity_provider_by_identifier(lc: LocalCognito, p: Params) -> Result:
    p.pool(lc)
    identifier = p.text("IdpIdentifier", max_length=40)
    found = next((i for i in lc.federation.providers.values() if i.matches(identifier)), None)
    return _described(lc, found, identifier)


def _provider_user(p: Params, member: str) -> tuple[str, str]:
    """(ProviderName, ProviderAttributeValue) of a ProviderUserIdentifierType member."""
    value = p.body.get(member)
    if not isinstance(value, dict):
        raise invalid(f"1 validation error detected: Value at '{member}' failed to satisfy "
                      "constraint: Member must not be null")
    inner = Params(value)
    return inner.text("ProviderName", max_length=32), inner.text(
        "ProviderAttributeValue", max_length=2048
    )


def admin_link_provider_for_user(lc: LocalCognito, p: Params) -> Result:
    """DestinationUser: ``Cognito`` and a pool user's username (or alias); SourceUser: an IdP
    and the external user's subject (``ProviderAttributeName`` ``Cognito_Subject``)."""
    p.pool(lc)
    destination, username = _provider_user(p, "DestinationUser")
    source, subject = _provider_user(p, "SourceUser")
    if source == "Cognito":
        raise invalid(COGNITO_SOURCE)
    if destination != "Cognito":
        raise invalid("Invalid DestinationUser: its ProviderName must be Cognito")
    idp = lc.federation.providers.get(source)
    if idp is None:
        raise invalid(f"Invalid SourceUser: identity provider {source} does not exist")
    lc.federation.link(lc.accounts.require(username), idp, subject)
    return {}


OPERATIONS = {
    "ListIdentityProviders": list_identity_providers,
    "DescribeIdentityProvider": describe_identity_provider,
    "GetIdentityProviderByIdentifier": get_identity_provider_by_identifier,
    "AdminLinkProviderForUser": admin_link_provider_for_user,
}
