"""Issue 2's provider journey: the browser at Local Cognito, the code at a loopback callback,
and the back channel done by hand as a confidential client would (httpx, PKCE, Basic auth)."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import uuid
from urllib.parse import urlencode

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet
from playwright.sync_api import Page, expect

from cognito_gate.local import ClientConfig, LocalCognito

from .conftest import Loopback, Shots, sign_up_and_confirm

PASSWORD = "Provider-pass-1"
SECRET = "e2eloopbacksecret0123456789"


class Attempt:
    """One authorization request: its PKCE verifier, state and nonce, and the URL to open."""

    def __init__(self, lc: LocalCognito, client: ClientConfig) -> None:
        self.verifier = secrets.token_urlsafe(48)
        digest = hashlib.sha256(self.verifier.encode()).digest()
        self.state, self.nonce = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
        query = {
            "response_type": "code",
            "client_id": client.client_id,
            "redirect_uri": client.callback_urls[0],
            "scope": "openid email profile",
            "state": self.state,
            "nonce": self.nonce,
            "code_challenge": base64.urlsafe_b64encode(digest).rstrip(b"=").decode(),
            "code_challenge_method": "S256",
        }
        self.url = f"{lc.base_url}/oauth2/authorize?{urlencode(query)}"


def token_call(lc: LocalCognito, client: ClientConfig, path: str, **form: str) -> httpx.Response:
    assert client.client_secret is not None
    auth = (client.client_id, client.client_secret)
    return httpx.post(f"{lc.base_url}{path}", data=form, auth=auth, timeout=10)


@pytest.mark.e2e
def test_sign_up_code_exchange_refresh_revoke_logout(
    page: Page, lc: LocalCognito, loopback: Loopback, shots: Shots
) -> None:
    client = lc.add_client(
        ClientConfig(
            client_id="e2e-loopback",
            client_secret=SECRET,
            callback_urls=(f"{loopback.url}/cb",),
            logout_urls=(f"{loopback.url}/bye",),
            allowed_scopes=("openid", "email", "profile"),
        )
    )
    email = f"provider-{uuid.uuid4().hex[:8]}@example.com"
    attempt = Attempt(lc, client)

    page.goto(attempt.url)
    expect(page.locator("#username")).to_be_visible()
    shots(page, "sign-in")
    sign_up_and_confirm(page, lc, shots, email=email, password=PASSWORD)
    expect(page).to_have_url(re.compile(re.escape(f"{loopback.url}/cb?")))
    shots(page, "code-at-loopback")
    received = loopback.last_query("/cb")
    assert received["state"] == attempt.state

    # Back channel: the code for tokens, as a confidential client with the PKCE verifier.
    tokens = token_call(
        lc,
        client,
        "/oauth2/token",
        grant_type="authorization_code",
        code=received["code"],
        redirect_uri=client.callback_urls[0],
        code_verifier=attempt.verifier,
    )
    assert tokens.status_code == 200, tokens.text
    body = tokens.json()
    keys = KeySet.import_key_set(httpx.get(lc.jwks_url, timeout=10).json())
    id_claims = jwt.decode(body["id_token"], keys, algorithms=["RS256"]).claims
    assert id_claims["email"] == email
    assert id_claims["nonce"] == attempt.nonce
    assert id_claims["aud"] == client.client_id
    assert id_claims["iss"] == lc.issuer

    refreshed = token_call(
        lc, client, "/oauth2/token", grant_type="refresh_token", refresh_token=body["refresh_token"]
    )
    assert refreshed.status_code == 200, refreshed.text
    assert refreshed.json()["access_token"] != body["access_token"]

    revoked = token_call(lc, client, "/oauth2/revoke", token=body["refresh_token"])
    assert revoked.status_code == 200
    again = token_call(
        lc, client, "/oauth2/token", grant_type="refresh_token", refresh_token=body["refresh_token"]
    )
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"

    # Sign-out at the hosted UI ends its session: the `cognito` cookie goes, the form comes back.
    assert any(c["name"] == "cognito" for c in page.context.cookies(lc.base_url))
    page.goto(
        f"{lc.base_url}/logout?"
        + urlencode({"client_id": client.client_id, "logout_uri": f"{loopback.url}/bye"})
    )
    expect(page).to_have_url(f"{loopback.url}/bye")
    assert not any(c["name"] == "cognito" for c in page.context.cookies(lc.base_url))

    second = Attempt(lc, client)
    page.goto(second.url)
    expect(page.locator("#password")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("Sign in as"))).to_have_count(0)
    page.locator("#username").fill(email)
    page.locator("#password").fill(PASSWORD)
    shots(page, "sign-in-again")
    page.locator("button[name=signInSubmitButton]").click()
    expect(page).to_have_url(re.compile(re.escape(f"{loopback.url}/cb?")))
    assert loopback.last_query("/cb")["state"] == second.state
