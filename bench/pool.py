"""The benchmark's user pool in Local Cognito, our library's settings for it, and reading the
tokens back out of our session cookie (to give Starlette's SessionMiddleware the same tokens)."""

from __future__ import annotations

import secrets
from http.cookies import SimpleCookie
from typing import Any

EMAIL = "bench@example.com"
PASSWORD = "Bench-password-1"
CLIENT_ID = "cognito-gate-bench"
SCOPES = ("openid", "email", "phone", "profile")
SESSION_SECRET = "bench-session-secret-" + "x" * 24


def configure(lc: Any, app_url: str, *, access_validity: int = 3600) -> Any:
    """Add the benchmark's confidential client (callback `app_url/callback/`) and user."""
    from cognito_gate.local import ClientConfig

    client = ClientConfig(
        client_id=CLIENT_ID,
        client_secret=secrets.token_hex(26),
        callback_urls=(f"{app_url}/callback/",),
        logout_urls=(f"{app_url}/",),
        allowed_scopes=SCOPES,
        id_token_validity=access_validity,
        access_token_validity=access_validity,
    )
    lc.add_client(client)
    if lc.user(EMAIL) is None:
        lc.add_user(EMAIL, PASSWORD, groups=("readers",))
    return client


def settings_dict(lc: Any, client: Any, app_url: str) -> dict[str, Any]:
    """JSON-able keyword arguments for cognito_gate.Settings."""
    return {
        "domain": lc.base_url,
        "client_id": client.client_id,
        "client_secret": client.client_secret,
        "user_pool_id": lc.pool_id,
        "issuer": lc.issuer,
        "app_url": app_url,
        "session_secret": [SESSION_SECRET],
        "scopes": list(SCOPES),
    }


def tokens_from_cookie(cookie_header: str, session_secret: str = SESSION_SECRET) -> dict[str, str]:
    """The three tokens inside our sealed session cookie (uses the library's core codec)."""
    from cognito_gate.core.cookies import SealedBox, join_chunks
    from cognito_gate.core.session import SessionData

    jar: SimpleCookie = SimpleCookie()
    jar.load(cookie_header)
    values = [jar[f"cg.{i}"].value if f"cg.{i}" in jar else None for i in range(4)]
    joined = join_chunks(values)
    if joined is None:
        raise RuntimeError(f"no session cookie among {list(jar)}")
    raw = SealedBox((session_secret,), "session", compress=True).open(joined)
    data = None if raw is None else SessionData.from_json(raw)
    if data is None:
        raise RuntimeError("session cookie does not open with the bench secret")
    return {
        "id_token": data.id_token,
        "access_token": data.access_token,
        "refresh_token": data.refresh_token or "",
    }
