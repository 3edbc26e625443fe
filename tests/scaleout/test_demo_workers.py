"""`cognito-gate demo --workers N` with `SESSION_STORE_URL`, as a person runs it: a real process
tree, a real Redis, a sign-in through Local Cognito; and the start-up errors, one line each."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from .cluster import RedisServer, free_port, sign_in
from .conftest import EMAIL, PASSWORD

COMMAND = [str(Path(sys.executable).with_name("cognito-gate"))]


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COGNITO_", "SESSION_"))}
    return {**env, **extra}


def demo(tmp_path: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*COMMAND, "demo", "--port", str(free_port()), "--local-port",
                           str(free_port()), *args], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=60)


def children(pid: int) -> list[int]:
    found = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [int(p) for p in found]


def test_demo_with_three_workers_shares_sessions_through_redis(tmp_path: Path,
                                                                redis_server: RedisServer):
    port, local_port = free_port(), free_port()
    proc = subprocess.Popen(
        [*COMMAND, "demo", "--port", str(port), "--local-port", str(local_port),
         "--workers", "3"], cwd=tmp_path, env=clean_env(SESSION_STORE_URL=redis_server.url),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    app = f"http://localhost:{port}"
    try:
        deadline = time.monotonic() + 240  # a loaded machine: minutes to start 4 processes
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{local_port}/.well-known/jwks.json", timeout=2)
                httpx.get(app + "/", timeout=2)
                break
            except httpx.TransportError:
                assert proc.poll() is None, "demo exited early"
                assert time.monotonic() < deadline, "demo did not start"
                time.sleep(0.2)
        assert len(children(proc.pid)) == 3  # three app processes on the one port
        cookie = sign_in(app, EMAIL, PASSWORD, expect=EMAIL)
        assert cookie.startswith("cg.0=")
        for _ in range(12):  # spread over the workers by the kernel: each one serves it
            answer = httpx.get(app + "/api/me", headers={"cookie": cookie}, timeout=10)
            assert answer.status_code == 200, answer.text
        assert redis_server.client().keys("cognito-gate:s:*")
    finally:
        proc.send_signal(signal.SIGINT)
        output, _ = proc.communicate(timeout=60)
    assert f"open {app}" in output
    assert f"Sessions are kept in {redis_server.url} (SESSION_STORE_URL), shared by 3 app " \
           "processes." in output


def test_an_unreachable_store_is_one_line_and_exit_2(tmp_path: Path):
    url = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    done = demo(tmp_path, clean_env(SESSION_STORE_URL=url))
    assert done.returncode == 2
    assert done.stderr.strip() == (
        f"cognito-gate demo: cannot reach the session store at {url} (SESSION_STORE_URL); "
        "start one with: redis-server --port 6379 --appendonly yes")


def test_a_malformed_store_url_or_workers_without_a_store_exit_2(tmp_path: Path):
    done = demo(tmp_path, clean_env(SESSION_STORE_URL="redis//localhost"))
    assert done.returncode == 2
    assert "SESSION_STORE_URL: must be a Redis/Valkey URL" in done.stderr
    assert "Traceback" not in done.stderr
    done = demo(tmp_path, clean_env(), "--workers", "2")
    assert done.returncode == 2
    assert "--workers 2: needs SESSION_STORE_URL" in done.stderr
    assert "Traceback" not in done.stderr
