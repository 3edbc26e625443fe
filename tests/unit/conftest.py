"""Fixtures for unit tests: RSA keys, a token minter and a tiny fake Cognito over MockTransport."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
import uuid
from collections import Counter
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from joserfc import jws
from joserfc.jwk import RSAKey

from cognito_gate import ManualClock, Settings

POOL = "us-east-1_TestPool"
ISSUER = f"https://cognito-idp.us-east-1.amazonaws.com/{POOL}"
CLIENT_ID = "testclient123"
CLIENT_SECRET = "testsecret456"
SECRET = "a-very-long-session-secret-for-tests-0123456789"

_KEYS: dict[str, RSAKey] = {}


def rsa_key(kid: str) -> RSAKey:
    """Generated once per test run (RSA generation is slow)."""
    if kid not in _KEYS:
        _KEYS[kid] = RSAKey.generate_key(2048, parameters={"kid": kid})
    return _KEYS[kid]


def jwks_document(*kids: str) -> dict[str, Any]:
    keys = []
    for kid in kids:
        public = rsa_key(kid).as_dict(private=False)
        keys.append({**public, "kid": kid, "alg": "RS256", "use": "sig"})
    return {"keys": keys}


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def sign(claims: dict[str, Any], *, kid: str | None = "k1", key: RSAKey | None = None,
         alg: str = "RS256", header: dict[str, Any] | None = None) -> str:
    hdr: dict[str, Any] = {"alg": alg}
    if kid is not None:
        hdr["kid"] = kid
    hdr.update(header or {})
    signing_key = key or rsa_key(kid or "k1")
    return jws.serialize_compact(hdr, json.dumps(claims).encode(), signing_key,
                                 algorithms=[alg])


def raw_token(header: dict[str, Any], claims: dict[str, Any], signature: bytes = b"sig") -> str:
    return ".".join([b64(json.dumps(header).encode()), b64(json.dumps(claims).encode()),
                     b64(signature)])


def id_claims(now: float, **over: Any) -> dict[str, Any]:
    claims = {"sub": "user-1", "aud": CLIENT_ID, "iss": ISSUER, "token_use": "id",
              "auth_time": int(now), "iat": int(now), "exp": int(now) + 3600,
              "email": "demo@example.com", "email_verified": True,
              "cognito:username": "user-1", "cognito:groups": ["readers"],
              "origin_jti": "origin-1", "jti": str(uuid.uuid4())}
    claims.update(over)
    return {k: v for k, v in claims.items() if v is not ...}


def access_claims(now: float, **over: Any) -> dict[str, Any]:
    claims = {"sub": "user-1", "client_id": CLIENT_ID, "iss": ISSUER, "token_use": "access",
              "auth_time": int(now), "iat": int(now), "exp": int(now) + 3600,
              "scope": "openid email", "username": "user-1", "origin_jti": "origin-1",
              "cognito:groups": ["readers"], "jti": str(uuid.uuid4())}
    claims.update(over)
    return {k: v for k, v in claims.items() if v is not ...}


class FakeCognito:
    """Just enough of Cognito: JWKS, token endpoint (code + refresh), revoke. Counts requests."""

    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock
        self.requests: Counter[str] = Counter()
        self.codes: dict[str, tuple[str, str]] = {}
        self.kids = ["k1", "k2"]
        self.jwks_status = 200
        self.rotate = False
        self.revoked: set[str] = set()
        self.token_override: Callable[[dict[str, str]], httpx.Response] | None = None
        self.id_over: dict[str, Any] = {}
        self.last_token_request: httpx.Request | None = None
        self.auth_time = int(clock.now())

    def issue_code(self, authorize_url: str) -> tuple[str, str]:
        query = parse_qs(urlsplit(authorize_url).query)
        code = secrets.token_urlsafe(16)
        self.codes[code] = (query["nonce"][0], query["code_challenge"][0])
        return code, query["state"][0]

    def tokens(self, nonce: str | None, rt: str | None) -> dict[str, Any]:
        now = self.clock.now()
        access = sign(access_claims(now, auth_time=self.auth_time), kid="k2")
        body: dict[str, Any] = {"access_token": access, "expires_in": 3600,
                                "token_type": "Bearer"}
        extra = {"nonce": nonce} if nonce else {}
        digest = hashlib.sha256(access.encode()).digest()[:16]
        over = {"auth_time": self.auth_time, "at_hash": b64(digest), **extra, **self.id_over}
        body["id_token"] = sign(id_claims(now, **over))
        if rt:
            body["refresh_token"] = rt
        return body

    def handler(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path.endswith("/jwks.json"):
            self.requests["jwks"] += 1
            if self.jwks_status != 200:
                return httpx.Response(self.jwks_status, text="down")
            return httpx.Response(200, json=jwks_document(*self.kids))
        form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
        if path == "/oauth2/revoke":
            self.requests["revoke"] += 1
            self.revoked.add(form.get("token", ""))
            return httpx.Response(200)
        assert path == "/oauth2/token"
        self.requests["token"] += 1
        self.last_token_request = request
        if self.token_override is not None:
            return self.token_override(form)
        basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if request.headers.get("authorization") != f"Basic {basic}":
            return httpx.Response(400, json={"error": "invalid_client"})
        if form["grant_type"] == "authorization_code":
            nonce, challenge = self.codes.pop(form["code"], (None, None))
            verifier = form.get("code_verifier", "")
            if challenge is None or b64(hashlib.sha256(verifier.encode()).digest()) != challenge:
                return httpx.Response(400, json={"error": "invalid_grant"})
            return httpx.Response(200, json=self.tokens(nonce, "rt-" + secrets.token_hex(8)))
        if form["refresh_token"] in self.revoked:
            return httpx.Response(400, json={"error": "invalid_grant"})
        new_rt = None
        if self.rotate:
            self.revoked.add(form["refresh_token"])
            new_rt = "rt-" + secrets.token_hex(8)
        return httpx.Response(200, json=self.tokens(None, new_rt))


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(float(int(time.time())))


@pytest.fixture
def cognito(clock: ManualClock) -> FakeCognito:
    return FakeCognito(clock)


@pytest.fixture
def http(cognito: FakeCognito) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.MockTransport(cognito.handler))


def make_settings(**over: Any) -> Settings:
    values: dict[str, Any] = {
        "domain": "https://auth.example.com", "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET, "user_pool_id": POOL, "app_url": "https://app.example.com",
        "session_secret": [SECRET],
    }
    values.update(over)
    return Settings(**values)


@pytest.fixture
def settings() -> Settings:
    return make_settings()
