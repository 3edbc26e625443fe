"""``cognito-gate doctor``: check the app's Cognito settings against the real provider, one line
per check (✔ or ✖ with the fix), before a user meets a Cognito error page or a stack trace.

Every call is one the app itself would make, and none signs anyone in: the client is proven at
the token endpoint with a made-up code (``invalid_grant`` means the secret was accepted,
``invalid_client`` that it was not), the callback URL by asking ``/oauth2/authorize`` (a sign-in
page, or its ``redirect_mismatch`` error), the sign-out URL by asking ``/logout`` with no
session. Secrets are never printed. An app served under a path prefix (a ``Mount``, or
``uvicorn --root-path``) sends URLs under it: ``--root-path`` (default ``$UVICORN_ROOT_PATH``)
makes the doctor print and check those.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import json
import math
import os
import random
import secrets
import string
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from .asgi.location import prefix_of
from .asgi.routes import callback_url, sign_out_landing
from .core.config import Settings
from .core.cookies import MAX_COOKIE_BYTES, SealedBox
from .core.errors import ProviderRejected, ProviderUnavailable
from .core.provider import Answer, json_body, read_body
from .core.session import SessionData
from .core.tokens import TokenClient

__all__ = ["Check", "format_report", "run_checks"]

_LOOPBACK = ("localhost", "127.0.0.1", "::1")
_TIMEOUT = httpx.Timeout(10.0, connect=3.0)


@dataclass(frozen=True)
class Check:
    """One result: ``ok``, what was found, and (when not ok) what to do about it."""

    ok: bool
    text: str
    fix: str = ""

    def line(self) -> str:
        mark = "✔" if self.ok else "✖"
        return f"{mark} {self.text}" + (f" — {self.fix}" if self.fix else "")


def format_report(checks: Sequence[Check]) -> str:
    return "\n".join(check.line() for check in checks)


class _Probe:
    """The provider as the doctor sees it: GETs that never follow redirects, and the skew
    between our clock and the first ``Date`` header that came back."""

    def __init__(self, http: httpx.AsyncClient, now: Callable[[], float]) -> None:
        self.http, self.now = http, now
        self.skew: float | None = None

    async def get(self, url: str, **params: str) -> httpx.Response:
        """The answer, its body read under the library's size cap (``provider.read_body``); an
        oversized or compressed one is an ``httpx.DecodingError`` like any unreadable answer."""
        async with self.http.stream("GET", url, params=params, follow_redirects=False,
                                    headers={"accept-encoding": "identity"}) as streamed:
            try:
                body = await read_body(streamed, "answer")
            except ProviderUnavailable as exc:
                raise httpx.DecodingError(exc.reason, request=streamed.request) from None
        response = httpx.Response(streamed.status_code, headers=streamed.headers, content=body,
                                  request=streamed.request)
        date = response.headers.get("date")
        if self.skew is None and date:
            with contextlib.suppress(TypeError, ValueError):
                self.skew = self.now() - parsedate_to_datetime(date).timestamp()
        return response


def _member(response: httpx.Response, name: str) -> Any:
    """``name`` of a 200 JSON-object answer read as the library reads Cognito's (strict
    content type, UTF-8, no parse can raise), else None."""
    if response.status_code != 200:
        return None
    try:
        document = json_body(Answer(200, response.headers, response.content), "answer")
    except ProviderUnavailable:
        return None
    return document.get(name) if isinstance(document, dict) else None


def _unreachable(url: str, exc: httpx.HTTPError) -> str:
    reason = str(exc) or type(exc).__name__
    return f"cannot reach {url} ({reason})"


async def _domain(probe: _Probe, s: Settings) -> Check:
    try:
        response = await probe.get(s.domain + "/")
    except httpx.HTTPError as exc:
        return Check(False, f"domain does not answer: {_unreachable(s.domain, exc)}",
                     "check COGNITO_DOMAIN (the pool's domain from the console, e.g. "
                     "https://myapp.auth.us-east-1.amazoncognito.com), DNS and the network")
    if response.status_code >= 500:
        return Check(False, f"domain answers {response.status_code}: {s.domain}",
                     "the provider is failing; try again later")
    return Check(True, f"domain answers: {s.domain}")


async def _discovery(probe: _Probe, s: Settings) -> Check:
    url = f"{s.issuer}/.well-known/openid-configuration"
    fix = (f"check COGNITO_USER_POOL_ID (now {s.user_pool_id}: region prefix and id, exactly "
           "as in the console)" + (" and COGNITO_ISSUER" if s.issuer != _aws_issuer(s) else ""))
    try:
        response = await probe.get(url)
    except httpx.HTTPError as exc:
        return Check(False, f"discovery does not load: {_unreachable(url, exc)}", fix)
    issuer = _member(response, "issuer")
    if response.status_code != 200 or not isinstance(issuer, str):
        return Check(False, f"discovery does not load: {url} answered {response.status_code}",
                     fix)
    if issuer != s.issuer or not issuer.endswith("/" + s.user_pool_id):
        return Check(False, f"issuer {issuer} does not match the pool {s.user_pool_id}", fix)
    return Check(True, f"discovery loads; issuer {issuer} matches the pool {s.user_pool_id} "
                       f"(region {s.region})")


def _aws_issuer(s: Settings) -> str:
    return f"https://cognito-idp.{s.region}.amazonaws.com/{s.user_pool_id}"


async def _jwks(probe: _Probe, s: Settings) -> Check:
    fix = "check COGNITO_USER_POOL_ID and COGNITO_ISSUER: tokens cannot be verified without keys"
    try:
        response = await probe.get(s.jwks_url)
    except httpx.HTTPError as exc:
        return Check(False, f"JWKS does not load: {_unreachable(s.jwks_url, exc)}", fix)
    keys = _member(response, "keys")
    usable = [k for k in keys if isinstance(k, dict) and k.get("kty") == "RSA"] \
        if isinstance(keys, list) else []
    if not usable:
        return Check(False, f"JWKS has no RSA keys: {s.jwks_url} answered "
                            f"{response.status_code}", fix)
    return Check(True, f"JWKS loads: {len(usable)} RSA signing keys")


async def _client(probe: _Probe, s: Settings) -> Check:
    tokens = TokenClient(token_url=s.token_url, revoke_url=s.revoke_url, client_id=s.client_id,
                         client_secret=s.client_secret, http=probe.http)
    made_up = secrets.token_urlsafe(27)
    try:
        await tokens.exchange_code(made_up, secrets.token_urlsafe(43), s.redirect_uri)
    except ProviderRejected as exc:
        if exc.error == "invalid_grant":
            return Check(True, f"client {s.client_id} authenticates at the token endpoint "
                               "(a made-up code got invalid_grant)")
        if exc.error == "invalid_client":
            return Check(False, f"client {s.client_id} is refused at the token endpoint "
                                "(invalid_client)",
                         "check COGNITO_CLIENT_ID and COGNITO_CLIENT_SECRET; the app client "
                         "must have a client secret (a confidential client)")
        if exc.error == "unauthorized_client":
            return Check(False, f"client {s.client_id} may not use the code grant "
                                "(unauthorized_client)",
                         "enable the Authorization code grant on the app client")
        return Check(False, f"the token endpoint answered {exc.error}",
                     "check the app client's settings")
    except ProviderUnavailable as exc:
        return Check(False, f"the token endpoint did not answer usefully ({exc.reason})",
                     f"check COGNITO_DOMAIN ({s.domain}) and the network")
    return Check(False, "the token endpoint accepted a made-up code",
                 f"{s.domain} does not behave like Cognito; check COGNITO_DOMAIN")


def _pkce() -> dict[str, str]:
    verifier = secrets.token_urlsafe(43)
    digest = hashlib.sha256(verifier.encode()).digest()
    return {"code_challenge": base64.urlsafe_b64encode(digest).rstrip(b"=").decode(),
            "code_challenge_method": "S256"}


async def _callback(probe: _Probe, s: Settings, prefix: str) -> Check:
    register = "add exactly this URL to the app client's Allowed callback URLs"
    callback = callback_url(s, prefix)  # the redirect_uri the app will send, under its prefix
    try:
        response = await probe.get(
            s.authorize_url, response_type="code", client_id=s.client_id,
            redirect_uri=callback, scope=" ".join(s.scopes),
            state=secrets.token_urlsafe(16), nonce=secrets.token_urlsafe(16), **_pkce())
    except httpx.HTTPError as exc:
        return Check(False, f"callback URL not checked: {_unreachable(s.authorize_url, exc)}",
                     f"register {callback} as an Allowed callback URL")
    location = response.headers.get("location", "")
    query = parse_qs(urlsplit(location).query)
    error = (query.get("error") or [""])[0]
    if response.is_redirect and location.startswith(callback) and error:
        return Check(False, f"the hosted UI sends the callback an error ({error}) for the "
                            f"scopes {' '.join(s.scopes)}",
                     "allow these scopes on the app client, or change COGNITO_SCOPES")
    if error == "redirect_mismatch" or (response.is_redirect and "/error" in location):
        return Check(False, f"callback URL not registered: {callback}", register)
    if response.status_code == 200 or (response.is_redirect and "/login" in location):
        return Check(True, f"callback URL accepted by the hosted UI: {callback}")
    return Check(False, f"callback URL refused ({response.status_code}): {callback}", register)


async def _sign_out(probe: _Probe, s: Settings, prefix: str) -> Check:
    register = "add exactly this URL to the app client's Allowed sign-out URLs"
    landing = sign_out_landing(s, prefix)  # the logout_uri the app will send
    try:
        response = await probe.get(s.cognito_logout_url, client_id=s.client_id,
                                   logout_uri=landing)
    except httpx.HTTPError as exc:
        return Check(False, f"sign-out URL not checked: "
                            f"{_unreachable(s.cognito_logout_url, exc)}", register)
    if response.is_redirect and response.headers.get("location") == landing:
        return Check(True, f"sign-out URL accepted by the hosted UI: {landing}")
    return Check(False, f"sign-out URL not registered: {landing}", register)


def _clock(probe: _Probe, s: Settings) -> Check:
    if probe.skew is None:
        return Check(False, "clock not checked: no Date header came back from the provider",
                     "run the doctor again once the provider answers")
    if abs(probe.skew) <= s.leeway:
        return Check(True, f"clock within {s.leeway} s of the provider's")
    side = "ahead of" if probe.skew > 0 else "behind"
    about = round(abs(probe.skew), -1)
    return Check(False, f"clock about {about:.0f} s {side} the provider's (leeway {s.leeway} s): "
                        "fresh tokens will be refused",
                 "synchronise this machine's clock (NTP)")


def _secret_bits(secret: str) -> float:
    """Rough strength: length × log2 of the character classes used, capped by distinctness."""
    classes = [string.ascii_lowercase, string.ascii_uppercase, string.digits]
    alphabet = sum(len(c) for c in classes if any(ch in c for ch in secret))
    alphabet += len({ch for ch in secret if not any(ch in c for c in classes)})
    distinct = len(set(secret))
    return len(secret) * math.log2(max(2, min(alphabet, distinct * 4)))


def _session_secret(s: Settings) -> Check:
    weakest = min(_secret_bits(x) for x in s.session_secret)
    count = f"{len(s.session_secret)} secret{'s' if len(s.session_secret) > 1 else ''}"
    if weakest < 128:
        return Check(False, f"SESSION_SECRET is weak ({count}, the weakest about "
                            f"{weakest:.0f} bits)",
                     'use a random one: python -c "import secrets; '
                     'print(secrets.token_urlsafe(32))"')
    return Check(True, f"SESSION_SECRET: {count}, at least about {min(weakest, 256):.0f} bits")


def _fake_jwt(rng: random.Random, claims: dict[str, object]) -> str:
    """A token of a real Cognito token's size: JSON claims, a 2048-bit signature's bytes."""
    def b64(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    header = b64(json.dumps({"kid": b64(rng.randbytes(32)), "alg": "RS256"}).encode())
    return f"{header}.{b64(json.dumps(claims).encode())}.{b64(rng.randbytes(256))}"


def _cookie_bytes(s: Settings, groups: int) -> int:
    """Sealed size of a typical session of this pool with ``groups`` groups of 12 characters."""
    rng = random.Random(7)  # noqa: S311 - filler of a stable size, not a secret
    now = int(time.time())
    ids = {k: str(rng.getrandbits(122)) for k in ("sub", "jti", "origin", "event", "user")}
    common: dict[str, object] = {
        "sub": ids["sub"], "iss": s.issuer, "origin_jti": ids["origin"], "event_id": ids["event"],
        "auth_time": now, "iat": now, "exp": now + 3600, "jti": ids["jti"]}
    if groups:
        letters = string.ascii_lowercase
        common["cognito:groups"] = ["".join(rng.choices(letters, k=12)) for _ in range(groups)]
    id_token = _fake_jwt(rng, {**common, "aud": s.client_id, "token_use": "id",
                               "cognito:username": ids["user"], "email": "someone@example.com",
                               "email_verified": True, "at_hash": "x" * 22})
    access = _fake_jwt(rng, {**common, "client_id": s.client_id, "token_use": "access",
                             "scope": " ".join(s.scopes), "username": ids["user"], "version": 2})
    refresh = ".".join(base64.urlsafe_b64encode(rng.randbytes(n)).rstrip(b"=").decode()
                       for n in (64, 256, 12, 1250, 16))  # Cognito's JWE refresh token
    data = SessionData("x" * 22, id_token, access, refresh, now)
    return len(SealedBox(s.session_secret, "session", compress=True).seal(data.to_json()))


def _cookie_size(s: Settings) -> Check:
    size = _cookie_bytes(s, 0)
    budget = f"{MAX_COOKIE_BYTES / 1024:.0f} KB"
    if size > MAX_COOKIE_BYTES:
        return Check(False, f"session cookie about {size / 1024:.1f} KB: over the {budget} "
                            "budget", "ask for fewer scopes, or keep sessions in a store")
    fit = 0
    while fit < 500 and _cookie_bytes(s, fit + 5) <= MAX_COOKIE_BYTES:
        fit += 5
    return Check(True, f"session cookie about {size / 1024:.1f} KB of the {budget} budget "
                       f"(room for about {fit} groups of 12 letters per user)")


def _plain_http(s: Settings) -> Check:
    urls = {"COGNITO_DOMAIN": s.domain, "APP_URL": s.app_url, "COGNITO_ISSUER": s.issuer or ""}
    plain = [name for name, url in urls.items() if url.startswith("http://")]
    outside = [n for n in plain if urlsplit(urls[n]).hostname not in _LOOPBACK]
    if outside:
        return Check(False, f"http:// outside loopback: {', '.join(outside)}",
                     "use https:// (cookies and codes must not cross the network in clear)")
    if plain:
        return Check(True, f"http:// only on loopback ({', '.join(plain)}): development only")
    return Check(True, "https:// everywhere")


async def run_checks(settings: Settings, *, http: httpx.AsyncClient | None = None,
                     now: Callable[[], float] = time.time, root_path: str = "") -> list[Check]:
    """Every check, in the order printed (network checks first, then the local ones).
    ``root_path``: the path prefix the app is served under (``/app``), as the ASGI server tells
    the app; the callback and sign-out URLs are checked under it."""
    own = http is None
    client = http or httpx.AsyncClient(timeout=_TIMEOUT)
    probe = _Probe(client, now)
    prefix = prefix_of(root_path)
    try:
        checks = [await step(probe, settings) for step in (_domain, _discovery, _jwks, _client)]
        checks += [await step(probe, settings, prefix) for step in (_callback, _sign_out)]
    finally:
        if own:
            await client.aclose()
    return [*checks, _clock(probe, settings), _session_secret(settings),
            _cookie_size(settings), _plain_http(settings)]


def main(dotenv: str = ".env", root_path: str | None = None) -> int:
    """The CLI: settings as the app reads them, the report; exit 0 when every check passed, 1
    when one failed, 2 when the settings cannot be read (the CLI's scheme, README).
    ``root_path`` None: ``$UVICORN_ROOT_PATH`` (what ``uvicorn --root-path`` reads), else none."""
    from .core.errors import ConfigError

    try:
        settings = Settings.from_env(dotenv=dotenv)
    except ConfigError as exc:
        for problem in exc.problems:
            print(Check(False, problem).line())
        return 2
    if root_path is None:
        root_path = os.environ.get("UVICORN_ROOT_PATH", "")
    checks = asyncio.run(run_checks(settings, root_path=root_path))
    print(format_report(checks))
    return 0 if all(c.ok for c in checks) else 1
