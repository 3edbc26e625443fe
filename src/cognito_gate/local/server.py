"""A real uvicorn server on a loopback socket, in a background thread (e2e tests, the demo)."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from starlette.types import ASGIApp

__all__ = ["run_in_thread"]


@contextmanager
def run_in_thread(app: ASGIApp, host: str = "127.0.0.1", port: int = 0,
                  root_path: str = "") -> Iterator[str]:
    """Bind first (so ``port=0`` picks a free port we can report), serve, stop on exit.
    ``root_path``: as ``uvicorn --root-path`` (tests of an app behind a prefix-stripping proxy)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    bound_port = sock.getsockname()[1]
    # Shutdown cancels whatever still runs after a second: a stalled or trickling answer (a
    # fault switch) must not hold the server open once its client has gone.
    config = uvicorn.Config(
        app,
        lifespan="off",
        log_level="warning",
        loop="asyncio",
        access_log=False,
        timeout_graceful_shutdown=1,
        root_path=root_path,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=lambda: asyncio.run(server.serve(sockets=[sock])), name="local-cognito", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            sock.close()
            raise RuntimeError(f"Local Cognito did not start on {host}:{bound_port}")
        time.sleep(0.01)
    url_host = f"[{host}]" if ":" in host else host
    try:
        yield f"http://{url_host}:{bound_port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
