"""The Flask and Django examples under a real gunicorn, signing in through a served Local
Cognito: for the concurrency test, the browser journey and the benchmark."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx

from cognito_gate.local import LocalCognito
from cognito_gate.local.config import allow_app

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
APPS = {  # framework -> (gunicorn --chdir, WSGI app)
    "flask": (EXAMPLES, "flask_app:app"),
    "django": (EXAMPLES / "django_project", "example.wsgi:application"),
}
_CSRF = re.compile(r'name="_csrf" value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def settings_env(lc: LocalCognito, app_url: str) -> dict[str, str]:
    """The app's settings for ``lc`` (served), its demo client allowing ``app_url``."""
    client = lc.add_client(allow_app(lc.demo_client, app_url))
    return {"COGNITO_DOMAIN": lc.base_url, "COGNITO_CLIENT_ID": client.client_id,
            "COGNITO_CLIENT_SECRET": client.client_secret or "",
            "COGNITO_USER_POOL_ID": lc.pool_id, "COGNITO_ISSUER": lc.issuer,
            "APP_URL": app_url, "SESSION_SECRET": "frameworks-test-secret-0123456789abcdefgh"}


@contextmanager
def gunicorn(framework: str, env: Mapping[str, str], port: int, *, threads: int = 8,
             workers: int = 1, cwd: Path | None = None) -> Iterator[str]:
    """The example of ``framework`` under gunicorn (gthread) on 127.0.0.1:``port``."""
    chdir, target = APPS[framework]
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--chdir", str(chdir), "-k", "gthread",
         "--workers", str(workers), "--threads", str(threads), "-b", f"127.0.0.1:{port}",
         "--log-level", "warning", target],
        cwd=cwd, env={**os.environ, **env}, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(proc.stderr.read().decode() if proc.stderr else "exited")
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError("gunicorn did not start")
            time.sleep(0.1)
        yield f"http://localhost:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def sign_in(browser: httpx.Client, email: str, password: str, return_to: str = "/") -> None:
    """Through the hosted UI, over real HTTP."""
    hop = browser.get("/login", params={"return_to": return_to})
    while hop.is_redirect:
        hop = browser.get(hop.url.join(hop.headers["location"]))
    match = _CSRF.search(hop.text)
    assert match is not None, hop.text
    posted = browser.post(hop.url, data={"username": email, "password": password,
                                         "_csrf": match.group(1)})
    callback = browser.get(posted.url.join(posted.headers["location"]))
    assert callback.status_code == 303, callback.text
