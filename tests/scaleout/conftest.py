"""Fixtures for the scale-out tests: a real `redis-server`, Local Cognito on a real port, and
three app processes sharing sessions through Redis (``SESSION_STORE_URL``).

Local Cognito's client has refresh-token rotation on with no grace period: a second refresh with
the same refresh token gets ``invalid_grant``, exactly what a deployment without a shared
refresh lock runs into.
"""

from __future__ import annotations

import secrets
import shutil
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from cognito_gate.local import ClientConfig, LocalCognito

from .cluster import REDIS_SERVER, AppProcess, RedisServer

EMAIL = "demo@example.com"
PASSWORD = "Demo-password-1"
CLIENT_ID = "scaleout-app"
APPS = 3

if not Path(REDIS_SERVER).exists() and shutil.which("redis-server") is None:
    pytest.skip("redis-server is not installed (scripts/test installs it)", allow_module_level=True)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Three app processes start in a few seconds on a quiet machine and in minutes on a loaded
    one: these tests get more than the suite's default two minutes."""
    for item in items:
        if "scaleout" in item.nodeid:
            item.add_marker(pytest.mark.timeout(400))


@dataclass
class Cluster:
    """Local Cognito, Redis and the app processes of one test, on clocks moved together."""

    lc: LocalCognito
    redis: RedisServer
    apps: list[AppProcess]
    offset: float = 0.0
    extra: list[AppProcess] = field(default_factory=list)

    @property
    def app_url(self) -> str:
        return self.apps[0].url  # the callback's origin: sign-ins go through process 0

    def advance(self, seconds: float) -> None:
        """Move time on every side by ``seconds`` (tokens fall due; nothing is waited for)."""
        self.offset += seconds
        self.lc.clock.advance(seconds)
        for app in self.apps:
            if app.proc.poll() is None:
                app.set_clock(self.offset)

    def grants(self) -> int:
        return self.lc.requests["token"]


@pytest.fixture(scope="session")
def local_cognito() -> Iterator[LocalCognito]:
    lc = LocalCognito(base_url="http://127.0.0.1:9229")
    with lc.serve():
        yield lc
    lc.close()


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def cluster(local_cognito: LocalCognito, redis_server: RedisServer) -> Iterator[Cluster]:
    lc = local_cognito
    socks = [socket.create_server(("127.0.0.1", 0)) for _ in range(APPS)]
    app_url = f"http://localhost:{socks[0].getsockname()[1]}"
    client = lc.add_client(ClientConfig(
        CLIENT_ID, client_secret="scaleoutSecret1", callback_urls=(app_url + "/callback/",),
        logout_urls=(app_url + "/",), rotation=True, rotation_grace_seconds=0))
    config = {"lc_url": lc.base_url, "client_id": client.client_id,
              "client_secret": client.client_secret, "pool_id": lc.pool_id,
              "issuer": lc.issuer, "app_url": app_url, "session_secret": secrets.token_urlsafe(32),
              "store_url": redis_server.url}
    lc.faults.reset()
    lc.clock.set_offset(0)
    apps: list[AppProcess] = []
    try:
        for sock in socks:  # all start at once, then all must be ready
            apps.append(AppProcess(sock, config))
        for app in apps:
            app.wait_ready()
        lc.requests.clear()
        yield Cluster(lc, redis_server, apps)
    finally:
        for app in apps:
            app.stop()
        lc.faults.reset()
        lc.clock.set_offset(0)
