"""``LocalPool``: one fresh Local Cognito per test, wired to the app under test, on one clock.

A pool costs a few milliseconds: its RSA keys come from a per-process ``ReusedKeys`` cache and
its passwords are hashed with scrypt at ``TEST_COST`` (N=16), the same KDF as in development at
a cost meant for tests. The app talks to the pool in-process (``httpx.ASGITransport``): nothing
binds a port, nothing leaves the process, and the pool and the app share a ``ManualClock``.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx
from starlette.types import ASGIApp

from ..asgi.auth import CognitoAuth
from ..core.clock import ManualClock
from ..core.config import Settings
from ..core.redact import SECRET, redacted_repr
from ..local import (
    TEST_COST,
    ClientConfig,
    LocalCognito,
    PoolConfig,
    ResourceServerConfig,
    ReusedKeys,
)
from ..local.config import RESERVED_SCOPES

if TYPE_CHECKING:
    from starlette.testclient import TestClient
from .browser import browser_for, sign_in

__all__ = [
    "APP_URL",
    "CLIENT_ID",
    "TEST_ENV",
    "LocalPool",
    "MachineClient",
    "TestUser",
    "fast_local_cognito",
]

APP_URL = "http://localhost:8000"
POOL_ID = "us-east-1_LocalTest"
CLIENT_ID = "cognito-gate-test"
CLIENT_SECRET = "cognito-gate-test-client-secret-0123456789"
SESSION_SECRET = "cognito-gate-test-session-secret-0123456789"
PASSWORD = "Test-password-1"
DOMAIN = "http://127.0.0.1:9229"  # in-process only: nothing listens there

#: Settings of an app signed in through ``LocalPool`` as environment variables, for an app module
#: that calls ``Settings.from_env()`` at import (``os.environ.update(TEST_ENV)`` before importing
#: it); ``LocalPool.wrap(app, like=auth)`` connects such an app to each test's pool.
TEST_ENV = {
    "COGNITO_DOMAIN": DOMAIN,
    "COGNITO_CLIENT_ID": CLIENT_ID,
    "COGNITO_CLIENT_SECRET": CLIENT_SECRET,
    "COGNITO_USER_POOL_ID": POOL_ID,
    "COGNITO_ISSUER": f"{DOMAIN}/{POOL_ID}",
    "APP_URL": APP_URL,
    "SESSION_SECRET": SESSION_SECRET,
}

_SHARED_KEYS = ReusedKeys()


def fast_local_cognito(config: PoolConfig | None = None, **kwargs: Any) -> LocalCognito:
    """A ``LocalCognito`` for tests: RSA keys from the process-wide cache, scrypt at
    ``TEST_COST``; ``kwargs`` as for ``LocalCognito`` (``clock=``, ``admin_api=``…)."""
    kwargs.setdefault("password_cost", TEST_COST)
    return LocalCognito(config, key_factory=_SHARED_KEYS.factory(), **kwargs)


@dataclass(frozen=True)
class TestUser:
    """A confirmed user of the pool, with the password to sign in with."""

    __test__ = False  # not a pytest test class
    __repr__ = redacted_repr

    email: str
    password: str = field(metadata=SECRET)
    sub: str = ""
    groups: tuple[str, ...] = ()


@dataclass(frozen=True)
class MachineClient:
    """A client-credentials app client (no user): its tokens have ``sub`` = ``client_id``."""

    __repr__ = redacted_repr

    client_id: str
    client_secret: str = field(metadata=SECRET)
    scopes: tuple[str, ...] = ()


class LocalPool:
    """A Local Cognito user pool for one test: users, machine clients, tokens, clock, faults.

    ``settings()`` are the app's settings against this pool, ``http`` the in-process back channel;
    ``wrap(app, like=auth)`` puts the app behind a ``CognitoAuth`` connected to the pool with the
    same protection rules and error pages as ``auth``.
    """

    def __init__(self, *, app_url: str = APP_URL, password_cost: int = TEST_COST,
                 start: float | None = None) -> None:
        self.clock = ManualClock(start)
        self.app_url = app_url.rstrip("/")
        self.lc = fast_local_cognito(PoolConfig(pool_id=POOL_ID), base_url=DOMAIN,
                                     clock=self.clock.now, password_cost=password_cost)
        self.http = httpx.AsyncClient(transport=httpx.ASGITransport(app=self.lc.app), timeout=10)
        self._scopes: tuple[str, ...] = ("openid", "email", "phone")
        self._callback_path, self._login_path = "/callback/", "/login"
        self._open = ExitStack()
        self._register_client()
        self._ids = itertools.count(1)

    # the app's side
    def settings(self, **overrides: Any) -> Settings:
        """Settings for an app signing in through this pool (``overrides`` go to ``Settings``)."""
        values: dict[str, Any] = {
            "domain": self.lc.base_url, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
            "user_pool_id": POOL_ID, "issuer": self.lc.issuer, "app_url": self.app_url,
            "session_secret": (SESSION_SECRET,), **overrides,
        }
        return self.connect(Settings(**values))

    def connect(self, settings: Settings) -> Settings:
        """``settings`` with the provider-facing values of this pool (domain, client, pool,
        issuer, app URL, session secret); the pool's test client learns the callback path and
        scopes the app will ask for."""
        settings = dataclasses.replace(
            settings, domain=self.lc.base_url, client_id=CLIENT_ID, client_secret=CLIENT_SECRET,
            user_pool_id=POOL_ID, issuer=self.lc.issuer, app_url=self.app_url,
            session_secret=(SESSION_SECRET,), logout_uri=None,
        )
        if (settings.scopes, settings.callback_path) != (self._scopes, self._callback_path):
            self._scopes, self._callback_path = tuple(settings.scopes), settings.callback_path
            self._register_client()
        self._login_path = settings.login_path
        return settings

    def auth(self, **kwargs: Any) -> CognitoAuth:
        """A ``CognitoAuth`` on this pool (``kwargs``: ``protect``, ``render_error``…)."""
        return CognitoAuth(self.settings(), http=self.http, clock=self.clock, **kwargs)

    def wrap(self, app: ASGIApp, *, like: CognitoAuth | None = None, **kwargs: Any) -> ASGIApp:
        """``app`` behind the auth middleware, connected to this pool: with ``like``, the app's
        own ``auth`` (its settings, protection and error pages, pointed at this pool); else a new
        one from ``kwargs``."""
        if like is None:
            return self.auth(**kwargs).wrap(app)
        return like.connected(self.connect(like.settings), http=self.http,
                              clock=self.clock).wrap(app)

    def _register_client(self) -> None:
        self.declare_scopes(self._scopes)
        self.lc.add_client(ClientConfig(
            client_id=CLIENT_ID, client_secret=CLIENT_SECRET,
            callback_urls=(self.app_url + self._callback_path,),
            logout_urls=(self.app_url + "/",),
            allowed_scopes=tuple(dict.fromkeys((*RESERVED_SCOPES, *self._scopes))),
        ))

    # users, machines, tokens
    def user(self, *, groups: Sequence[str] = (), attributes: Mapping[str, str] | None = None,
             email: str | None = None, password: str = PASSWORD) -> TestUser:
        """A new confirmed user (``userN@example.com`` unless ``email`` is given)."""
        email = email or f"user{next(self._ids)}@example.com"
        sub = self.lc.add_user(email, password, groups=tuple(groups), attributes=attributes)
        return TestUser(email.strip().lower(), password, sub, tuple(groups))

    def machine(self, scopes: Sequence[str] = ("api/read",), *,
                client_id: str | None = None) -> MachineClient:
        """A new client-credentials app client allowed these custom ``resource/name`` scopes
        (their resource servers are declared as needed)."""
        self.declare_scopes(scopes)
        client = self.lc.add_client(ClientConfig(
            client_id=client_id or f"machine-{next(self._ids)}", generate_secret=True,
            allowed_flows=("client_credentials",), allowed_scopes=tuple(scopes),
        ))
        assert client.client_secret is not None
        return MachineClient(client.client_id, client.client_secret, tuple(scopes))

    def declare_scopes(self, scopes: Sequence[str]) -> None:
        """Declare the resource servers of these custom ``identifier/name`` scopes (reserved
        scopes are skipped): Local Cognito, like Cognito, lets clients have declared ones only."""
        for scope in scopes:
            identifier, _, name = scope.rpartition("/")
            if scope in RESERVED_SCOPES or not identifier:
                continue
            known = self.lc.resource_servers.get(identifier)
            names = known.scopes if known is not None else ()
            if name not in names:
                self.lc.add_resource_server(ResourceServerConfig(identifier, scopes=(*names, name)))

    def bearer_token(self, caller: TestUser | MachineClient, *,
                     scopes: Sequence[str] | None = None) -> str:
        """A real access token signed by the pool: a user's (as the app's client would get at
        sign-in, with ``scopes``, default the app's) or a machine's (the client-credentials
        grant: ``scopes`` must be among the client's, default all of them)."""
        if isinstance(caller, MachineClient):
            wanted = tuple(scopes) if scopes is not None else caller.scopes
            unknown = [s for s in wanted if s not in caller.scopes]
            if unknown:
                raise ValueError(f"{caller.client_id} may not ask for {unknown} (invalid_scope)")
            client = self.lc.clients[caller.client_id]
            return self.lc.tokens.for_client(client, wanted).access_token
        user = self.lc.store.user(sub=caller.sub)
        if user is None:
            raise ValueError(f"no user {caller.email} in this pool")
        client = self.lc.clients[CLIENT_ID]
        wanted = tuple(scopes) if scopes is not None else self._scopes
        lineage = self.lc.tokens.start_lineage(client, user.sub, wanted, int(self.clock.now()))
        return self.lc.tokens.for_user(lineage, user, client).access_token

    # browsers
    def client(self, app: ASGIApp) -> httpx.AsyncClient:
        """An anonymous in-process browser for ``app`` (redirects not followed)."""
        return browser_for(app, self.app_url, self.lc)

    async def signed_in(self, app: ASGIApp, user: TestUser, *,
                        return_to: str = "/") -> httpx.AsyncClient:
        """A browser for ``app`` signed in as ``user`` through the real hosted-UI sign-in."""
        browser = self.client(app)
        await sign_in(browser, user.email, user.password, login_path=self._login_path,
                      return_to=return_to)
        return browser

    def test_client(self, app: ASGIApp, user: TestUser | None = None) -> TestClient:
        """Starlette's ``TestClient`` for ``app``, signed in as ``user`` if given (the sign-in
        runs in the client's own event loop); closed with the pool."""
        from starlette.testclient import TestClient  # imported on use: it warns about httpx

        client = self._open.enter_context(TestClient(app, base_url=self.app_url))
        if user is not None:
            assert client.portal is not None  # set while the client is entered
            browser = client.portal.call(self.signed_in, app, user)
            client.cookies = browser.cookies
        return client

    # time and faults
    def advance(self, seconds: float) -> None:
        """Move the clock the pool and the app share (expire tokens, reach a refresh)."""
        self.clock.advance(seconds)

    @property
    def faults(self) -> Any:
        """Local Cognito's fault switches (``local_cognito.faults.set("token", status=503)``)."""
        return self.lc.faults

    async def aclose(self) -> None:
        self.close()
        await self.http.aclose()

    def close(self) -> None:
        """Close the test clients and the pool (the back channel holds no connection)."""
        self._open.close()
        self.lc.close()
