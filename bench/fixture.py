"""The token set and cookie bytes every benchmark case sends.

`real_fixture()` signs in for real: Local Cognito (on loopback) mints the tokens through the
hosted-UI sign-in of its demo user, our library's `/callback/` sets its session cookies, and the
`Cookie` header the benchmark sends is exactly what a browser would then carry. `standin_fixture()`
is for proving the wrk/taskset/parsing pipeline before the library exists: three random,
JWT-shaped strings of realistic sizes in an AES-GCM cookie of the same shape.

A fixture is a plain JSON-able dict, written to a file the server processes read:

    source              "local-cognito" | "stand-in"
    tokens              {"id_token", "access_token", "refresh_token"}
    cookie_ours         Cookie header value carrying our session (cases 1, 2, 4)
    cookie_session      Cookie header value of Starlette's SessionMiddleware (case 5)
    starlette_secret    SessionMiddleware's secret key
    settings            keyword arguments for cognito_gate.Settings (real fixture only)
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import zlib
from http.cookies import SimpleCookie
from typing import Any

import httpx

Fixture = dict[str, Any]

STARLETTE_SECRET = "bench-" + "s" * 40


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _fake_jwt(total: int) -> str:
    header = _b64url(b'{"kid":"bench","alg":"RS256"}')
    sig = _b64url(os.urandom(256))
    body_len = max(16, total - len(header) - len(sig) - 2)
    body = _b64url(os.urandom(body_len * 3 // 4 + 3))[:body_len]
    return f"{header}.{body}.{sig}"


def standin_tokens() -> dict[str, str]:
    return {
        "id_token": _fake_jwt(1100),
        "access_token": _fake_jwt(1800),
        "refresh_token": _fake_jwt(1800),
    }


def _standin_cookie(tokens: dict[str, str]) -> str:
    """AES-GCM(zlib(JSON)) in ≤3800-byte chunks: the shape our session cookie has."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    key = AESGCM.generate_key(bit_length=256)
    nonce = os.urandom(12)
    blob = nonce + AESGCM(key).encrypt(nonce, zlib.compress(json.dumps(tokens).encode()), None)
    value = _b64url(blob)
    chunks = [value[i : i + 3800] for i in range(0, len(value), 3800)]
    parts = [f"cg_session={len(chunks)}"] + [f"cg_session.{i}={c}" for i, c in enumerate(chunks)]
    return "; ".join(parts)


def starlette_session_cookie(tokens: dict[str, str]) -> str:
    """Let Starlette's own SessionMiddleware write a session holding the tokens."""
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.middleware.sessions import SessionMiddleware
    from starlette.requests import Request
    from starlette.responses import PlainTextResponse, Response
    from starlette.routing import Route

    async def put(request: Request) -> Response:
        request.session.update(tokens)
        return PlainTextResponse("ok")

    app = Starlette(
        routes=[Route("/put", put)],
        middleware=[Middleware(SessionMiddleware, secret_key=STARLETTE_SECRET)],
    )

    async def go() -> str:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as ac:
            r = await ac.get("/put")
        return cookie_header(r.headers.get_list("set-cookie"))

    return asyncio.run(go())


def cookie_header(set_cookies: list[str]) -> str:
    """The `Cookie` request header a browser would send back for these `Set-Cookie` headers
    (cookies that are being deleted are dropped)."""
    jar: SimpleCookie = SimpleCookie()
    for raw in set_cookies:
        jar.load(raw)
    return "; ".join(
        f"{name}={m.value}"
        for name, m in jar.items()
        if m.value and m["max-age"] not in ("0", 0) and "1970" not in str(m["expires"])
    )


def standin_fixture() -> Fixture:
    tokens = standin_tokens()
    return {
        "source": "stand-in",
        "tokens": tokens,
        "cookie_ours": _standin_cookie(tokens),
        "cookie_session": starlette_session_cookie(tokens),
        "starlette_secret": STARLETTE_SECRET,
        "settings": None,
    }
