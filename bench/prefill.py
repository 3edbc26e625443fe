"""Many sessions: before a benchmark server starts serving, push N distinct signed-in sessions
through our middleware in-process, then measure what the caches hold.

The sessions are real in every way the middleware can check: each has its own ID and access
token, with the claims of a Local Cognito sign-in (new `sub`, `jti`, `origin_jti`, email, times),
RS256-signed with Local Cognito's own signing keys (so they verify against its JWKS), sealed into
our session cookie by the library's codec and sent as a `Cookie` header. Signing 2 x N tokens is
the slow part (about 0.26 ms each), so it runs in a small process pool while the server process
verifies.

Memory is measured two ways: the deep size of the two caches (every Python object reachable from
them, counted once) and the process RSS before and after.
"""

from __future__ import annotations

import base64
import concurrent.futures
import gc
import hashlib
import json
import multiprocessing
import os
import sys
import time
import uuid
from collections.abc import Iterator
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

_KEYS: dict[str, tuple[str, Any]] = {}
_TEMPLATES: dict[str, dict[str, Any]] = {}


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _payload(token: str) -> dict[str, Any]:
    seg = token.split(".")[1]
    obj: dict[str, Any] = json.loads(base64.urlsafe_b64decode(seg + "=" * (-len(seg) % 4)))
    return obj


def _init_worker(mint: dict[str, dict[str, str]], templates: dict[str, dict[str, Any]]) -> None:
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, range(os.cpu_count() or 1))
    for purpose, spec in mint.items():
        _KEYS[purpose] = (spec["kid"], load_pem_private_key(spec["pem"].encode(), None))
    _TEMPLATES.update(templates)


def _sign(purpose: str, claims: dict[str, Any]) -> str:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    kid, key = _KEYS[purpose]
    header = _b64url(json.dumps({"kid": kid, "alg": "RS256"}, separators=(",", ":")).encode())
    body = _b64url(json.dumps(claims, separators=(",", ":")).encode())
    signing_input = f"{header}.{body}".encode()
    sig = key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
    return f"{header}.{body}.{_b64url(sig)}"


def mint_batch(args: tuple[int, int, int]) -> list[tuple[str, str]]:
    """Token pairs for sessions start..start+count, issued at `now`."""
    start, count, now = args
    out = []
    for i in range(start, start + count):
        sub = str(uuid.uuid4())
        signed_in = now - i % 600  # sessions signed in over the last 10 minutes, not all at once
        lineage = {"sub": sub, "origin_jti": str(uuid.uuid4()), "event_id": str(uuid.uuid4()),
                   "auth_time": signed_in, "iat": signed_in, "exp": signed_in + 3600}  # fmt: skip
        access = {**_TEMPLATES["access"], **lineage, "jti": str(uuid.uuid4()),
                  "username": str(uuid.uuid4())}  # fmt: skip
        access_token = _sign("access", access)
        id_claims = {**_TEMPLATES["id"], **lineage, "jti": str(uuid.uuid4()),
                     "cognito:username": access["username"],
                     "email": f"user{i}@bench.example.com"}  # fmt: skip
        if "nonce" in id_claims:  # every sign-in has its own
            id_claims["nonce"] = _b64url(os.urandom(32))
        if "at_hash" in id_claims:
            digest = hashlib.sha256(access_token.encode()).digest()
            id_claims["at_hash"] = _b64url(digest[:16])
        out.append((_sign("id", id_claims), access_token))
    return out


def rss_bytes() -> int:
    with open("/proc/self/statm", encoding="ascii") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def deep_size(root: object) -> int:
    """Bytes of every object reachable from `root` (each counted once). Classes, modules and
    functions are not followed: they are shared with the rest of the program."""
    seen: set[int] = set()
    total = 0
    stack = [root]
    skip = (type, type(sys), type(deep_size))
    while stack:
        obj = stack.pop()
        if id(obj) in seen or isinstance(obj, skip):
            continue
        seen.add(id(obj))
        total += sys.getsizeof(obj)
        if isinstance(obj, dict):
            stack.extend(obj.keys())
            stack.extend(obj.values())
        elif isinstance(obj, (list, tuple, set, frozenset)):
            stack.extend(obj)
        elif isinstance(obj, (str, bytes, int, float, bool)) or obj is None:
            continue
        else:
            for cls in type(obj).__mro__:  # every class's slots, a subclass's and its bases'
                slots = vars(cls).get("__slots__", ())
                for name in (slots,) if isinstance(slots, str) else slots:
                    if hasattr(obj, name):
                        stack.append(getattr(obj, name))
            if hasattr(obj, "__dict__"):
                stack.append(obj.__dict__)
    return total


async def _receive() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


async def _discard(message: Message) -> None:
    return None


async def run(app: ASGIApp, cfg: dict[str, Any], n: int, report_path: str) -> None:
    from fixture import cookie_header

    from cognito_gate.core.session import SessionData, new_session_id

    auth = app.auth  # type: ignore[attr-defined]
    templates = {"id": _payload(cfg["tokens"]["id_token"]),
                 "access": _payload(cfg["tokens"]["access_token"])}  # fmt: skip
    refresh = cfg["tokens"]["refresh_token"]
    gc.collect()
    rss0 = rss_bytes()
    hot0, claims0 = deep_size(auth.hot), deep_size(auth.verifier._cache)
    both0 = deep_size((auth.hot, auth.verifier._cache))
    dump_path = os.environ.get("BENCH_PREFILL_COOKIES")  # the Cookie headers, one a line
    dump = open(dump_path, "w", encoding="latin-1") if dump_path else None  # noqa: SIM115, ASYNC230
    t0 = time.monotonic()
    now = int(time.time())
    batch = 250
    jobs = [(i, min(batch, n - i), now) for i in range(0, n, batch)]
    ok = failed = 0
    ctx = multiprocessing.get_context("spawn")
    workers = max(1, min(4, os.cpu_count() or 1))
    with concurrent.futures.ProcessPoolExecutor(
        workers, mp_context=ctx, initializer=_init_worker, initargs=(cfg["mint"], templates)
    ) as pool:
        pairs: Iterator[list[tuple[str, str]]] = pool.map(mint_batch, jobs)
        for chunk in pairs:
            for id_token, access_token in chunk:
                data = SessionData(new_session_id(), id_token, access_token, refresh, now)
                headers = await auth.sessions.save(data, 3600, {})
                cookie = cookie_header([v.decode("latin-1") for _, v in headers])
                if dump is not None:
                    dump.write(cookie + "\n")
                scope: Scope = {
                    "type": "http", "method": "GET", "path": "/protected",
                    "raw_path": b"/protected", "query_string": b"", "root_path": "",
                    "scheme": "http", "http_version": "1.1", "server": ("127.0.0.1", 80),
                    "client": ("127.0.0.1", 1), "asgi": {"version": "3.0"},
                    "headers": [(b"host", b"127.0.0.1"), (b"cookie", cookie.encode("latin-1"))],
                }  # fmt: skip
                await app(scope, _receive, _discard)
                if scope.get("cognito_gate.user") is not None:
                    ok += 1
                else:
                    failed += 1
    seconds = time.monotonic() - t0
    if dump is not None:
        dump.close()
    del pairs
    gc.collect()
    report = {
        "sessions": n,
        "signed_in": ok,
        "failed": failed,
        "seconds": round(seconds, 1),
        "rss_delta": rss_bytes() - rss0,
        "hot_entries": len(auth.hot),
        "hot_maxsize": auth.hot.maxsize,
        "hot_bytes": deep_size(auth.hot) - hot0,
        "claims_entries": len(auth.verifier._cache),
        "claims_maxsize": auth.verifier._cache.maxsize,
        "claims_bytes": deep_size(auth.verifier._cache) - claims0,
        "both_bytes": deep_size((auth.hot, auth.verifier._cache)) - both0,  # shared counted once
    }
    _write_json(report_path, report)


def _write_json(path: str, obj: dict[str, Any]) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f)


class PrefillOnStartup:
    """Runs `run()` when the server's lifespan starts, before it accepts connections."""

    def __init__(self, app: ASGIApp, cfg: dict[str, Any], n: int, report_path: str) -> None:
        self.app, self.cfg, self.n, self.report_path = app, cfg, n, report_path
        self.done = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                if not self.done:
                    self.done = True
                    await run(self.app, self.cfg, self.n, self.report_path)
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
