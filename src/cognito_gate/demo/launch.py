"""`cognito-gate demo`: the demo app against Local Cognito by default, or a real user pool.

With no COGNITO_* setting in the environment or `.env`, Local Cognito runs alongside on
127.0.0.1:9229 (`--local-port` moves it) with its users and keys kept in
`.cognito-gate/local.sqlite3`; the app runs on `localhost` — another site, so the two never share
cookies, as with a real pool.
"""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Callable, Mapping
from pathlib import Path

from cognito_gate import RedisStore, Settings
from cognito_gate.local import LocalCognito
from cognito_gate.local.cli import DEFAULT_DATA
from cognito_gate.local.config import allow_app

from .app import create_app
from .serve import Site, bind, run_sites
from .workers import check_store, start_workers, stop_workers

LOCAL_HOST = "127.0.0.1"
LOCAL_PORT = 9229
DOTENV = Path(".env")


def configured_names(env: Mapping[str, str], dotenv: Path = DOTENV) -> set[str]:
    """Names of the variables set in `env` or in the `.env` file (values are not needed)."""
    names = set(env)
    if dotenv.is_file():
        for line in dotenv.read_text(encoding="utf-8").splitlines():
            name, sep, _ = line.strip().removeprefix("export ").partition("=")
            if sep:
                names.add(name.strip())
    return names


def local_settings(
    lc: LocalCognito, app_url: str, env: dict[str, str], dotenv: str | None = str(DOTENV)
) -> Settings:
    """Register `app_url` with Local Cognito's demo client and return the app's settings for it.

    The Cognito variables point at `lc` (and are added to `env`, for worker processes); the rest
    (SESSION_SECRET, SESSION_STORE_URL…) come from `env` and `.env`.
    """
    client = lc.add_client(allow_app(lc.demo_client, app_url))
    local = {
        "COGNITO_DOMAIN": lc.base_url,
        "COGNITO_CLIENT_ID": client.client_id,
        "COGNITO_CLIENT_SECRET": client.client_secret or "",
        "COGNITO_USER_POOL_ID": lc.pool_id,
        "COGNITO_ISSUER": lc.issuer,
        "APP_URL": app_url,
    }
    env.update(local)
    return Settings.from_env(env=env, dotenv=dotenv)


def run_demo(host: str, port: int, local_port: int = LOCAL_PORT, workers: int = 1) -> None:
    """Serve the demo until Ctrl+C; raises ConfigError (bad settings), PortInUse or
    StoreUnreachable. ``workers`` > 1: that many app processes sharing SESSION_STORE_URL."""
    names = configured_names(os.environ)
    if any(name.startswith("COGNITO_") for name in names):
        settings = Settings.from_env()
        check_store(settings, workers)
        app_sock = bind(host, port, "--port")
        if workers > 1:
            _serve_workers(workers, app_sock, {}, [], lambda: _print_real(settings, workers))
            return
        run_sites([Site(create_app(settings), app_sock)], lambda: _print_real(settings, workers))
        return
    env = dict(os.environ)
    generated = "SESSION_SECRET" not in names
    if generated:
        env["SESSION_SECRET"] = secrets.token_urlsafe(32)
    local_sock = bind(LOCAL_HOST, local_port, "--local-port")
    app_sock = bind(host, port, "--port")
    app_url = f"http://localhost:{app_sock.getsockname()[1]}"
    DEFAULT_DATA.parent.mkdir(exist_ok=True)
    local_url = f"http://{LOCAL_HOST}:{local_sock.getsockname()[1]}"
    lc = LocalCognito(data=str(DEFAULT_DATA), base_url=local_url)
    settings = local_settings(lc, app_url, env)
    check_store(settings, workers)
    ready = lambda: _print_local(lc, app_url, generated, settings, workers)  # noqa: E731
    if workers > 1:
        _serve_workers(workers, app_sock, env, [Site(lc.app, local_sock)], ready)
        return
    run_sites([Site(lc.app, local_sock), Site(create_app(settings), app_sock)], ready)


def _serve_workers(count: int, sock: socket.socket, env: dict[str, str], sites: list[Site],
                   on_ready: Callable[[], None]) -> None:
    """The app in ``count`` worker processes on ``sock``; ``sites`` (Local Cognito) here."""
    procs = start_workers(count, sock, env)
    sock.close()  # the workers hold it
    try:
        if sites:
            run_sites(sites, on_ready)
        else:
            on_ready()
            for proc in procs:
                proc.wait()
    except KeyboardInterrupt:
        pass
    finally:
        stop_workers(procs)


def _shared(settings: Settings, workers: int) -> list[str]:
    """Banner lines saying where sessions live and how many processes serve them."""
    if settings.session_store_url is None:
        return []
    where = RedisStore.shown(settings.session_store_url)
    return [f"  Sessions are kept in {where} (SESSION_STORE_URL), shared by {workers} app "
            f"process{'es' if workers > 1 else ''}."]


def _print_local(lc: LocalCognito, app_url: str, generated_secret: bool, settings: Settings,
                 workers: int) -> None:
    lines = ["", f"  cognito-gate demo is running: open {app_url}", *_shared(settings, workers),
             ""]
    lines += [f"  Sign in as   {user.email} / {user.password}" for user in lc.config.users]
    lines += [
        "  or sign up a new user (the confirmation code is printed in this log).",
        f"  Local Cognito (hosted UI and OAuth endpoints): {lc.base_url}",
        f"  Its console (clients, users, confirmation codes): {lc.base_url}/",
        f"  Users and keys are kept in {DEFAULT_DATA.resolve()}",
        f"  Metrics: {app_url}/metrics   Audit events: the JSON lines in this log",
    ]
    if generated_secret:
        lines.append("  SESSION_SECRET was generated for this run: sessions end when you stop.")
    lines += ["", "  Press Ctrl+C to stop.", ""]
    print("\n".join(lines), flush=True)


def _print_real(settings: Settings, workers: int) -> None:
    lines = ["", f"  cognito-gate demo is running: open {settings.app_url}",
             *_shared(settings, workers),
             f"  Signing in through {settings.domain} (your user pool).",
             f"  Metrics: {settings.app_url}/metrics   Audit events: the JSON lines in this log",
             "", "  Press Ctrl+C to stop.", ""]
    print("\n".join(lines), flush=True)
