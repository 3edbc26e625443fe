"""Several uvicorn servers in one event loop, stopped together by one Ctrl+C.

uvicorn's own signal handling assumes one server per process; here each server leaves signals
alone and one handler stops them all. Sockets are bound up front so a busy port is a clear
error before anything starts.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import uvicorn
from starlette.types import ASGIApp
from uvicorn.logging import DefaultFormatter

from cognito_gate.local.cli import cannot_listen


class PortInUse(Exception):
    """The address to listen on is taken (or not ours to take)."""


@dataclass(frozen=True)
class Site:
    """One app to serve and the loopback socket it listens on."""

    app: ASGIApp
    sock: socket.socket


def bind(host: str, port: int, flag: str) -> socket.socket:
    """A listening socket, or PortInUse naming the option (`flag`) that picks another port."""
    try:
        return socket.create_server((host, port), reuse_port=False)
    except OSError as exc:
        raise PortInUse(cannot_listen(host, port, exc, flag)) from None


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield  # run_sites owns the signals for all servers at once


class OncePerProcess(logging.Filter):
    """Let uvicorn's process-wide lines (started, shutting down, finished) through once, not
    once per server: they describe the one process that runs them all."""

    LINES = frozenset(
        {"Started server process [%d]", "Finished server process [%d]", "Shutting down"}
    )

    def __init__(self) -> None:
        super().__init__()
        self.seen: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        if record.msg not in self.LINES:
            return True
        if record.msg in self.seen:
            return False
        self.seen.add(str(record.msg))
        return True


def _show_package_logs() -> None:
    """Print cognito_gate's own INFO logs like uvicorn's (Local Cognito's confirmation codes)."""
    handler = logging.StreamHandler()
    handler.setFormatter(DefaultFormatter("%(levelprefix)s %(message)s"))
    package = logging.getLogger("cognito_gate")
    package.addHandler(handler)
    package.setLevel(logging.INFO)


def run_sites(sites: list[Site], on_ready: Callable[[], None]) -> None:
    """Serve every site until Ctrl+C or SIGTERM; call `on_ready` once all of them listen."""
    # "auto" means uvloop and httptools, both dependencies of the package (asyncio/h11 elsewhere).
    configs = [uvicorn.Config(site.app, loop="auto", http="auto", lifespan="off") for site in sites]
    uvicorn_log = logging.getLogger("uvicorn.error")
    once = OncePerProcess()
    uvicorn_log.addFilter(once)
    _show_package_logs()
    servers = [_Server(config) for config in configs]

    async def main() -> None:
        loop = asyncio.get_running_loop()

        def stop() -> None:
            for server in servers:
                server.force_exit = server.should_exit  # a second Ctrl+C stops at once
                server.should_exit = True

        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop)
        tasks = [
            asyncio.create_task(server.serve(sockets=[site.sock]))
            for server, site in zip(servers, sites, strict=True)
        ]
        while not all(server.started for server in servers):
            if any(task.done() for task in tasks):
                stop()
                break
            await asyncio.sleep(0.05)
        else:
            on_ready()
        await asyncio.gather(*tasks)

    try:
        with asyncio.Runner(loop_factory=configs[0].get_loop_factory()) as runner:
            runner.run(main())
    finally:
        uvicorn_log.removeFilter(once)
