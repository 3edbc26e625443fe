"""``LocalCognito``: one user pool with its domain and issuer endpoints, as an ASGI app.

This is the object tests, the demo launcher and the CLI hold: it wires the store, keys, clock,
faults and pages together and offers the small API of ARCHITECTURE.md.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import secrets
import sqlite3
import string
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

from .clock import LocalClock
from .config import LOOPBACK_HOSTS, ClientConfig, ConfigError, PoolConfig, demo_pool
from .faults import Faults
from .hosted_ui import HostedUI
from .keys import KeyFactory, KeyRing, generate_rsa
from .passwords import DEFAULT_COST, check_cost, hash_password
from .sessions import SessionManager
from .store import Store, User
from .tokens import TokenIssuer

__all__ = ["LocalCognito", "UserExistsError"]

log = logging.getLogger("cognito_gate.local")

CONFIRMATION_TTL = 24 * 3600
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_STANDARD_ATTRIBUTES = frozenset(
    [
        "address",
        "birthdate",
        "email_verified",
        "family_name",
        "gender",
        "given_name",
        "locale",
        "middle_name",
        "name",
        "nickname",
        "phone_number",
        "phone_number_verified",
        "picture",
        "preferred_username",
        "profile",
        "updated_at",
        "website",
        "zoneinfo",
    ]
)


class UserExistsError(ValueError):
    """An account with the given email already exists."""


def normalize_email(email: str) -> str:
    return email.strip().lower()


def valid_email(email: str) -> bool:
    return len(email) <= 254 and bool(_EMAIL.match(email))


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
        self.clients: dict[str, ClientConfig] = {}
        for stored in self.store.clients():
            self._register(ClientConfig(**_tuples(stored)))
        for client in self.config.clients:
            self.add_client(client)
        for group in self.config.groups:
            self.store.add_group(group.name, group.description)
        for user in self.config.users:
            if self.user(user.email) is None:
                self.add_user(
                    user.email,
                    user.password,
                    groups=user.groups,
                    attributes=user.attributes,
                    confirmed=user.confirmed,
                )
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
        once, kept in the data file. Returns the client as registered."""
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

    def add_user(
        self,
        email: str,
        password: str,
        *,
        groups: tuple[str, ...] | list[str] = (),
        attributes: Mapping[str, str] | None = None,
        confirmed: bool = True,
    ) -> str:
        """Create a user (username: a UUID distinct from ``sub``, as Cognito's internal names);
        returns the ``sub``. Raises UserExistsError, or ValueError for a bad email/attribute."""
        email = normalize_email(email)
        if not valid_email(email):
            raise ValueError(f"not an email address: {email!r}")
        if self.user(email) is not None:
            raise UserExistsError("An account with the given email already exists.")
        attrs = {"email_verified": "true" if confirmed else "false"}
        for name, value in (attributes or {}).items():
            if name not in _STANDARD_ATTRIBUTES and not name.startswith("custom:"):
                raise ValueError(f"unknown attribute {name!r} (use a standard one or custom:…)")
            attrs[name] = str(value)
        sub = str(uuid.uuid4())
        self.store.add_user(
            User(
                sub,
                str(uuid.uuid4()),
                email,
                hash_password(password, self.password_cost),
                confirmed,
                attrs,
                tuple(groups),
            )
        )
        return sub

    def user(self, email: str) -> User | None:
        return self.store.user(email=normalize_email(email))

    def new_confirmation_code(self, email: str) -> str:
        """A fresh 6-digit code; "sent" by writing it to the log (codes are not secrets here)."""
        code = f"{secrets.randbelow(10**6):06d}"
        self.store.set_confirmation_code(email, code, self.clock.now() + CONFIRMATION_TTL)
        log.info("confirmation code for %s: %s", email, code)
        return code

    def last_confirmation_code(self, email: str) -> str | None:
        row = self.store.confirmation_code(normalize_email(email))
        return None if row is None else row[0]

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
