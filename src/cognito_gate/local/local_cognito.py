"""``LocalCognito``: one user pool with its domain and issuer endpoints, as an ASGI app.

This is the object tests, the demo launcher and the CLI hold: it wires the store, keys, clock,
faults and pages together and offers the small API of ARCHITECTURE.md.
"""

from __future__ import annotations

import dataclasses
import json
import secrets
import sqlite3
import string
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

from .accounts import Accounts, normalize_email
from .clock import LocalClock
from .config import (
    LOOPBACK_HOSTS,
    ClientConfig,
    ConfigError,
    GroupConfig,
    IdentityProviderConfig,
    PoolConfig,
    ResourceServerConfig,
    UserConfig,
    demo_pool,
    undeclared_scopes,
    unknown_providers,
)
from .errors import UserExistsError
from .faults import Faults
from .federation import Federation
from .groups import Groups
from .hosted_ui import HostedUI
from .keys import KeyFactory, KeyRing, generate_rsa
from .passwords import DEFAULT_COST, check_cost
from .sessions import SessionManager
from .store import Store, User
from .tokens import TokenIssuer

__all__ = ["LocalCognito", "UserExistsError"]


class LocalCognito:
    """A Cognito user pool on one machine: hosted UI, OAuth 2.0/OIDC endpoints, test switches."""

    def __init__(
        self,
        config: PoolConfig | None = None,
        *,
        data: str = ":memory:",
        base_url: str = "http://127.0.0.1:9229",
        issuer_base_url: str | None = None,
        clock: Callable[[], float] | None = None,
        admin_api: bool = False,
        password_cost: int = DEFAULT_COST,
        key_factory: KeyFactory = generate_rsa,
    ) -> None:
        """``password_cost``: log2 of scrypt's N for new password hashes (passwords.py);
        ``key_factory``: where new RSA signing keys come from (``ReusedKeys().factory()`` in
        test suites, see keys.py)."""
        from .app import build_app  # the app imports the endpoints, which type against us

        self.config = config if config is not None else demo_pool()
        self.clock = LocalClock(clock)
        try:
            self.store = Store(data)
        except sqlite3.Error as exc:
            raise ConfigError(f"data: cannot open {data!r} as a SQLite database ({exc})") from None
        self._check_pool(data)
        self.faults = Faults(self.clock)
        try:
            self.password_cost = check_cost(password_cost)
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
        self.keys = KeyRing(self.store, self.clock, key_factory)
        self.requests: Counter[str] = Counter()
        self.admin_api = admin_api
        self._base_url = base_url.rstrip("/")
        self._issuer_base_url = issuer_base_url.rstrip("/") if issuer_base_url else None
        self.tokens = TokenIssuer(
            self.store, self.keys, self.clock, self.faults, lambda: self.issuer
        )
        self.sessions = SessionManager(self)
        self.ui = HostedUI(self)
        self.accounts = Accounts(self)
        self.groups = Groups(self)
        self.resource_servers: dict[str, ResourceServerConfig] = {}
        for server in json.loads(self.store.meta("resource_servers") or "[]"):
            self._declare_resource_server(ResourceServerConfig(**_tuples(server)))
        for server in self.config.resource_servers:
            self._declare_resource_server(server)
        self.federation = Federation(self)
        for idp in self.config.identity_providers:
            self.federation.add(idp)
        self.clients: dict[str, ClientConfig] = {}
        for stored in self.store.clients():
            self._register(self._declared_only(ClientConfig(**_tuples(stored))))
        for client in self.config.clients:
            self.add_client(client)
        for group in self.config.groups:
            self._declare_group(group)
        for user in self.config.users:
            if self.user(user.email) is None and self.user(user.username or "") is None:
                self.accounts.create(
                    user.email,
                    user.password,
                    username=user.username,
                    groups=user.groups,
                    attributes=user.attributes,
                    status=user.status,
                    check_policy=False,
                )
                if not user.enabled:
                    self.disable_user(user.email)
        self.app = build_app(self)

    def _check_pool(self, data: str) -> None:
        stored = self.store.meta("pool_id")
        if stored is None:
            self.store.set_meta("pool_id", self.config.pool_id)
        elif stored != self.config.pool_id:
            raise ConfigError(
                f"data: {data!r} holds pool {stored!r}, but the configuration is for "
                f"{self.config.pool_id!r}; use another data file"
            )

    # URLs
    @property
    def base_url(self) -> str:
        return self._base_url

    def set_base_url(self, base_url: str) -> None:
        """Move the pool domain (and the issuer, unless it was set apart), e.g. once serving."""
        self._base_url = base_url.rstrip("/")

    @property
    def pool_id(self) -> str:
        return self.config.pool_id

    @property
    def issuer(self) -> str:
        return f"{self._issuer_base_url or self._base_url}/{self.pool_id}"

    @property
    def jwks_url(self) -> str:
        return f"{self.issuer}/.well-known/jwks.json"

    # clients and users
    @property
    def demo_client(self) -> ClientConfig:
        """The first configured client (the built-in ``cognito-gate-demo`` by default)."""
        first = (
            self.config.clients[0].client_id if self.config.clients else next(iter(self.clients))
        )
        return self.clients[first]

    def add_client(self, client: ClientConfig) -> ClientConfig:
        """Register (or replace) an app client; a ``generate_secret`` client gets its secret
        once, kept in the data file. Returns the client as registered. Its custom scopes must
        be declared by resource servers (:meth:`add_resource_server`), as on Cognito."""
        undeclared = undeclared_scopes(client, self.resource_servers.values())
        if undeclared:
            raise ConfigError(
                f"client {client.client_id!r}: scopes {undeclared} are not declared by any "
                "resource server"
            )
        unknown = unknown_providers(client, self.federation.providers)
        if unknown:
            raise ConfigError(
                f"client {client.client_id!r}: supported_identity_providers {unknown} are not "
                "identity providers of the pool"
            )
        if client.generate_secret and client.client_secret is None:
            key = f"client_secret:{client.client_id}"
            secret = self.store.meta(key)
            if secret is None:
                alphabet = string.ascii_lowercase + string.digits
                secret = "".join(secrets.choice(alphabet) for _ in range(51))
                self.store.set_meta(key, secret)
            client = dataclasses.replace(client, client_secret=secret)
        self.store.save_client(client.client_id, dataclasses.asdict(client))
        return self._register(client)

    def _register(self, client: ClientConfig) -> ClientConfig:
        self.clients[client.client_id] = client
        return client

    def _declared_only(self, client: ClientConfig) -> ClientConfig:
        """A client kept in the data file, without custom scopes no resource server declares
        any more (the configuration file may have dropped one since)."""
        undeclared = undeclared_scopes(client, self.resource_servers.values())
        scopes = tuple(s for s in client.allowed_scopes if s not in undeclared)
        return dataclasses.replace(client, allowed_scopes=scopes) if undeclared else client

    def add_resource_server(self, server: ResourceServerConfig) -> ResourceServerConfig:
        """Declare (or replace) a resource server, kept in the data file: clients may then be
        allowed its ``{identifier}/{scope}`` custom scopes."""
        self._declare_resource_server(server)
        servers = [dataclasses.asdict(rs) for rs in self.resource_servers.values()]
        self.store.set_meta("resource_servers", json.dumps(servers))
        return server

    def _declare_resource_server(self, server: ResourceServerConfig) -> None:
        self.resource_servers[server.identifier] = server

    def _declare_group(self, group: GroupConfig) -> None:
        """A configured group: created once, its settings taken from the file on each start."""
        existing = self.store.group(group.name)
        if existing is None:
            self.groups.create(
                group.name, group.description, precedence=group.precedence, role_arn=group.role_arn
            )
        else:
            self.groups.update(
                existing,
                description=group.description,
                precedence=group.precedence,
                role_arn=group.role_arn,
            )

    def add_user(
        self,
        email: str,
        password: str,
        *,
        groups: tuple[str, ...] | list[str] = (),
        attributes: Mapping[str, str] | None = None,
        confirmed: bool = True,
        temporary: bool = False,
        username: str | None = None,
    ) -> str:
        """Create a user; returns the ``sub``. Its username is the ``sub`` in an e-mail pool
        (as Cognito names them), ``username`` (required) in a pool of real usernames.
        ``temporary``: the password must be changed at the first sign-in (FORCE_CHANGE_PASSWORD,
        as AdminCreateUser). Raises UserExistsError, or ValueError (a :class:`CognitoError`)
        for a bad email, username or attribute."""
        status = UserConfig(email, password, confirmed=confirmed, temporary=temporary).status
        user = self.accounts.create(
            email,
            password,
            username=username,
            groups=groups,
            attributes=attributes,
            status=status,
            check_policy=False,
        )
        return user.sub

    def add_identity_provider(self, idp: IdentityProviderConfig) -> None:
        """Declare (or replace) a federated IdP, as CreateIdentityProvider; the sign-in page
        shows its button from the next request on."""
        self.federation.add(idp)

    def link_provider(self, email: str, provider: str, subject: str) -> None:
        """AdminLinkProviderForUser: signing in through ``provider`` as ``subject`` signs in
        the existing user ``email`` (instead of creating ``{provider}_{subject}``)."""
        idp = self.federation.providers.get(provider)
        if idp is None:
            raise ConfigError(f"provider: no identity provider named {provider!r}")
        self.federation.link(self.accounts.require(email), idp, subject)

    def user(self, email: str) -> User | None:
        """A user by e-mail address (or internal username, or ``sub``)."""
        return self.accounts.find(email)

    # what the JSON API's admin operations do, for tests (one implementation underneath)
    def disable_user(self, email: str) -> None:
        """AdminDisableUser: no more sign-ins, and every token of the user is revoked."""
        self.accounts.set_enabled(self.accounts.require(email), False)

    def enable_user(self, email: str) -> None:
        self.accounts.set_enabled(self.accounts.require(email), True)

    def set_groups(self, email: str, groups: tuple[str, ...] | list[str]) -> None:
        """Exactly these (existing) groups; the user's next tokens carry them."""
        self.groups.set_groups(self.accounts.require(email), groups)

    def add_group(self, name: str, description: str = "", *, precedence: int | None = None) -> None:
        self.groups.create(name, description, precedence=precedence)

    def global_sign_out(self, email: str) -> None:
        """AdminUserGlobalSignOut: every refresh and access token of the user is revoked."""
        self.accounts.global_sign_out(self.accounts.require(email))

    def new_confirmation_code(self, email: str) -> str:
        return self.accounts.send_code(self.accounts.require(email), "signup")

    def last_confirmation_code(self, email: str) -> str | None:
        row = self.store.confirmation_code(normalize_email(email))
        return None if row is None else row[0]

    def last_reset_code(self, email: str) -> str | None:
        """The code ForgotPassword / AdminResetUserPassword / the hosted UI last "sent"."""
        row = self.store.confirmation_code(normalize_email(email), "reset")
        return None if row is None else row[0]

    def last_temporary_password(self, email: str) -> str | None:
        """The temporary password AdminCreateUser generated (none given) for this address."""
        return self.accounts.temporary_passwords.get(normalize_email(email))

    # keys and serving
    def rotate_keys(self, overlap: bool = True) -> None:
        self.keys.rotate(overlap=overlap)

    def drop_retired_keys(self) -> None:
        self.keys.drop_retired()

    @contextmanager
    def serve(self, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
        """Run on a real loopback socket in a background thread; yields the base URL.

        The pool domain (and the issuer, unless ``issuer_base_url`` was given) moves to the
        address actually bound, so tokens name the server that issued them.
        """
        from .server import run_in_thread

        with run_in_thread(self.app, host, port) as bound:
            previous = self._base_url
            self.set_base_url(_served_url(previous, bound))
            try:
                yield self._base_url
            finally:
                self.set_base_url(previous)

    def close(self) -> None:
        self.store.close()


def _served_url(configured: str, bound: str) -> str:
    """Keep a configured loopback host name (cookies are per host), take the bound port."""
    parts, served = urlsplit(configured), urlsplit(bound)
    if parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS:
        host = f"[{parts.hostname}]" if ":" in (parts.hostname or "") else parts.hostname
        return f"http://{host}:{served.port}"
    return bound


def _tuples(data: Mapping[str, Any]) -> dict[str, Any]:
    return {k: tuple(v) if isinstance(v, list) else v for k, v in data.items()}
