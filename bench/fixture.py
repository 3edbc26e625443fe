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
import importlib.util
import json
import os
import shutil
import sys
import zlib
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import urljoin

import httpx

Fixture = dict[str, Any]

STARLETTE_SECRET = "bench-" + "s" * 40


def ensure_itsdangerous(script: str) -> None:
    """Starlette's SessionMiddleware (case 5) needs `itsdangerous`, which is not a dependency of
    cognito-gate: without it, re-run the script once under `uv run --with itsdangerous`."""
    if importlib.util.find_spec("itsdangerous") is not None:
        return
    uv = shutil.which("uv")
    if uv is None or os.environ.get("BENCH_REEXEC"):
        print(
            "bench: case (5) needs itsdangerous: uv run --with itsdangerous python "
            + os.path.relpath(script),
            file=sys.stderr,
        )
        raise SystemExit(2)
    env = dict(os.environ, BENCH_REEXEC="1")
    argv = [uv, "run", "--quiet", "--with", "itsdangerous", "python", os.path.abspath(script)]
    os.execve(uv, [*argv, *sys.argv[1:]], env)


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
    return asyncio.run(starlette_session_cookie_async(tokens))


async def starlette_session_cookie_async(tokens: dict[str, str]) -> str:
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
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as ac:
        r = await ac.get("/put")
    return cookie_header(r.headers.get_list("set-cookie"))


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
    return asyncio.run(standin_fixture_async())


async def standin_fixture_async() -> Fixture:
    tokens = standin_tokens()
    return {
        "source": "stand-in",
        "tokens": tokens,
        "cookie_ours": _standin_cookie(tokens),
        "cookie_session": await starlette_session_cookie_async(tokens),
        "starlette_secret": STARLETTE_SECRET,
        "settings": None,
    }


class _FormParser(HTMLParser):
    """The first <form> of a page: its action, method and every named <input>."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: (v or "") for k, v in attrs}
        if tag == "form":
            self.forms.append(
                {"action": a.get("action", ""), "method": a.get("method", "get"), "inputs": []}
            )
        elif tag == "input" and self.forms and a.get("name"):
            self.forms[-1]["inputs"].append(a)


def login_form(html: str) -> tuple[str, str, dict[str, str]]:
    """(action, method, fields) of the hosted-UI sign-in form: the form with a password input."""
    parser = _FormParser()
    parser.feed(html)
    for form in parser.forms:
        if any(i.get("type") == "password" for i in form["inputs"]):
            fields = {
                i["name"]: i.get("value", "")
                for i in form["inputs"]
                if i.get("type") not in ("submit", "button", "checkbox")
            }
            return form["action"], form["method"].lower(), fields
    raise RuntimeError(f"no sign-in form on the page:\n{html[:2000]}")


async def _follow(
    client: httpx.AsyncClient,
    response: httpx.Response,
    stop: str | None,
    seen: list[httpx.Response],
) -> httpx.Response:
    """Follow redirects by hand (at most 10), keeping every response; stop after fetching a URL
    that starts with `stop`."""
    for _ in range(10):
        seen.append(response)
        if stop is not None and str(response.url).startswith(stop):
            return response
        if not response.is_redirect:
            return response
        response = await client.get(urljoin(str(response.url), response.headers["location"]))
    raise RuntimeError(f"too many redirects, last {response.url}")


async def sign_in(
    client: httpx.AsyncClient,
    app_url: str,
    email: str,
    password: str,
    *,
    return_to: str = "/protected",
    callback_path: str = "/callback/",
    fetch_return_to: bool = True,
) -> tuple[str, httpx.Response]:
    """One complete browser-style sign-in: app /login → Cognito authorize → hosted-UI login page
    → form POST → app callback (code exchange) → (the return-to page, unless
    `fetch_return_to` is False). Returns the `Cookie` header the browser then sends to the app,
    and the last response."""
    seen: list[httpx.Response] = []
    first = await client.get(f"{app_url}/login", params={"return_to": return_to})
    page = await _follow(client, first, None, seen)
    if page.status_code != 200:
        raise RuntimeError(f"sign-in page: {page.status_code} {page.url}\n{page.text[:500]}")
    action, _method, fields = login_form(page.text)
    for name in list(fields):
        kind = name.lower()
        if "password" in kind:
            fields[name] = password
        elif kind in ("username", "email", "user"):
            fields[name] = email
    posted = await client.post(urljoin(str(page.url), action), data=fields)
    stop = None if fetch_return_to else app_url + callback_path
    final = await _follow(client, posted, stop, seen)
    callback = [r for r in seen if str(r.url).startswith(app_url + callback_path)]
    if not callback or callback[-1].status_code not in (302, 303, 307):
        last = callback[-1] if callback else final
        raise RuntimeError(
            f"sign-in did not complete: {last.status_code} {last.url}\n{last.text[:800]}"
        )
    if fetch_return_to and final.status_code != 200:
        raise RuntimeError(f"return-to page: {final.status_code} {final.url}")
    app_set_cookies = [
        raw
        for resp in seen
        if str(resp.url).startswith(app_url)
        for raw in resp.headers.get_list("set-cookie")
    ]
    return cookie_header(app_set_cookies), final
