"""`cognito-gate demo`: the demo app against Local Cognito by default, or a real user pool.

With no COGNITO_* setting in the environment or `.env`, Local Cognito runs alongside on
127.0.0.1:9229 (`--local-port` moves it) with its users and keys kept in
`.cognito-gate/local.sqlite3`; the app runs on `localhost` — another site, so the two never share
cookies, as with a real pool.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path

from cognito_gate import Settings
from cognito_gate.local import LocalCognito
from cognito_gate.local.cli import DEFAULT_DATA
from cognito_gate.local.config import allow_app

from .app import create_app
from .serve import Site, bind, run_sites

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
    lc: LocalCognito, app_url: str, env: Mapping[str, str], dotenv: str | None = str(DOTENV)
) -> Settings:
    """Register `app_url` with Local Cognito's demo client and return the app's settings for it.

    The Cognito variables point at `lc`; the rest (SESSION_SECRET…) come from `env` and `.env`.
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
    return Settings.from_env(env={**env, **local}, dotenv=dotenv)


def run_demo(host: str, port: int, local_port: int = LOCAL_PORT) -> None:
    """Serve the demo until Ctrl+C; raises ConfigError (bad settings) or PortInUse."""
    names = configured_names(os.environ)
    if any(name.startswith("COGNITO_") for name in names):
        settings = Settings.from_env()
        sites = [Site(create_app(settings), bind(host, port, "--port"))]
        run_sites(sites, lambda: _print_real(settings))
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
    sites = [Site(lc.app, local_sock), Site(create_app(settings), app_sock)]
    run_sites(sites, lambda: _print_local(lc, app_url, generated))


def _print_local(lc: LocalCognito, app_url: str, generated_secret: bool) -> None:
    lines = ["", f"  cognito-gate demo is running: open {app_url}", ""]
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


def _print_real(settings: Settings) -> None:
    print(
        f"\n  cognito-gate demo is running: open {settings.app_url}\n"
        f"  Signing in through {settings.domain} (your user pool).\n"
        f"  Metrics: {settings.app_url}/metrics   Audit events: the JSON lines in this log\n\n"
        "  Press Ctrl+C to stop.\n",
        flush=True,
    )
