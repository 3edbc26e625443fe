"""The examples under a real gunicorn with threaded workers, against Local Cognito on a real
socket: fifty simultaneous requests of one session that is due for refresh make one token call
(the refresh single-flight holds across the worker's threads: they share one loop)."""

from __future__ import annotations

import threading
from pathlib import Path

import httpx
import pytest

from cognito_gate.local import LocalCognito

from .servers import free_port, gunicorn, settings_env, sign_in

CALLERS = 50


@pytest.mark.parametrize("framework", ["flask", "django"])
def test_fifty_simultaneous_requests_due_for_refresh_make_one_token_call(
        lc: LocalCognito, framework: str, tmp_path: Path) -> None:
    port = free_port()
    env = settings_env(lc, f"http://localhost:{port}")
    with gunicorn(framework, env, port, threads=CALLERS + 4, cwd=tmp_path) as app_url:
        lc.add_user("many@example.com", "Many-password-1")
        lc.faults.access_token(shift={"exp": -(3600 - 30)}, times=1)  # 30 s left: refresh due
        with httpx.Client(base_url=app_url, timeout=30) as browser:
            sign_in(browser, "many@example.com", "Many-password-1")
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
