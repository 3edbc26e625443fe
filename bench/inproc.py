"""Everything in one process, no sockets: Local Cognito and every benchmark app behind httpx's
ASGI transport, with a real sign-in. Used by profile_hotpath.py."""

from __future__ import annotations

import importlib.util
from types import TracebackType
from typing import Any

import apps
import fixture
import httpx
import pool
from starlette.types import ASGIApp

LC_URL = "http://127.0.0.1:9229"
APP_URL = "http://127.0.0.1:8000"


def library_available() -> bool:
    try:
        import cognito_gate
    except ImportError:
        return False
    return (
        hasattr(cognito_gate, "CognitoAuth")
        and importlib.util.find_spec("cognito_gate.local") is not None
        and hasattr(importlib.import_module("cognito_gate.local"), "LocalCognito")
    )


class Setup:
    """`async with Setup() as s:` → s.fixture, s.apps (case → ASGI app), s.lc (or None)."""

    def __init__(self, *, flavour: str = "starlette", stand_in: bool = False) -> None:
        self.flavour = flavour
        self.stand_in = stand_in or not library_available()
        self.fixture: fixture.Fixture = {}
        self.apps: dict[str, ASGIApp] = {}
        self.lc: Any = None
        self._clients: list[httpx.AsyncClient] = []

    async def __aenter__(self) -> Setup:
        if self.stand_in:
            self.fixture = await fixture.standin_fixture_async()
            for case in ("bare", "baseline", "session", "null", "dict"):
                self.apps[case] = apps.build(case, self.fixture, flavour=self.flavour)
            return self
        from cognito_gate.local import LocalCognito

        self.lc = lc = LocalCognito(base_url=LC_URL)
        client = pool.configure(lc, APP_URL)
        cfg: fixture.Fixture = {
            "settings": pool.settings_dict(lc, client, APP_URL),
            "starlette_secret": fixture.STARLETTE_SECRET,
        }
        http = httpx.AsyncClient(transport=httpx.ASGITransport(app=lc.app))
        self._clients.append(http)
        self.apps["hot"] = apps.build("hot", cfg, flavour=self.flavour, http=http)
        browser = httpx.AsyncClient(
            mounts={
                LC_URL: httpx.ASGITransport(app=lc.app),
                APP_URL: httpx.ASGITransport(app=self.apps["hot"]),
            }
        )
        self._clients.append(browser)
        cookie, _ = await fixture.sign_in(browser, APP_URL, pool.EMAIL, pool.PASSWORD)
        tokens = pool.tokens_from_cookie(cookie)
        self.fixture = {
            **cfg,
            "source": "local-cognito (in-process)",
            "tokens": tokens,
            "cookie_ours": cookie,
            "cookie_session": await fixture.starlette_session_cookie_async(tokens),
        }
        for case in apps.CASES:
            if case not in self.apps:
                self.apps[case] = apps.build(case, self.fixture, flavour=self.flavour, http=http)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for c in self._clients:
            await c.aclose()
