"""Identity providers and links through real boto3 (issue 15 item 3): the declared IdPs read
back (ListIdentityProviders, DescribeIdentityProvider, GetIdentityProviderByIdentifier), and
AdminLinkProviderForUser making a later federated sign-in the pool user's, every response
checked against botocore's output shapes."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest

from cognito_gate.local import TEST_COST, IdentityProviderConfig, LocalCognito

from ..conftest import KEYS
from .support import API_POOL, POOL_ID, make_user

GOOGLE = IdentityProviderConfig("Google", "Google", attribute_mapping={"email": "email"})
CORP = IdentityProviderConfig("Corp", "SAML", idp_identifiers=("corp.example.com",))


@pytest.fixture(scope="module")
def lc() -> Iterator[LocalCognito]:
    config = dataclasses.replace(API_POOL, identity_providers=(GOOGLE, CORP))
    pool = LocalCognito(config, key_factory=KEYS.factory(), password_cost=TEST_COST)
    with pool.serve():
        yield pool
    pool.close()


def test_declared_providers_read_back(idp: Any) -> None:
    listed = idp.list_identity_providers(UserPoolId=POOL_ID, MaxResults=1)
    assert [p["ProviderName"] for p in listed["Providers"]] == ["Google"]
    rest = idp.list_identity_providers(UserPoolId=POOL_ID, NextToken=listed["NextToken"])
    assert [(p["ProviderName"], p["ProviderType"]) for p in rest["Providers"]] == [("Corp", "SAML")]
    google = idp.describe_identity_provider(UserPoolId=POOL_ID, ProviderName="Google")
    assert google["IdentityProvider"]["AttributeMapping"] == {"username": "sub", "email": "email"}
    corp = idp.get_identity_provider_by_identifier(
        UserPoolId=POOL_ID, IdpIdentifier="corp.example.com"
    )
    assert corp["IdentityProvider"]["ProviderName"] == "Corp"
    with pytest.raises(idp.exceptions.ResourceNotFoundException):
        idp.describe_identity_provider(UserPoolId=POOL_ID, ProviderName="google")


def test_admin_link_provider_for_user(idp: Any, lc: LocalCognito) -> None:
    email = make_user(idp)
    idp.admin_link_provider_for_user(
        UserPoolId=POOL_ID,
        DestinationUser={"ProviderName": "Cognito", "ProviderAttributeValue": email},
        SourceUser={"ProviderName": "Google", "ProviderAttributeName": "Cognito_Subject",
                    "ProviderAttributeValue": "555"},
    )
    user = lc.federation.sign_in(GOOGLE, {"sub": "555", "email": "other@gmail.example"})
    assert user.email == email  # the pool user, its sign-in address kept
    attributes = idp.admin_get_user(UserPoolId=POOL_ID, Username=email)["UserAttributes"]
    identities = next(a["Value"] for a in attributes if a["Name"] == "identities")
    assert '"providerName":"Google"' in identities
    assert '"userId":"555"' in identities


def test_admin_link_provider_for_user_refusals(idp: Any, lc: LocalCognito) -> None:
    email = make_user(idp)
    cognito = {"ProviderName": "Cognito", "ProviderAttributeValue": email}
    with pytest.raises(idp.exceptions.InvalidParameterException, match="Invalid SourceUser"):
        idp.admin_link_provider_for_user(
            UserPoolId=POOL_ID, DestinationUser=cognito, SourceUser=cognito
        )
    lc.federation.sign_in(GOOGLE, {"sub": "777"})
    with pytest.raises(idp.exceptions.InvalidParameterException, match="Merging"):
        idp.admin_link_provider_for_user(
            UserPoolId=POOL_ID,
            DestinationUser=cognito,
            SourceUser={"ProviderName": "Google", "ProviderAttributeName": "Cognito_Subject",
                        "ProviderAttributeValue": "777"},
        )
