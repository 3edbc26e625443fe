"""Federated sign-in through Local Cognito's simulated IdP, named after the reference sections
(cognito-behaviour.md §1.1/§1.2 identity_provider and idp_identifier, §3 SAML sign-out, §9.2
identities and nonce; cognito-json-api.md §3.3 EXTERNAL_PROVIDER)."""

from __future__ import annotations

import dataclasses
import json
import re
import sqlite3
from pathlib import Path
from urllib.parse import unquote, urlencode

import httpx
import pytest

from cognito_gate.local import (
    TEST_COST,
    IdentityProviderConfig,
    LocalCognito,
)

from .conftest import KEYS, TEST_POOL, WEB
from .helpers import api, authorize_params, csrf_of, peek, query_of, userinfo

GOOGLE = IdentityProviderConfig(
    "Google",
    "Google",
    attribute_mapping={"email": "email", "email_verified": "email_verified", "name": "name"},
)
CORP = IdentityProviderConfig(
    "CorpSAML",
    "SAML",
    attribute_mapping={
        "email": "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"
    },
    idp_identifiers=("corp.example.com",),
    issuer="urn:corp:idp",
    sign_out=True,
)
RETIRED = IdentityProviderConfig("OldOIDC", "OIDC", enabled=False)
POOL = dataclasses.replace(TEST_POOL, identity_providers=(GOOGLE, CORP, RETIRED))
UNAVAILABLE = "Login option is not available. Please try another one."
SAML_EMAIL = "claim:http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"


@pytest.fixture
def lc() -> LocalCognito:
    return LocalCognito(POOL, key_factory=KEYS.factory(), password_cost=TEST_COST)


async def to_idp(http: httpx.AsyncClient, **extra: str) -> tuple[httpx.Response, dict[str, str]]:
    """/oauth2/authorize with ``extra`` → the simulated IdP page (followed)."""
    query, verifier = authorize_params(WEB, **extra)
    response = await http.get(f"/oauth2/authorize?{urlencode(query)}")
    location = response.headers.get("location", "")
    if location.startswith("/_idp/"):
        response = await http.get(location)
    query["verifier"] = verifier or ""
    query["page"] = location
    return response, query


async def federate(
    http: httpx.AsyncClient, claims: dict[str, str], **extra: str
) -> tuple[httpx.Response, dict[str, str]]:
    """Through the IdP page, posting ``claims`` (form field → value); returns the answer."""
    page, query = await to_idp(http, **extra)
    assert page.status_code == 200, page.text
    action = re.search(r'<form method="post" action="([^"]+)" novalidate', page.text)
    assert action
    provider = re.search(r'name="provider" value="([^"]+)"', page.text)
    assert provider
    form = {"_csrf": csrf_of(page), "provider": provider.group(1), **claims}
    answer = await http.post(action.group(1).replace("&amp;", "&"), data=form)
    return answer, query


async def google_tokens(
    http: httpx.AsyncClient, subject: str = "108765432109876543210", **extra: str
) -> dict[str, object]:
    claims = {
        "claim:sub": subject,
        "claim:email": "Pat@Gmail.example",
        "claim:email_verified": "true",
        "claim:name": "Pat Example",
    }
    answer, query = await federate(http, claims, identity_provider="Google", **extra)
    assert answer.status_code == 302, answer.text
    code = query_of(answer.headers["location"])["code"]
    token = await http.post(
        "/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": query["redirect_uri"],
            "code_verifier": query["verifier"],
        },
        auth=(WEB.client_id, WEB.client_secret or ""),
    )
    assert token.status_code == 200, token.text
    body: dict[str, object] = token.json()
    return body


async def test_1_1_identity_provider_skips_the_hosted_ui(http: httpx.AsyncClient) -> None:
    page, query = await to_idp(http, identity_provider="Google")
    assert query["page"].startswith("/_idp/Google/authorize?")
    assert page.status_code == 200
    assert "Sign in with Google" in page.text
    assert "Simulated" in page.text


async def test_1_2_idp_identifier_names_a_saml_provider(http: httpx.AsyncClient) -> None:
    page, query = await to_idp(http, idp_identifier="CORP.example.com")
    assert query["page"].startswith("/_idp/CorpSAML/authorize?")
    assert 'action="/saml2/idpresponse?' in page.text


@pytest.mark.parametrize(
    "extra",
    [
        {"identity_provider": "google"},  # names are compared exactly, as Cognito does
        {"identity_provider": "Nobody"},
        {"identity_provider": "OldOIDC"},  # declared but disabled
        {"idp_identifier": "unknown.example.com"},
    ],
)
async def test_1_2_unknown_or_disabled_provider_is_not_available(
    http: httpx.AsyncClient, extra: dict[str, str]
) -> None:
    page, _ = await to_idp(http, **extra)
    assert page.status_code == 400
    assert UNAVAILABLE in page.text
    assert 'id="password"' in page.text  # the sign-in page, its other options still there


async def test_2_login_page_shows_a_button_per_enabled_provider(
    http: httpx.AsyncClient,
) -> None:
    query, _ = authorize_params(WEB)
    page = await http.get(f"/login?{urlencode(query)}")
    buttons = re.findall(r'href="/oauth2/authorize\?([^"]+)"[^>]*>.*?Sign in with (\w+)', page.text)
    named = {label: dict(p.split("=", 1) for p in q.replace("&amp;", "&").split("&"))
             for q, label in buttons}
    assert sorted(named) == ["CorpSAML", "Google"]
    assert named["Google"]["identity_provider"] == "Google"
    assert unquote(named["Google"]["redirect_uri"]) == query["redirect_uri"]


async def test_9_2_federated_user_claims(http: httpx.AsyncClient, lc: LocalCognito) -> None:
    tokens = await google_tokens(http)
    _, claims = peek(str(tokens["id_token"]))
    assert claims["cognito:username"] == "Google_108765432109876543210"
    assert claims["cognito:groups"] == [f"{lc.pool_id}_Google"]
    assert claims["email"] == "pat@gmail.example"
    assert claims["email_verified"] is True
    assert claims["name"] == "Pat Example"
    (identity,) = claims["identities"]
    assert identity["userId"] == "108765432109876543210"
    assert identity["providerName"] == "Google"
    assert identity["providerType"] == "Google"
    assert identity["issuer"] is None
    assert identity["primary"] == "true"
    assert identity["dateCreated"].isdigit()
    _, access = peek(str(tokens["access_token"]))
    assert access["username"] == "Google_108765432109876543210"
    assert access["cognito:groups"] == [f"{lc.pool_id}_Google"]


async def test_3_3_external_provider_status_and_group(
    http: httpx.AsyncClient, lc: LocalCognito
) -> None:
    await google_tokens(http)
    user = lc.user("Google_108765432109876543210")
    assert user is not None
    assert user.status == "EXTERNAL_PROVIDER"
    group = lc.store.group(f"{lc.pool_id}_Google")
    assert group is not None
    assert "Autogenerated group" in group.description
    attribute = json.loads(user.attributes["identities"])
    assert attribute[0]["primary"] is True
    assert isinstance(attribute[0]["dateCreated"], int)
    # the e-mail alias still names the pool's own users only: a password sign-up can take it
    assert lc.user("pat@gmail.example") is None


async def test_9_2_second_sign_in_maps_attributes_again(
    http: httpx.AsyncClient, lc: LocalCognito
) -> None:
    await google_tokens(http)
    sub = lc.user("Google_108765432109876543210").sub  # type: ignore[union-attr]
    http.cookies.clear()  # another browser: the IdP asks again
    answer, _ = await federate(
        http,
        {"claim:sub": "108765432109876543210", "claim:email": "pat@new.example",
         "claim:name": "Pat Renamed"},
        identity_provider="Google",
    )
    assert answer.status_code == 302
    user = lc.user("Google_108765432109876543210")
    assert user is not None
    assert user.sub == sub  # the same user, not a second one
    assert user.email == "pat@new.example"
    assert user.attributes["name"] == "Pat Renamed"


async def test_9_2_cognito_adds_a_nonce_when_the_app_sent_none(http: httpx.AsyncClient) -> None:
    tokens = await google_tokens(http, nonce="")
    _, claims = peek(str(tokens["id_token"]))
    assert isinstance(claims.get("nonce"), str)
    assert len(claims["nonce"]) > 40


async def test_9_2_linked_user_signs_in_as_the_pool_user(
    http: httpx.AsyncClient, lc: LocalCognito
) -> None:
    lc.link_provider("demo@example.com", "Google", "108765432109876543210")
    tokens = await google_tokens(http)
    _, claims = peek(str(tokens["id_token"]))
    demo = lc.user("demo@example.com")
    assert demo is not None
    assert claims["sub"] == demo.sub
    assert claims["email"] == "demo@example.com"
    assert [i["providerName"] for i in claims["identities"]] == ["Google"]
    assert lc.user("Google_108765432109876543210") is None


async def test_5_userinfo_keeps_identities_as_a_string(http: httpx.AsyncClient) -> None:
    tokens = await google_tokens(http, scope="openid")  # openid alone: every attribute
    info = (await userinfo(http, str(tokens["access_token"]))).json()
    assert info["username"] == "Google_108765432109876543210"
    assert json.loads(info["identities"])[0]["providerName"] == "Google"


async def test_1_1_idp_session_returns_without_the_page(http: httpx.AsyncClient) -> None:
    await google_tokens(http)
    http.cookies.delete("cognito")  # the app's hosted-UI session is gone, Google's is not
    query, _ = authorize_params(WEB, identity_provider="Google")
    first = await http.get(f"/oauth2/authorize?{urlencode(query)}")
    again = await http.get(first.headers["location"])
    assert again.status_code == 302
    assert again.headers["location"].startswith(WEB.callback_urls[0])
    assert "code" in query_of(again.headers["location"])


async def test_3_logout_leaves_a_social_idp_session(http: httpx.AsyncClient) -> None:
    await google_tokens(http)
    out = await http.get(
        "/logout?" + urlencode({"client_id": WEB.client_id, "logout_uri": WEB.logout_urls[0]})
    )
    assert out.headers["location"] == WEB.logout_urls[0]
    page, _ = await to_idp(http, identity_provider="Google")
    assert page.status_code == 302  # still signed in at Google: straight back to the app


async def test_3_saml_sign_out_goes_through_the_idp(http: httpx.AsyncClient) -> None:
    answer, _ = await federate(
        http,
        {"claim:NameID": "pat", SAML_EMAIL: "pat@corp.example"},
        idp_identifier="corp.example.com",
    )
    assert answer.status_code == 302
    assert "code=" in answer.headers["location"]
    logout = "/logout?" + urlencode({"client_id": WEB.client_id, "logout_uri": WEB.logout_urls[0]})
    out = await http.get(logout)
    assert out.headers["location"].startswith("/_idp/CorpSAML/saml/logout?")
    slo = await http.get(out.headers["location"])
    assert slo.headers["location"].startswith("/saml2/logout?")
    back = await http.get(slo.headers["location"])
    assert back.headers["location"] == WEB.logout_urls[0]
    page, _ = await to_idp(http, idp_identifier="corp.example.com")
    assert page.status_code == 200  # signed out at the IdP: its page asks again


async def test_1_1_missing_subject_is_asked_for_again(http: httpx.AsyncClient) -> None:
    answer, _ = await federate(http, {"claim:sub": " "}, identity_provider="Google")
    assert answer.status_code == 400
    assert "sub is required" in answer.text


async def test_1_1_known_identities_are_offered_again(http: httpx.AsyncClient) -> None:
    await google_tokens(http)
    http.cookies.clear()
    page, _ = await to_idp(http, identity_provider="Google")
    assert "Continue as" in page.text
    assert "Pat Example" in page.text


def test_config_idp_table_parses() -> None:
    from cognito_gate.local.config import ConfigError, parse_config

    config = parse_config(
        {
            "identity_providers": [
                {"name": "Google", "type": "Google", "attribute_mapping": {"email": "email"}},
                {"name": "Corp", "type": "SAML", "idp_identifiers": ["corp.example"],
                 "sign_out": True, "enabled": False},
            ]
        }
    )
    google, corp = config.identity_providers
    assert google.attribute_mapping == {"username": "sub", "email": "email"}
    assert corp.subject_claim == "NameID"
    assert corp.sign_out
    assert not corp.enabled
    for bad in (
        {"name": "Gmail", "type": "Google"},  # social providers are named after their type
        {"name": "X", "type": "LDAP"},
        {"name": "X", "type": "OIDC", "sign_out": True},
        {"name": "X", "type": "OIDC", "attribute_mapping": {"shoe_size": "s"}},
    ):
        with pytest.raises(ConfigError, match=r"identity_providers\[0\]"):
            parse_config({"identity_providers": [bad]})


async def test_3_3_set_password_makes_a_federated_user_a_pool_user(
    http: httpx.AsyncClient, lc: LocalCognito
) -> None:
    await google_tokens(http)
    user = lc.user("Google_108765432109876543210")
    assert user is not None
    confirmed = lc.accounts.set_password(user, "Fed-password-12", permanent=True)
    assert confirmed.status == "CONFIRMED"  # AdminSetUserPassword: EXTERNAL_PROVIDER → CONFIRMED
    assert lc.user("pat@gmail.example") == confirmed  # its address now signs it in
    lc.add_user("taken@example.com", "Taken-password-1")
    other = lc.federation.sign_in(GOOGLE, {"sub": "2", "email": "taken@example.com"})
    with pytest.raises(ValueError, match="already exists"):
        lc.accounts.set_password(other, "Fed-password-12", permanent=True)


def test_older_data_file_lets_a_federated_profile_share_an_address(tmp_path: Path) -> None:
    """A data file from before federation declared ``email UNIQUE``: it is rebuilt once, its
    users kept, and a federated profile may then carry a pool user's address."""
    data = tmp_path / "old.sqlite3"
    with sqlite3.connect(data) as db:
        db.execute(
            "CREATE TABLE users (sub TEXT PRIMARY KEY, username TEXT UNIQUE NOT NULL, "
            "email TEXT UNIQUE NOT NULL, password_hash TEXT NOT NULL, "
            "confirmed INTEGER NOT NULL, attributes TEXT NOT NULL)"
        )
    lc = LocalCognito(POOL, data=str(data), key_factory=KEYS.factory(), password_cost=TEST_COST)
    try:
        demo = lc.user("demo@example.com")
        assert demo is not None
        twin = lc.federation.sign_in(GOOGLE, {"sub": "7", "email": "demo@example.com"})
        assert twin.sub != demo.sub
        assert lc.user("demo@example.com") == demo
        with pytest.raises(sqlite3.IntegrityError):  # pool users' addresses stay unique
            lc.store.add_user(dataclasses.replace(demo, sub="x", username="x"))
    finally:
        lc.close()


async def test_3_3_linking_an_identity_that_already_signed_in_is_refused(
    http: httpx.AsyncClient, lc: LocalCognito
) -> None:
    await google_tokens(http)
    with pytest.raises(ValueError, match="Merging is not currently supported"):
        lc.link_provider("demo@example.com", "Google", "108765432109876543210")
    assert lc.user("Google_108765432109876543210") is not None  # nothing was merged


async def test_1_4_disabled_federated_user_is_refused_to_the_app(
    http: httpx.AsyncClient, lc: LocalCognito
) -> None:
    await google_tokens(http)
    lc.disable_user("Google_108765432109876543210")
    http.cookies.clear()
    answer, query = await federate(http, {"claim:sub": "108765432109876543210"},
                                   identity_provider="Google")
    assert answer.status_code == 302
    got = query_of(answer.headers["location"])
    assert got == {"error": "invalid_request", "error_description": "User is disabled.",
                   "state": query["state"]}


async def test_s10_supported_identity_providers_default_to_cognito_and_every_idp(
    http: httpx.AsyncClient, lc: LocalCognito
) -> None:
    answer = await api(
        http, "DescribeUserPoolClient", UserPoolId=POOL.pool_id, ClientId="web-client"
    )
    assert answer.json()["UserPoolClient"]["SupportedIdentityProviders"] == [
        "COGNITO", "Google", "CorpSAML"]


async def test_s10_supported_identity_providers_limit_the_idps_of_a_client(
    http: httpx.AsyncClient, lc: LocalCognito
) -> None:
    lc.add_client(dataclasses.replace(WEB, supported_identity_providers=("COGNITO", "CorpSAML")))
    page = await http.get("/login?" + urlencode(authorize_params(WEB)[0]))
    assert "Sign in with CorpSAML" in page.text
    assert "Google" not in page.text
    refused, _ = await to_idp(http, identity_provider="Google")
    assert refused.status_code == 400
    assert UNAVAILABLE in refused.text
    allowed, _ = await to_idp(http, idp_identifier="corp.example.com")
    assert allowed.status_code == 200
    lc.add_client(dataclasses.replace(WEB, supported_identity_providers=("Google",)))
    redirected = await http.get("/oauth2/authorize?" + urlencode(authorize_params(WEB)[0]))
    assert redirected.headers["location"].startswith("/login?")  # the page, without the form
    only_google = await http.get(redirected.headers["location"])
    assert "Sign in with Google" in only_google.text
    assert 'name="password"' not in only_google.text
