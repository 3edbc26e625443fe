"""What an attacker, or another app of the same pool, can hold — built without the library.

* ``DirectClient``: a second user agent + back end that runs the code flow against Local Cognito
  itself (its own cookie jar, so after one password it signs in silently), e.g. to obtain tokens
  minted for another app client, tokens of another login of the same user, or tokens carrying a
  fault that the app's callback would (rightly) never let into a session.
* ``forge`` / ``hs256``: hand-edited JWTs (header and claims changed, signature kept or replaced),
  as an attacker makes them from a real token.
* ``plant_session``: seal a session holding chosen tokens with the app's own key and put it in the
  browser — what only someone holding ``SESSION_SECRET`` could do. A realistic attacker cannot
  forge the AEAD cookie at all; this tests the layer behind it: every token read from a cookie is
  verified again.
* ``bearer``: an API call with ``Authorization: Bearer`` and no cookies.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Mapping
from typing import Any

import httpx

from cognito_gate.core.session import SessionData, new_session_id
from cognito_gate.local import ClientConfig, LocalCognito

from .harness import DEMO_EMAIL, DEMO_PASSWORD, World, query_of

DEFAULT_SCOPE = "openid email phone profile"
_CSRF = re.compile(r'name="_csrf" value="([^"]+)"')


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_json(value: Any) -> str:
    return b64url(json.dumps(value, separators=(",", ":")).encode())


def _unb64(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def peek(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(header, claims) of a compact JWS, unverified — for building attacks and assertions."""
    header, claims, _ = token.split(".")
    return json.loads(_unb64(header)), json.loads(_unb64(claims))


def forge(token: str, *, header: Mapping[str, Any] | None = None,
          claims: Mapping[str, Any] | None = None, signature: str | None = None) -> str:
    """``token`` with header members / claims set (a ``None`` value removes one). The original
    signature stays unless ``signature`` (base64url, may be ``""``) is given."""
    old_header, old_claims = peek(token)
    new_header = _edit(old_header, header or {})
    new_claims = _edit(old_claims, claims or {})
    kept = token.rsplit(".", 1)[1] if signature is None else signature
    return f"{b64url_json(new_header)}.{b64url_json(new_claims)}.{kept}"


def _edit(base: dict[str, Any], edits: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for name, value in edits.items():
        if value is None:
            out.pop(name, None)
        else:
            out[name] = value
    return out


def hs256(header: Mapping[str, Any], claims: Mapping[str, Any], secret: bytes) -> str:
    """A JWS with ``alg: HS256`` keyed with ``secret`` (e.g. the provider's public key bytes)."""
    signing_input = f"{b64url_json({**header, 'alg': 'HS256'})}.{b64url_json(dict(claims))}"
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(mac)}"


def flip_signature(token: str) -> str:
    """One bit of the signature flipped."""
    head, _, signature = token.rpartition(".")
    raw = bytearray(_unb64(signature))
    raw[len(raw) // 2] ^= 0x01
    return f"{head}.{b64url(bytes(raw))}"


class DirectClient:
    """Another user agent and back end, speaking OAuth to Local Cognito with no cognito-gate."""

    def __init__(self, lc: LocalCognito, redirect_uri: str) -> None:
        self.lc = lc
        self.redirect_uri = redirect_uri
        self.http = httpx.AsyncClient(transport=httpx.ASGITransport(app=lc.app),
                                      base_url=lc.base_url, timeout=5)

    async def code(self, client: ClientConfig, *, email: str = DEMO_EMAIL,
                   password: str = DEMO_PASSWORD, scope: str = DEFAULT_SCOPE,
                   nonce: str | None = None) -> tuple[str, str]:
        """(code, PKCE verifier) for ``client``; signs in through the hosted UI if needed."""
        verifier = secrets.token_urlsafe(48)
        challenge = b64url(hashlib.sha256(verifier.encode()).digest())
        query = {"response_type": "code", "client_id": client.client_id,
                 "redirect_uri": self.redirect_uri, "scope": scope,
                 "state": secrets.token_urlsafe(16), "nonce": nonce or secrets.token_urlsafe(16),
                 "code_challenge": challenge, "code_challenge_method": "S256"}
        response = await self.http.get("/oauth2/authorize", params=query)
        assert response.status_code in (302, 303), response.text
        location = response.headers["location"]
        if not location.startswith(self.redirect_uri):
            page = await self.http.get(location)
            csrf = _CSRF.search(page.text)
            assert csrf, page.text
            response = await self.http.post(str(page.url), data={
                "username": email, "password": password, "_csrf": csrf.group(1)})
            assert response.status_code in (302, 303), response.text
            location = response.headers["location"]
        assert location.startswith(self.redirect_uri), location
        return query_of(location)["code"], verifier

    async def tokens(self, client: ClientConfig, **kwargs: Any) -> dict[str, Any]:
        """A complete token response (id, access and refresh token) for ``client``."""
        code, verifier = await self.code(client, **kwargs)
        response = await self.http.post("/oauth2/token", data={
            "grant_type": "authorization_code", "code": code, "redirect_uri": self.redirect_uri,
            "code_verifier": verifier}, auth=_basic(client))
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def revoke(self, client: ClientConfig, refresh_token: str) -> None:
        """Revoke a refresh token as ``client`` would (a sign-out somewhere else)."""
        response = await self.http.post("/oauth2/revoke", data={"token": refresh_token},
                                        auth=_basic(client))
        assert response.status_code == 200, response.text

    async def aclose(self) -> None:
        await self.http.aclose()


def _basic(client: ClientConfig) -> tuple[str, str]:
    assert client.client_secret, "a confidential client"
    return client.client_id, client.client_secret


async def session_of(world: World) -> SessionData | None:
    """The session in the browser's cookies, opened with the app's own codec (tokens unverified)."""
    return await world.auth.load_session(world.app_cookies())


async def plant_session(world: World, *, id_token: str, access_token: str,
                        refresh_token: str | None = None,
                        auth_time: float | None = None) -> None:
    """Seal a session with these tokens under the app's key and store it in the browser's jar,
    exactly as if the app had sent the ``Set-Cookie`` headers."""
    data = SessionData(new_session_id(), id_token, access_token, refresh_token,
                       world.clock.now() if auth_time is None else auth_time)
    headers = await world.auth.sessions.save(data, world.auth.settings.session_lifetime,
                                             world.app_cookies())
    response = httpx.Response(
        200, headers=[(k.decode(), v.decode()) for k, v in headers],
        request=httpx.Request("GET", world.app_url + "/"))
    world.browser.cookies.extract_cookies(response)


async def bearer(world: World, token: str, path: str = "/api/me") -> httpx.Response:
    """``GET path`` with ``Authorization: Bearer <token>``, from a client with no cookies."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=world.app),
                                 base_url=world.app_url) as api:
        return await api.get(path, headers={"authorization": f"Bearer {token}",
                                            "accept": "application/json"})


def ensure_user(lc: LocalCognito, email: str, password: str, **kwargs: Any) -> str:
    """The ``sub`` of a confirmed user of the pool, created on first use (pools are shared)."""
    existing = lc.user(email)
    return existing.sub if existing is not None else lc.add_user(email, password, **kwargs)


def give_cookies(world: World, cookies: Mapping[str, str]) -> None:
    """Put these app cookies in ``world``'s browser (e.g. an older copy of another browser's)."""
    response = httpx.Response(
        200, headers=[("set-cookie", f"{name}={value}; Path=/") for name, value in cookies.items()],
        request=httpx.Request("GET", world.app_url + "/"))
    world.browser.cookies.extract_cookies(response)


async def tokens_of(world: World) -> SessionData:
    """The browser's current session, which must exist and hold a refresh token."""
    session = await session_of(world)
    assert session is not None, "no session in the browser"
    assert session.refresh_token is not None, "the session has no refresh token"
    return session
