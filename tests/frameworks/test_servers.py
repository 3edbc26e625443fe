"""The Flask and Django examples under the servers the README names, each a real process
against Local Cognito on a real socket: sign in (back to the page asked for) → the protected
page → sign out (revoked) → asked to sign in again. Flask under its development server
(``flask run``) and gunicorn's sync worker; Django under gunicorn's sync worker (WSGI) and
uvicorn (ASGI: Django runs the synchronous middleware in a worker thread). gunicorn's threaded
worker runs both in test_gunicorn.py."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from pathlib import Path

import httpx
import pytest

from cognito_gate.local import LocalCognito

from .servers import (
    flask_dev_server,
    free_port,
    gunicorn,
    settings_env,
    sign_in,
    uvicorn_django,
)

PASSWORD = "Servers-pass-1"
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')

Server = Callable[[Mapping[str, str], int, Path], AbstractContextManager[str]]
SERVERS: dict[str, Server] = {
    "flask-dev-server": flask_dev_server,
    "flask-gunicorn-sync": lambda env, port, cwd: gunicorn(
        "flask", env, port, threads=1, worker_class="sync", cwd=cwd),
    "django-gunicorn-sync": lambda env, port, cwd: gunicorn(
        "django", env, port, threads=1, worker_class="sync", cwd=cwd),
    "django-uvicorn-asgi": uvicorn_django,
}


@pytest.mark.parametrize("server", list(SERVERS))
def test_sign_in_protected_sign_out_under_a_real_server(lc: LocalCognito, server: str,
                                                        tmp_path: Path) -> None:
    email = f"{server}@example.com"
    lc.add_user(email, PASSWORD)
    port = free_port()
    app = f"http://localhost:{port}"
    with SERVERS[server](settings_env(lc, app), port, tmp_path), \
            httpx.Client(base_url=app, timeout=30) as browser:
        first = browser.get("/protected")
        assert first.status_code == 303
        assert first.headers["location"] == f"{app}/login?return_to=/protected"

        sign_in(browser, email, PASSWORD, return_to="/protected")
        page = browser.get("/protected")
        assert page.status_code == 200
        assert f"Only for {email}" in page.text
        assert page.headers["cache-control"] == "no-store"

        home = browser.get("/")
        assert f"Signed in as {email}" in home.text
        token = _CSRF.search(home.text)
        assert token is not None, home.text
        revokes = lc.requests["revoke"]
        out = browser.post("/logout", data={"csrf": token.group(1)})
        assert out.status_code == 303
        assert lc.requests["revoke"] == revokes + 1

        after = browser.get("/protected")
        assert after.status_code == 303
        assert after.headers["location"] == f"{app}/login?return_to=/protected"
        assert "Signed out" in browser.get("/").text
