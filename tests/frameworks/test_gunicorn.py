"""examples/flask_app.py under a real gunicorn with threaded workers, against Local Cognito on a
real socket: fifty simultaneous requests of one session that is due for refresh make one token
call (the refresh single-flight holds across the worker's threads: they share one loop)."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from cognito_gate.local import LocalCognito
from cognito_gate.local.config import allow_app
from cognito_gate.testing import fast_local_cognito

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
_CSRF = re.compile(r'name="_csrf" value="([^"]+)"')
CALLERS = 50


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for(port: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else "exited"
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError("gunicorn did not start")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[LocalCognito, str]]:
    lc = fast_local_cognito()
    port = _free_port()
    app_url = f"http://localhost:{port}"
    with lc.serve() as base:
        client = lc.add_client(allow_app(lc.demo_client, app_url))
        env = {**os.environ, "COGNITO_DOMAIN": base, "COGNITO_CLIENT_ID": client.client_id,
               "COGNITO_CLIENT_SECRET": client.client_secret or "",
               "COGNITO_USER_POOL_ID": lc.pool_id, "COGNITO_ISSUER": lc.issuer,
               "APP_URL": app_url, "SESSION_SECRET": "gunicorn-test-secret-0123456789abcdefgh"}
        proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--chdir", str(EXAMPLES), "-k", "gthread",
             "--workers", "1", "--threads", str(CALLERS + 4), "-b", f"127.0.0.1:{port}",
             "flask_app:app"], cwd=tmp_path, env=env, stderr=subprocess.PIPE)
        try:
            _wait_for(port, proc)
            yield lc, app_url
        finally:
            proc.terminate()
            proc.wait(timeout=20)
    lc.close()


def _sign_in(browser: httpx.Client, email: str, password: str) -> None:
    hop = browser.get("/login", params={"return_to": "/protected"})
    while hop.is_redirect:
        hop = browser.get(hop.url.join(hop.headers["location"]))
    match = _CSRF.search(hop.text)
    assert match is not None, hop.text
    posted = browser.post(hop.url, data={"username": email, "password": password,
                                         "_csrf": match.group(1)})
    callback = browser.get(posted.url.join(posted.headers["location"]))
    assert callback.status_code == 303, callback.text


def test_fifty_simultaneous_requests_due_for_refresh_make_one_token_call(
        served: tuple[LocalCognito, str]) -> None:
    lc, app_url = served
    lc.add_user("many@example.com", "Many-password-1")
    lc.faults.access_token(shift={"exp": -(3600 - 30)}, times=1)  # 30 s left: due for refresh
    with httpx.Client(base_url=app_url, timeout=30) as browser:
        _sign_in(browser, "many@example.com", "Many-password-1")
        cookie = "; ".join(f"{k}={v}" for k, v in browser.cookies.items())
    before = lc.requests["token"]
    barrier = threading.Barrier(CALLERS)
    statuses: list[int] = []

    def call() -> None:
        with httpx.Client(base_url=app_url, timeout=60) as c:
            barrier.wait()
            statuses.append(c.get("/protected", headers={"cookie": cookie}).status_code)

    threads = [threading.Thread(target=call) for _ in range(CALLERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == [200] * CALLERS
    assert lc.requests["token"] - before == 1
