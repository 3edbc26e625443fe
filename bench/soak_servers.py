"""The two server processes of the soak: `python bench/soak_servers.py < CONFIG_JSON`.

`role: "lc"` serves Local Cognito (admin API on) and `role: "app"` serves the demo app, each with
uvicorn (uvloop + httptools, as `cognito-gate demo` does) on a loopback socket the parent bound
and handed over by file descriptor, so no port is ever raced for. Each prints one `READY` line
on stdout once it accepts connections and stops on SIGTERM.

Both read the same `WarpClock`: time that starts at the parent's wall-clock reading and runs
`speed` times faster, so token expiry, refresh margins, cache lifetimes and back-offs happen on
both sides exactly as they would in `speed`× more real time (see bench/soak.py).

Besides its normal routes each process answers `GET /_soak/stats` with JSON counters (Local
Cognito: requests per endpoint and token grants by type and status; the app: the sizes of the
library's caches). That one path is handled in front of the served app and is not load.
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import socket
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

import uvicorn
from starlette.types import ASGIApp, Message, Receive, Scope, Send

STATS_PATH = "/_soak/stats"
POOL_ID = "us-east-1_Soak1"


class WarpClock:
    """Wall-clock time that ran ``speed`` times faster since ``start`` (a ``time.time()``)."""

    __slots__ = ("speed", "start")

    def __init__(self, start: float, speed: float) -> None:
        self.start = start
        self.speed = speed

    def now(self) -> float:
        return self.start + (time.time() - self.start) * self.speed


async def _json(send: Send, payload: dict[str, Any]) -> None:
    body = json.dumps(payload).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class StatsFront:
    """Answers ``GET /_soak/stats`` itself; everything else goes to ``app`` untouched."""

    def __init__(self, app: ASGIApp, stats: Callable[[], dict[str, Any]]) -> None:
        self.app, self.stats = app, stats

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == STATS_PATH:
            await _json(send, self.stats())
            return
        await self.app(scope, receive, send)


class GrantCounter:
    """Counts ``/oauth2/token`` calls by ``grant_type`` and the status Local Cognito answered
    (the body is read once and replayed to the endpoint unchanged)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.counts: Counter[str] = Counter()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != "/oauth2/token":
            await self.app(scope, receive, send)
            return
        messages: list[Message] = []
        body = b""
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        grant = parse_qs(body.decode("latin-1")).get("grant_type", ["none"])[0][:40]

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        async def counting_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.counts[f"{grant}:{message['status']}"] += 1
            await send(message)

        await self.app(scope, replay, counting_send)


def build_lc(cfg: dict[str, Any]) -> ASGIApp:
    from cognito_gate.local import ClientConfig, LocalCognito
    from cognito_gate.local.config import GroupConfig, PoolConfig

    clock = WarpClock(cfg["start"], cfg["speed"])
    client = ClientConfig(
        client_id=cfg["client_id"],
        client_secret=cfg["client_secret"],
        callback_urls=(f"{cfg['app_url']}/callback/",),
        logout_urls=(f"{cfg['app_url']}/",),
        id_token_validity=cfg["token_seconds"],
        access_token_validity=cfg["token_seconds"],
        refresh_token_validity=30 * 86400,
    )
    pool = PoolConfig(pool_id=POOL_ID, clients=(client,), groups=(GroupConfig("readers"),))
    lc = LocalCognito(pool, base_url=cfg["lc_url"], clock=clock.now, admin_api=True)
    grants = GrantCounter(lc.app)

    def stats() -> dict[str, Any]:
        return {
            "requests": dict(lc.requests),
            "grants": dict(grants.counts),
            "faults": lc.faults.active(),
            "now": lc.clock.now(),
            "loop_lag": LAG,
        }

    return StatsFront(grants, stats)


def build_app(cfg: dict[str, Any]) -> ASGIApp:
    from cognito_gate import Settings
    from cognito_gate.demo.app import create_app

    env = {
        "COGNITO_DOMAIN": cfg["lc_url"],
        "COGNITO_CLIENT_ID": cfg["client_id"],
        "COGNITO_CLIENT_SECRET": cfg["client_secret"],
        "COGNITO_USER_POOL_ID": POOL_ID,
        "COGNITO_ISSUER": f"{cfg['lc_url']}/{POOL_ID}",
        "APP_URL": cfg["app_url"],
        "SESSION_SECRET": cfg["session_secret"],
    }
    settings = Settings.from_env(env=env, dotenv=None)
    app = create_app(settings, clock=WarpClock(cfg["start"], cfg["speed"]))
    auth = getattr(app, "auth", None)

    def stats() -> dict[str, Any]:
        return {"caches": _cache_sizes(auth), "gc_objects": len(gc.get_objects()), "loop_lag": LAG}

    return StatsFront(app, stats)


def _cache_sizes(auth: Any) -> dict[str, dict[str, float]]:
    """The library's caches (private attributes: diagnostics only, best effort): entries, how
    many are past their deadline but still held, and their approximate size in memory."""
    paths = {
        "sessions (hot)": ("hot",),
        "verified claims": ("verifier", "_cache"),
        "refresh results": ("authenticator", "_refresher", "_recent"),
        "signed-out ids": ("ended",),
    }
    now = auth.clock.now() if auth is not None else 0.0
    out = {}
    for name, path in paths.items():
        obj = auth
        for attr in path:
            obj = getattr(obj, attr, None)
        if hasattr(obj, "_data"):  # ExpiringLRU: {key: (value, deadline)}
            items = [(k, v, deadline) for k, (v, deadline) in obj._data.items()]
        elif hasattr(obj, "_entries"):  # SessionCache: {key: HotEntry(..., fresh_until)}
            items = [(k, v, v.fresh_until) for k, v in obj._entries.items()]
        else:
            continue
        sample = items[-50:]
        each = statistics.fmean(_deep_size(i) for i in sample) if sample else 0.0
        out[name] = {
            "entries": len(items),
            "expired": sum(1 for *_, deadline in items if deadline <= now),
            "kb": len(items) * each / 1024,
            "cap": getattr(obj, "maxsize", 0),
            "cap_mb": getattr(obj, "maxsize", 0) * each / 1024 / 1024,
        }
    return out


def _deep_size(obj: Any, seen: set[int] | None = None) -> int:
    """Bytes held by an object and everything it references (shared objects counted once)."""
    seen = set() if seen is None else seen
    if id(obj) in seen or isinstance(obj, type):
        return 0
    seen.add(id(obj))
    size = sys.getsizeof(obj)
    if isinstance(obj, dict):
        size += sum(_deep_size(k, seen) + _deep_size(v, seen) for k, v in obj.items())
    elif isinstance(obj, list | tuple | set | frozenset):
        size += sum(_deep_size(v, seen) for v in obj)
    else:
        for attr in getattr(type(obj), "__slots__", ()):
            size += _deep_size(getattr(obj, attr, None), seen)
        size += _deep_size(getattr(obj, "__dict__", None), seen) if hasattr(obj, "__dict__") else 0
    return size


LAG: dict[str, float] = {"max_ms": 0.0, "over_1s": 0}


async def watch_loop_lag(period: float = 0.25) -> None:
    """How late this process's event loop wakes up: CPU starvation or blocking code shows here."""
    while True:
        began = time.perf_counter()
        await asyncio.sleep(period)
        late = time.perf_counter() - began - period
        LAG["max_ms"] = max(LAG["max_ms"], late * 1000)
        LAG["over_1s"] += late > 1.0


async def serve(app: ASGIApp, fd: int) -> None:
    watcher = asyncio.create_task(watch_loop_lag())
    sock = socket.socket(fileno=fd)
    config = uvicorn.Config(
        app, loop="none", http="auto", lifespan="off", log_level="warning", access_log=False
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if task.done():
            await task
            raise SystemExit("server stopped before it started")
        await asyncio.sleep(0.02)
    print("READY", flush=True)
    await task
    watcher.cancel()


def main() -> None:
    cfg = json.loads(sys.stdin.read())  # on stdin: the client secret stays out of `ps`
    logging.basicConfig(
        level=logging.WARNING,
        stream=sys.stderr,
        format="%(asctime)s.%(msecs)03d %(name)s %(levelname)s %(message)s",
        datefmt="%H:%M:%S",
    )
    logging.getLogger("cognito_gate").setLevel(logging.INFO)
    app = build_lc(cfg) if cfg["role"] == "lc" else build_app(cfg)
    config = uvicorn.Config(app, loop="auto")
    loop_factory = config.get_loop_factory()
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        runner.run(serve(app, cfg["fd"]))


if __name__ == "__main__":
    main()
