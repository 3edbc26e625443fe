"""The Flask and Django examples under real servers (gunicorn, Flask's development server,
uvicorn), signing in through a served Local Cognito: for the server and concurrency tests, the
browser journey and the benchmark."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import httpx

from cognito_gate.local import LocalCognito
from cognito_gate.local.config import allow_app

from .sync_world import hosted_sign_in

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
DJANGO = EXAMPLES / "django_project"
APPS = {  # framework -> (gunicorn --chdir, WSGI app)
    "flask": (EXAMPLES, "flask_app:app"),
    "django": (DJANGO, "example.wsgi:application"),
}


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
def serving(command: list[str], env: Mapping[str, str], port: int,
            cwd: Path | None = None) -> Iterator[str]:
    """``command`` (a server of one of the examples) running until it answers on
    127.0.0.1:``port``; yields the app's URL and stops the server afterwards."""
    with tempfile.TemporaryFile() as log:  # not a pipe: a server logging requests never blocks
        proc = subprocess.Popen(command, cwd=cwd, env={**os.environ, **env}, stderr=log)
        try:
            deadline = time.monotonic() + 60
            while True:
                if proc.poll() is not None:
                    log.seek(0)
                    raise RuntimeError(log.read().decode(errors="replace"))
                with socket.socket() as s:
                    if s.connect_ex(("127.0.0.1", port)) == 0:
                        break
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{command[2]} did not start")
                time.sleep(0.1)
            yield f"http://localhost:{port}"
        finally:
            proc.terminate()
            proc.wait(timeout=20)


def gunicorn(framework: str, env: Mapping[str, str], port: int, *, threads: int = 8,
             workers: int = 1, worker_class: str = "gthread",
             cwd: Path | None = None) -> AbstractContextManager[str]:
    """The example of ``framework`` under gunicorn (``worker_class``: gthread or sync)."""
    chdir, target = APPS[framework]
    return serving([sys.executable, "-m", "gunicorn", "--chdir", str(chdir), "-k", worker_class,
                    "--workers", str(workers), "--threads", str(threads),
                    "-b", f"127.0.0.1:{port}", "--log-level", "warning", target], env, port, cwd)


def flask_dev_server(env: Mapping[str, str], port: int,
                     cwd: Path | None = None) -> AbstractContextManager[str]:
    """The Flask example under ``flask run`` (Werkzeug's development server, threaded)."""
    return serving([sys.executable, "-m", "flask", "--app", str(EXAMPLES / "flask_app.py"),
                    "run", "--host", "127.0.0.1", "--port", str(port)], env, port, cwd)


def uvicorn_django(env: Mapping[str, str], port: int,
                   cwd: Path | None = None) -> AbstractContextManager[str]:
    """The Django example as an ASGI app under uvicorn (``example.asgi:application``)."""
    return serving([sys.executable, "-m", "uvicorn", "--app-dir", str(DJANGO),
                    "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
                    "example.asgi:application"], env, port, cwd)


def sign_in(browser: httpx.Client, email: str, password: str, return_to: str = "/") -> None:
    """Through the hosted UI, over real HTTP."""
    callback = hosted_sign_in(browser, email, password, return_to)
    assert callback.status_code == 303, callback.text
