"""`cognito-gate demo --workers N`: the demo app in N processes behind one listening socket,
sharing their sessions through the store of `SESSION_STORE_URL` (Redis or Valkey).

The parent binds the app's socket and starts N copies of this module (`python -m
cognito_gate.demo.workers`), handing each the socket by file descriptor and the settings'
variables on stdin (the client secret stays out of `ps`); the kernel spreads connections over
them. Each worker serves with `run_sites`, prints `READY` once it listens and stops on SIGINT or
SIGTERM like any uvicorn server.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
from collections.abc import Mapping

from cognito_gate import ConfigError, RedisStore, Settings, StoreUnavailable

from .app import create_app
from .serve import Site, run_sites


class StoreUnreachable(Exception):
    """The session store of `SESSION_STORE_URL` did not answer at start-up."""


def check_store(settings: Settings, workers: int) -> None:
    """Before anything starts: several workers need a shared store, and a configured store must
    answer (one clear line, not a traceback at the first request)."""
    url = settings.session_store_url
    if url is None:
        if workers > 1:
            raise ConfigError([f"--workers {workers}: needs SESSION_STORE_URL (e.g. "
                               "redis://127.0.0.1:6379/0) so that the processes share sessions"])
        return
    store = RedisStore.from_url(url)

    async def ping() -> None:
        try:
            await store.ping()
        finally:
            await store.aclose()

    try:
        asyncio.run(ping())
    except StoreUnavailable:
        raise StoreUnreachable(
            f"cannot reach the session store at {RedisStore.shown(url)} (SESSION_STORE_URL); "
            "start one with: redis-server --port 6379 --appendonly yes") from None


def start_workers(count: int, sock: socket.socket, env: Mapping[str, str]) -> list[
        subprocess.Popen[bytes]]:
    """``count`` worker processes on ``sock``, each given ``env`` (overriding its own
    environment); returns once every one of them listens."""
    workers = []
    for _ in range(count):
        proc = subprocess.Popen([sys.executable, "-m", "cognito_gate.demo.workers"],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                pass_fds=[sock.fileno()])
        assert proc.stdin is not None
        proc.stdin.write(json.dumps({"fd": sock.fileno(), "env": dict(env)}).encode())
        proc.stdin.close()
        workers.append(proc)
    for proc in workers:
        assert proc.stdout is not None
        if proc.stdout.readline().strip() != b"READY":
            stop_workers(workers)
            raise SystemExit("cognito-gate demo: a worker process failed to start (see above)")
    return workers


def stop_workers(workers: list[subprocess.Popen[bytes]]) -> None:
    for proc in workers:
        if proc.poll() is None:
            proc.terminate()
    for proc in workers:
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main() -> None:
    """One worker: the settings' variables and the socket's descriptor arrive on stdin."""
    given = json.loads(sys.stdin.read())
    settings = Settings.from_env(env={**os.environ, **given["env"]})
    sock = socket.socket(fileno=given["fd"])
    run_sites([Site(create_app(settings), sock)], lambda: print("READY", flush=True))


if __name__ == "__main__":
    main()
