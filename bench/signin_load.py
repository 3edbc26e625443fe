"""A lean load generator for Local Cognito's hosted-UI sign-in over real HTTP/1.1: asyncio
streams, keep-alive connections, requests written by hand. httpx costs ~10x more CPU per request
than the server it drives, so on a 2-core machine (the server pinned to one core, the load to
the other) it, not the server, set the rate; this client leaves the server's core the bottleneck.

Each sign-in is what a browser and an app do, with a fresh cookie jar: ``GET /oauth2/authorize``
(PKCE S256) → 302 → ``GET /login`` (the page, its ``_csrf`` field and ``XSRF-TOKEN`` cookie) →
``POST /login`` (the credentials) → 302 to the callback with a code → ``POST /oauth2/token``
(``client_secret_basic``) → 200 with the three tokens. Every answer is checked.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import re
import secrets
import time
from urllib.parse import parse_qs, urlencode, urlsplit

__all__ = ["Connection", "run_load", "sign_in"]

_CSRF = re.compile(rb'name="_csrf" value="([^"]+)"')


class Connection:
    """One keep-alive HTTP/1.1 connection; answers with a Content-Length body (as uvicorn's)."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def request(
        self, method: str, target: str, headers: dict[str, str] | None = None, body: bytes = b""
    ) -> tuple[int, dict[str, list[str]], bytes]:
        if self._streams is None:
            self._streams = await asyncio.open_connection(self.host, self.port)
        reader, writer = self._streams
        lines = [f"{method} {target} HTTP/1.1", f"host: {self.host}:{self.port}"]
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        if body or method == "POST":
            lines.append(f"content-length: {len(body)}")
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        head = await reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head[:-4].decode("latin-1").split("\r\n")
        answer: dict[str, list[str]] = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            answer.setdefault(name.strip().lower(), []).append(value.strip())
        if "chunked" in answer.get("transfer-encoding", [""])[0]:
            raise RuntimeError("chunked answers are not read by this client")
        data = await reader.readexactly(int(answer.get("content-length", ["0"])[0]))
        if answer.get("connection", [""])[0].lower() == "close":
            await self.close()
        return int(status_line.split(" ", 2)[1]), answer, data

    async def close(self) -> None:
        if self._streams is not None:
            self._streams[1].close()
            self._streams = None


def _cookies(headers: dict[str, list[str]]) -> dict[str, str]:
    jar = {}
    for line in headers.get("set-cookie", []):
        name, _, rest = line.partition("=")
        jar[name] = rest.split(";", 1)[0]
    return jar


async def sign_in(
    conn: Connection, client: tuple[str, str], callback: str, credentials: tuple[str, str]
) -> None:
    """One complete hosted-UI sign-in and code exchange; raises on any unexpected answer."""
    client_id, secret = client
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    query = urlencode(
        {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": callback,
            "scope": "openid email",
            "state": secrets.token_urlsafe(16),
            "nonce": secrets.token_urlsafe(16),
            "code_challenge_method": "S256",
            "code_challenge": challenge.rstrip(b"=").decode(),
        }
    )
    status, headers, _ = await conn.request("GET", f"/oauth2/authorize?{query}")
    if status != 302:
        raise RuntimeError(f"authorize answered {status}")
    login = headers["location"][0]
    status, headers, page = await conn.request("GET", login)
    csrf = _CSRF.search(page)
    if status != 200 or csrf is None:
        raise RuntimeError(f"the sign-in page answered {status} without a form")
    jar = _cookies(headers)
    form = urlencode(
        {"username": credentials[0], "password": credentials[1], "_csrf": csrf.group(1).decode()}
    ).encode()
    status, headers, _ = await conn.request(
        "POST",
        login,
        {
            "content-type": "application/x-www-form-urlencoded",
            "cookie": "; ".join(f"{k}={v}" for k, v in jar.items()),
        },
        form,
    )
    if status != 302:
        raise RuntimeError(f"the sign-in form answered {status}")
    code = parse_qs(urlsplit(headers["location"][0]).query)["code"][0]
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    exchange = urlencode(
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": callback,
            "code_verifier": verifier,
        }
    ).encode()
    status, _, body = await conn.request(
        "POST",
        "/oauth2/token",
        {"content-type": "application/x-www-form-urlencoded", "authorization": f"Basic {basic}"},
        exchange,
    )
    if status != 200 or b'"id_token"' not in body:
        raise RuntimeError(f"the token endpoint answered {status}")


async def run_load(
    host: str,
    port: int,
    count: int,
    connections: int,
    client: tuple[str, str],
    callback: str,
    credentials: tuple[str, str],
) -> tuple[float, list[float]]:
    """``count`` sign-ins over ``connections`` keep-alive connections, one sign-in at a time on
    each; the seconds it took and every sign-in's latency."""
    latencies: list[float] = []
    left = count

    async def worker() -> None:
        nonlocal left
        conn = Connection(host, port)
        try:
            while left > 0:
                left -= 1
                t0 = time.perf_counter()
                await sign_in(conn, client, callback, credentials)
                latencies.append(time.perf_counter() - t0)
        finally:
            await conn.close()

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(connections)))
    return time.perf_counter() - t0, latencies
