"""Drive Local Cognito like a browser and an app back end would, over httpx.

``sign_in`` walks /oauth2/authorize → /login (GET, then the form POST) and returns the code the
app receives; ``exchange`` redeems it at /oauth2/token; ``tokens_for`` does both. Everything
else here is a small building block of those (PKCE pairs, Basic headers, JWT peeking).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

from cognito_gate.local import ClientConfig, LocalCognito

DEMO_EMAIL = "demo@example.com"
DEMO_PASSWORD = "Demo-password-1"
_CSRF = re.compile(r'name="_csrf" value="([^"]+)"')


def s256(verifier: str) -> str:
    """The S256 code_challenge of ``verifier``."""
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def pkce_pair() -> tuple[str, str]:
    """(verifier, S256 challenge)."""
    verifier = secrets.token_urlsafe(48)
    return verifier, s256(verifier)


def basic(client_id: str, secret: str) -> dict[str, str]:
    raw = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}


def client_auth(client: ClientConfig) -> dict[str, str]:
    """Basic header for a confidential client; nothing for a public one."""
    return basic(client.client_id, client.client_secret) if client.client_secret else {}


def peek(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(header, claims) of a JWT, unverified — for asserting on what Local Cognito issued."""

    def part(segment: str) -> dict[str, Any]:
        return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))

    header, claims, _ = token.split(".")
    return part(header), part(claims)


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query, keep_blank_values=True).items()}


def csrf_of(page: httpx.Response) -> str:
    match = _CSRF.search(page.text)
    assert match, "no _csrf field on the page"
    return match.group(1)


@dataclass
class Authorization:
    """What the app holds after the browser comes back: the code plus what it sent."""

    code: str
    state: str
    nonce: str
    verifier: str | None
    redirect_uri: str
    client: ClientConfig
    location: str
    params: dict[str, str] = field(default_factory=dict)


def authorize_params(
    client: ClientConfig,
    *,
    redirect_uri: str | None = None,
    scope: str | None = "openid email profile",
    pkce: bool = True,
    **extra: str,
) -> tuple[dict[str, str], str | None]:
    """Query parameters for /oauth2/authorize and the PKCE verifier (None without PKCE)."""
    params = {
        "response_type": "code",
        "client_id": client.client_id,
        "redirect_uri": redirect_uri or client.callback_urls[0],
        "state": secrets.token_urlsafe(16),
        "nonce": secrets.token_urlsafe(16),
    }
    if scope is not None:
        params["scope"] = scope
    verifier = None
    if pkce:
        verifier, challenge = pkce_pair()
        params |= {"code_challenge": challenge, "code_challenge_method": "S256"}
    return params | extra, verifier


async def submit_login(
    http: httpx.AsyncClient, login_url: str, email: str, password: str
) -> httpx.Response:
    """GET the sign-in page at ``login_url`` and POST its form; returns the POST's response."""
    page = await http.get(login_url)
    assert page.status_code == 200, page.text
    form = {"username": email, "password": password, "_csrf": csrf_of(page)}
    return await http.post(login_url, data=form)


async def sign_in(
    http: httpx.AsyncClient,
    lc: LocalCognito,
    *,
    email: str = DEMO_EMAIL,
    password: str = DEMO_PASSWORD,
    client: ClientConfig | None = None,
    **params: Any,
) -> Authorization:
    """authorize → (login form, unless a session answers silently) → the app's callback."""
    client = client or lc.demo_client
    query, verifier = authorize_params(client, **params)
    response = await http.get(f"/oauth2/authorize?{urlencode(query)}")
    assert response.status_code == 302, response.text
    location = response.headers["location"]
    if location.startswith("/login?"):
        response = await submit_login(http, location, email, password)
        assert response.status_code == 302, response.text
        location = response.headers["location"]
    assert location.startswith(query["redirect_uri"]), location
    got = query_of(location)
    assert got.get("state") == query["state"]
    return Authorization(
        code=got["code"],
        state=query["state"],
        nonce=query["nonce"],
        verifier=verifier,
        redirect_uri=query["redirect_uri"],
        client=client,
        location=location,
        params=query,
    )


async def exchange(
    http: httpx.AsyncClient, auth: Authorization, **overrides: str | None
) -> httpx.Response:
    """Redeem the code at /oauth2/token (Basic auth for confidential clients); ``overrides``
    replace form fields, and a None value removes one."""
    form: dict[str, str | None] = {
        "grant_type": "authorization_code",
        "code": auth.code,
        "redirect_uri": auth.redirect_uri,
        "code_verifier": auth.verifier,
    }
    if not auth.client.client_secret:
        form["client_id"] = auth.client.client_id
    form |= overrides
    data = {k: v for k, v in form.items() if v is not None}
    return await http.post("/oauth2/token", data=data, headers=client_auth(auth.client))


async def refresh(
    http: httpx.AsyncClient, client: ClientConfig, refresh_token: str, **extra: str
) -> httpx.Response:
    form = {"grant_type": "refresh_token", "refresh_token": refresh_token, **extra}
    if not client.client_secret:
        form["client_id"] = client.client_id
    return await http.post("/oauth2/token", data=form, headers=client_auth(client))


async def tokens_for(
    http: httpx.AsyncClient, lc: LocalCognito, **kwargs: Any
) -> tuple[dict[str, Any], Authorization]:
    """A full sign-in and code exchange; returns (token response JSON, authorization)."""
    auth = await sign_in(http, lc, **kwargs)
    response = await exchange(http, auth)
    assert response.status_code == 200, response.text
    return response.json(), auth


async def userinfo(http: httpx.AsyncClient, access_token: str) -> httpx.Response:
    return await http.get("/oauth2/userInfo", headers={"Authorization": f"Bearer {access_token}"})


async def api(http: httpx.AsyncClient, operation: str, **body: Any) -> httpx.Response:
    """One JSON API call, in process (signatures are not checked)."""
    return await http.post(
        "/",
        content=json.dumps(body),
        headers={
            "X-Amz-Target": f"AWSCognitoIdentityProviderService.{operation}",
            "Content-Type": "application/x-amz-json-1.1",
        },
    )
