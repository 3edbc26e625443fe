"""Real parts for the scale-out tests: a `redis-server` of our own, app processes, a browser.

* ``RedisServer``: the Debian `redis-server` binary on a free loopback port with its own temp
  directory (never the system service), append-only file on so a restart keeps its data; stopped,
  paused and started again by PID.
* ``AppProcess``: `appserver.py` in its own Python process, on its own port.
* ``sign_in``: a real sign-in through one process and Local Cognito's hosted UI over TCP.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import redis

HERE = Path(__file__).resolve().parent
REDIS_SERVER = "/usr/bin/redis-server"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class RedisServer:
    """One `redis-server` process, ours alone; ``start()`` again after ``stop()`` reuses its port
    and directory (and so its append-only file)."""

    def __init__(self, directory: Path) -> None:
        self.dir = directory
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen[bytes] | None = None
        self._stats = self.client()

    def start(self, *, persist: bool = True) -> None:
        args = [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1",
                "--dir", str(self.dir), "--save", "", "--daemonize", "no",
                "--appendonly", "yes" if persist else "no", "--appendfsync", "always",
                "--logfile", str(self.dir / "redis.log")]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                self._stats = self.client()
                if self._stats.ping():  # its HELLO is counted now, not between two readings
                    return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server did not start: {(self.dir / 'redis.log').read_text()}")

    def client(self) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=2)

    def stop(self) -> None:
        """SIGTERM: Redis finishes its append-only file and exits."""
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)
            self.proc = None

    def pause(self) -> None:
        """SIGSTOP: the server holds its connections and answers nothing (a hung server)."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGCONT)

    def commands(self) -> dict[str, int]:
        """Calls per command since start (INFO commandstats), e.g. {"get": 3, "evalsha": 1}."""
        stats = self._stats.info("commandstats")
        return {name.removeprefix("cmdstat_"): int(v["calls"]) for name, v in stats.items()}


class AppProcess:
    """`appserver.py` in its own process on its own loopback port."""

    def __init__(self, sock: socket.socket, config: dict[str, Any]) -> None:
        self.port = sock.getsockname()[1]
        self.url = f"http://localhost:{self.port}"
        cfg = {**config, "fd": sock.fileno()}
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen([sys.executable, str(HERE / "appserver.py")],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     pass_fds=[sock.fileno()], env=env)
        assert self.proc.stdin is not None
        assert self.proc.stdout is not None
        self.proc.stdin.write(json.dumps(cfg).encode())
        self.proc.stdin.close()
        sock.close()  # the child holds it now: a killed child leaves nobody listening

    def wait_ready(self) -> None:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if line.strip() != b"READY":
            self.stop()
            raise RuntimeError(f"app process did not start: {line!r}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def kill(self) -> None:
        """SIGKILL: dies on the spot, whatever it holds."""
        self.proc.kill()
        self.proc.wait()

    def set_clock(self, offset: float) -> None:
        httpx.post(f"{self.url}/_test/clock", params={"offset": offset}, timeout=10)

    def state(self) -> dict[str, Any]:
        result: dict[str, Any] = httpx.get(f"{self.url}/_test/state", timeout=10).json()
        return result


def session_header(cookies: httpx.Cookies) -> str:
    """The ``Cookie`` header a browser sends the app: its session chunks."""
    return "; ".join(f"{c.name}={c.value}" for c in cookies.jar
                     if c.name.startswith("cg.") and c.domain.startswith("localhost"))


def sign_in(app_url: str, email: str, password: str, expect: str | None = "secret page") -> str:
    """Sign in through the app at ``app_url`` and the hosted UI, as a browser does, back to
    ``/protected`` (whose page shows ``expect``); returns the session's ``Cookie`` header."""
    with httpx.Client(timeout=30) as browser:
        response = browser.get(f"{app_url}/protected")
        for _ in range(10):
            if response.status_code not in (302, 303):
                break
            location = str(response.url.join(response.headers["location"]))
            if "/login" in urlsplit(location).path and urlsplit(location).netloc != \
                    urlsplit(app_url).netloc:
                page = browser.get(location)
                csrf = re.search(r'name="_csrf" value="([^"]+)"', page.text)
                assert csrf, page.text
                response = browser.post(str(page.url), data={
                    "username": email, "password": password, "_csrf": csrf.group(1)})
            else:
                response = browser.get(location)
        assert response.status_code == 200, (response.status_code, response.text[:300])
        assert expect is None or expect in response.text
        return session_header(browser.cookies)
