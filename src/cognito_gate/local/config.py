"""Pool configuration: immutable dataclasses, Cognito's limits, and the TOML file format.

Every check names the key it refused (``clients[0].callback_urls[1]: …``) so a bad file is fixed
in one look; nothing here raises anything but :class:`ConfigError`.
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .errors import CognitoError

__all__ = [
    "DEFAULT_SCOPES",
    "ClientConfig",
    "ConfigError",
    "GroupConfig",
    "IdentityProviderConfig",
    "PoolConfig",
    "ResourceServerConfig",
    "UserConfig",
    "demo_pool",
    "load_config",
    "parse_config",
]

RESERVED_SCOPES = ("openid", "email", "phone", "profile", "aws.cognito.signin.user.admin")
DEFAULT_SCOPES = RESERVED_SCOPES
FLOWS = ("code", "implicit", "client_credentials")
AUTH_FLOWS = (
    "ALLOW_ADMIN_USER_PASSWORD_AUTH",
    "ALLOW_CUSTOM_AUTH",
    "ALLOW_USER_PASSWORD_AUTH",
    "ALLOW_USER_SRP_AUTH",
    "ALLOW_REFRESH_TOKEN_AUTH",
    "ALLOW_USER_AUTH",
)
LEGACY_AUTH_FLOWS = ("ADMIN_NO_SRP_AUTH", "CUSTOM_AUTH_FLOW_ONLY", "USER_PASSWORD_AUTH")
DEFAULT_AUTH_FLOWS = ("ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_CUSTOM_AUTH")
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")
_POOL_ID = re.compile(r"^[\w-]+_[0-9a-zA-Z]+$")
_CLIENT_ID = re.compile(r"^[\w+-]{1,128}$")
_SECRET = re.compile(r"^[\w+.~-]{1,64}$")  # Cognito: [\w+]; "-._~" tolerated
_RS_IDENTIFIER = re.compile(r"^[\x21\x23-\x5B\x5D-\x7E]{1,256}$")  # ResourceServerType
_RS_NAME = re.compile(r"^[\w\s+=,.@-]{1,256}$")
_SCOPE_NAME = re.compile(r"^[\x21\x23-\x2E\x30-\x5B\x5D-\x7E]{1,256}$")  # no "/", '"', "\\"
_IDP_NAME = re.compile(r"^[^_\s][^\s]{0,31}$")  # ProviderName: 1-32, no whitespace
IDP_TYPES = ("Google", "SignInWithApple", "Facebook", "LoginWithAmazon", "OIDC", "SAML")
SOCIAL_TYPES = IDP_TYPES[:4]  # their provider name is their type, as Cognito requires
# What each IdP calls the user's stable id: Cognito maps it to ``username`` by default.
IDP_SUBJECT = {
    "Google": "sub",
    "SignInWithApple": "sub",
    "Facebook": "id",
    "LoginWithAmazon": "user_id",
    "OIDC": "sub",
    "SAML": "NameID",
}
USERNAME_ATTRIBUTES = ("email",)
UNAUTHORIZED_WRITE = "A client attempted to write unauthorized attribute"
_SCOPE_ATTRIBUTES = {
    "email": ("email", "email_verified"),
    "phone": ("phone_number", "phone_number_verified"),
}
_PROVIDER = re.compile(r"^[^\s]{1,32}$")
_DURATION = re.compile(r"^(\d+)\s*([smhd]?)$")
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}
DAY = 86400


class ConfigError(ValueError):
    """A configuration value Local Cognito cannot use; the message names the key."""


def _attribute_name(name: str) -> bool:
    """A user attribute of the pool's schema: ``email``, a standard one, or ``custom:*``."""
    return name == "email" or name in STANDARD_ATTRIBUTES or name.startswith("custom:")


def _check_url(where: str, url: str, *, callback: bool) -> None:
    parts = urlsplit(url)
    if not parts.scheme or (parts.scheme in ("http", "https") and not parts.netloc):
        raise ConfigError(f"{where}: must be an absolute URL (got {url!r})")
    if "#" in url:
        raise ConfigError(f"{where}: must not contain a fragment (got {url!r})")
    if parts.scheme == "http" and (parts.hostname or "") not in LOOPBACK_HOSTS:
        raise ConfigError(
            f"{where}: http:// is allowed only for localhost, 127.0.0.1 and [::1]; "
            f"use https:// (got {url!r})"
        )
    if callback and parts.scheme not in ("http", "https") and not parts.scheme.isalnum():
        raise ConfigError(f"{where}: unusable URL scheme (got {url!r})")


@dataclass(frozen=True)
class ClientConfig:
    """One app client, with Cognito's defaults and limits (cognito-behaviour.md §9.5, §10)."""

    client_id: str
    client_secret: str | None = field(default=None, repr=False)  # secrets never print
    callback_urls: tuple[str, ...] = ()
    logout_urls: tuple[str, ...] = ()
    allowed_scopes: tuple[str, ...] = DEFAULT_SCOPES
    allowed_flows: tuple[str, ...] = ("code",)
    id_token_validity: int = 3600
    access_token_validity: int = 3600
    refresh_token_validity: int = 30 * DAY
    rotation: bool = False
    rotation_grace_seconds: int = 0
    token_revocation: bool = True  # EnableTokenRevocation (§10): off, /oauth2/revoke refuses
    generate_secret: bool = False
    explicit_auth_flows: tuple[str, ...] = DEFAULT_AUTH_FLOWS
    # §10's other settings, with Cognito's defaults (docs/local-cognito.md says what each does)
    read_attributes: tuple[str, ...] | None = None  # ReadAttributes; None: every attribute
    write_attributes: tuple[str, ...] | None = None  # WriteAttributes; None: every attribute
    prevent_user_existence_errors: str = "LEGACY"  # or "ENABLED": unknown users look like
    # a wrong password (sign-in) or a sent code (recovery)
    oauth: bool = True  # AllowedOAuthFlowsUserPoolClient: false, no OAuth endpoint serves it
    supported_identity_providers: tuple[str, ...] | None = None  # None: COGNITO (the hosted
    # UI's own form) and every identity provider of the pool
    default_redirect_uri: str | None = None  # DefaultRedirectURI, one of callback_urls
    session_validity: int | None = None  # SSO MaxValidityMinutes (in seconds): how long after
    # sign-in the hosted-UI session signs in to this client silently; None: the pool's session

    def __post_init__(self) -> None:
        where = f"client {self.client_id!r}"
        self._check_auth_flows(where)
        self._check_settings(where)
        if not _CLIENT_ID.match(self.client_id):
            raise ConfigError(f"{where}: id must be 1-128 characters of [A-Za-z0-9_+-]")
        if self.client_secret is not None and not _SECRET.match(self.client_secret):
            raise ConfigError(f"{where}: secret must be 1-64 characters of [A-Za-z0-9_+.~-]")
        for i, url in enumerate(self.callback_urls):
            _check_url(f"{where}: callback_urls[{i}]", url, callback=True)
        for i, url in enumerate(self.logout_urls):
            _check_url(f"{where}: logout_urls[{i}]", url, callback=False)
        for scope in self.allowed_scopes:
            if scope not in RESERVED_SCOPES and "/" not in scope:
                raise ConfigError(
                    f"{where}: scopes: {scope!r} is neither a reserved scope "
                    f"({', '.join(RESERVED_SCOPES)}) nor a custom 'resource/name' scope"
                )
        unknown = [f for f in self.allowed_flows if f not in FLOWS]
        if unknown or not self.allowed_flows:
            raise ConfigError(f"{where}: flows must be a non-empty list of {', '.join(FLOWS)}")
        self._check_client_credentials(where)
        for name in ("id_token_validity", "access_token_validity"):
            if not 300 <= getattr(self, name) <= DAY:
                raise ConfigError(f"{where}: {name} must be between 5 minutes and 1 day")
        if self.refresh_token_validity == 0:
            object.__setattr__(self, "refresh_token_validity", 30 * DAY)
        if not 3600 <= self.refresh_token_validity <= 3650 * DAY:
            raise ConfigError(f"{where}: refresh_token_validity must be 60 minutes to 10 years")
        if not 0 <= self.rotation_grace_seconds <= 60:
            raise ConfigError(f"{where}: rotation_grace_seconds must be between 0 and 60")

    def _check_auth_flows(self, where: str) -> None:
        """Cognito's ExplicitAuthFlows: ALLOW_* values, or legacy ones, never both mixed."""
        flows = self.explicit_auth_flows
        unknown = [f for f in flows if f not in AUTH_FLOWS + LEGACY_AUTH_FLOWS]
        if unknown:
            raise ConfigError(
                f"{where}: explicit_auth_flows: unknown {unknown}; use {', '.join(AUTH_FLOWS)}"
            )
        if any(f in LEGACY_AUTH_FLOWS for f in flows) and any(f in AUTH_FLOWS for f in flows):
            raise ConfigError(
                f"{where}: explicit_auth_flows: legacy values ({', '.join(LEGACY_AUTH_FLOWS)}) "
                "cannot be mixed with ALLOW_* values"
            )

    def _check_settings(self, where: str) -> None:
        for key in ("read_attributes", "write_attributes"):
            names: tuple[str, ...] | None = getattr(self, key)
            unknown = [n for n in names or () if not _attribute_name(n)]
            if unknown:
                raise ConfigError(f"{where}: {key}: {unknown} are not attributes of the pool")
        if self.write_attributes is not None and "email" not in self.write_attributes:
            raise ConfigError(f"{where}: write_attributes: the required attribute email must be "
                              "writable")
        if self.prevent_user_existence_errors not in ("LEGACY", "ENABLED"):
            raise ConfigError(f"{where}: prevent_user_existence_errors must be LEGACY or ENABLED")
        bad = [p for p in self.supported_identity_providers or () if not _PROVIDER.match(p)]
        if bad:
            raise ConfigError(
                f"{where}: supported_identity_providers: {bad} are not provider names"
            )
        if self.default_redirect_uri is not None and (
            self.default_redirect_uri not in self.callback_urls
        ):
            raise ConfigError(f"{where}: default_redirect_uri must be one of callback_urls")
        if self.session_validity is not None and not 0 <= self.session_validity <= 90 * DAY:
            raise ConfigError(f"{where}: session_validity must be 0 to 90 days (129600 minutes)")

    def can_read(self, attribute: str) -> bool:
        """Whether tokens and userInfo may show ``attribute`` to this client (ReadAttributes)."""
        return self.read_attributes is None or attribute in self.read_attributes

    def unreadable(self, scopes: tuple[str, ...]) -> list[str]:
        """Attributes the ``email``/``phone`` scopes imply that the client may not read: Cognito
        then refuses the tokens with ``invalid_grant`` (§4.4)."""
        implied = [a for s in scopes for a in _SCOPE_ATTRIBUTES.get(s, ())]
        return [a for a in implied if not self.can_read(a)]

    def can_write(self, attribute: str) -> bool:
        """Whether sign-up and the user's own updates may set ``attribute`` (WriteAttributes)."""
        return self.write_attributes is None or attribute in self.write_attributes

    def check_writable(self, attributes: Iterable[str]) -> None:
        """Refuse a sign-up or self-service update that writes what the client may not."""
        if not all(self.can_write(name) for name in attributes):
            raise CognitoError("NotAuthorizedException", UNAUTHORIZED_WRITE)

    def supports(self, provider: str) -> bool:
        """Whether the client offers ``provider`` (SupportedIdentityProviders; unset: all)."""
        listed = self.supported_identity_providers
        return listed is None or provider in listed

    @property
    def hides_users(self) -> bool:
        """PreventUserExistenceErrors=ENABLED: no answer tells whether a user exists."""
        return self.prevent_user_existence_errors == "ENABLED"

    def allows(self, auth_flow: str) -> bool:
        """Whether ExplicitAuthFlows lets the JSON API use ``auth_flow`` (an AuthFlow value)."""
        allow = {
            "USER_PASSWORD_AUTH": ("ALLOW_USER_PASSWORD_AUTH", "USER_PASSWORD_AUTH"),
            "ADMIN_USER_PASSWORD_AUTH": ("ALLOW_ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH"),
            "REFRESH_TOKEN_AUTH": ("ALLOW_REFRESH_TOKEN_AUTH", *LEGACY_AUTH_FLOWS),
            "USER_SRP_AUTH": ("ALLOW_USER_SRP_AUTH", "ADMIN_NO_SRP_AUTH", "USER_PASSWORD_AUTH"),
            "CUSTOM_AUTH": ("ALLOW_CUSTOM_AUTH", "CUSTOM_AUTH_FLOW_ONLY"),
            "USER_AUTH": ("ALLOW_USER_AUTH",),
        }.get(auth_flow, ())
        return any(flow in allow for flow in self.explicit_auth_flows)

    def _check_client_credentials(self, where: str) -> None:
        if "client_credentials" not in self.allowed_flows:
            return
        if self.allowed_flows != ("client_credentials",):
            raise ConfigError(f"{where}: flows: client_credentials must be the only flow")
        if not self.confidential:
            raise ConfigError(f"{where}: client_credentials needs a client secret")
        if any(scope in RESERVED_SCOPES for scope in self.allowed_scopes):
            raise ConfigError(f"{where}: scopes: client_credentials allows custom scopes only")

    @property
    def confidential(self) -> bool:
        return self.client_secret is not None or self.generate_secret

    @property
    def custom_scopes(self) -> tuple[str, ...]:
        return tuple(s for s in self.allowed_scopes if "/" in s)


@dataclass(frozen=True)
class UserConfig:
    """A user to create at start-up (skipped when the email already exists in the data file).
    ``temporary``: the password must be changed at first sign-in (FORCE_CHANGE_PASSWORD);
    ``enabled=False``: the user exists but cannot sign in (as after AdminDisableUser);
    ``username``: the user's name in a pool with real usernames (none in an email pool)."""

    email: str
    password: str = field(repr=False)
    groups: tuple[str, ...] = ()
    attributes: Mapping[str, str] = field(default_factory=dict)
    confirmed: bool = True
    temporary: bool = False
    enabled: bool = True
    username: str | None = None

    @property
    def status(self) -> str:
        if self.temporary:
            return "FORCE_CHANGE_PASSWORD"
        return "CONFIRMED" if self.confirmed else "UNCONFIRMED"


@dataclass(frozen=True)
class GroupConfig:
    name: str
    description: str = ""
    precedence: int | None = None
    role_arn: str | None = None


@dataclass(frozen=True)
class ResourceServerConfig:
    """A resource server (Cognito's CreateResourceServer): an API whose custom scopes a client
    may be allowed, each spelled ``{identifier}/{scope}`` in tokens (cognito-behaviour.md §1.2)."""

    identifier: str
    name: str = ""  # a friendly name; the identifier when not given
    scopes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        where = f"resource server {self.identifier!r}"
        if not _RS_IDENTIFIER.match(self.identifier):
            raise ConfigError(f"{where}: identifier must be 1-256 printable characters, no spaces")
        if not self.name:
            object.__setattr__(self, "name", self.identifier)
        elif not _RS_NAME.match(self.name):
            raise ConfigError(f"{where}: name must be 1-256 characters of [A-Za-z0-9_ +=,.@-]")
        bad = [s for s in self.scopes if not _SCOPE_NAME.match(s)]
        if bad or len(self.scopes) > 100 or len(set(self.scopes)) != len(self.scopes):
            raise ConfigError(
                f"{where}: scopes must be at most 100 distinct names without '/' (got {bad})"
            )

    @property
    def custom_scopes(self) -> tuple[str, ...]:
        """The scopes as clients ask for them: ``{identifier}/{name}``."""
        return tuple(f"{self.identifier}/{scope}" for scope in self.scopes)


def unknown_providers(client: ClientConfig, names: Iterable[str]) -> list[str]:
    """The client's supported identity providers that are neither COGNITO nor among ``names``
    (Cognito refuses such a client)."""
    known = {"COGNITO", *names}
    return [p for p in client.supported_identity_providers or () if p not in known]


def undeclared_scopes(
    client: ClientConfig, servers: Iterable[ResourceServerConfig]
) -> list[str]:
    """The client's custom scopes no resource server declares (Cognito refuses such a client
    with ScopeDoesNotExistException)."""
    declared = {scope for server in servers for scope in server.custom_scopes}
    return [scope for scope in client.custom_scopes if scope not in declared]


@dataclass(frozen=True)
class IdentityProviderConfig:
    """A federated IdP of the pool (CreateIdentityProvider), simulated by Local Cognito's own
    sign-in page. ``attribute_mapping``: pool attribute → the IdP's claim (Cognito's
    AttributeMapping; ``username`` defaults to the IdP's subject claim); ``idp_identifiers``:
    other names ``idp_identifier=`` may use; ``issuer``: the ``issuer`` of the ``identities``
    claim (OIDC issuer or SAML entity id); ``sign_out``: SAML's IdPSignout flag, so /logout
    also signs out of the IdP."""

    name: str
    type: str
    attribute_mapping: Mapping[str, str] = field(default_factory=dict)
    idp_identifiers: tuple[str, ...] = ()
    enabled: bool = True
    issuer: str | None = None
    sign_out: bool = False

    def __post_init__(self) -> None:
        where = f"identity provider {self.name!r}"
        if self.type not in IDP_TYPES:
            raise ConfigError(f"{where}: type must be one of {', '.join(IDP_TYPES)}")
        if self.type in SOCIAL_TYPES and self.name != self.type:
            raise ConfigError(f"{where}: a {self.type} provider must be named {self.type!r}")
        if not _IDP_NAME.match(self.name) or self.name == "COGNITO":
            raise ConfigError(f"{where}: name must be 1-32 characters, no spaces, not COGNITO")
        if self.sign_out and self.type != "SAML":
            raise ConfigError(f"{where}: sign_out (IdPSignout) is a SAML setting")
        mapping = {"username": IDP_SUBJECT[self.type], **self.attribute_mapping}
        for attribute in mapping:
            if attribute not in MAPPABLE and not attribute.startswith("custom:"):
                raise ConfigError(f"{where}: attribute_mapping: {attribute!r} is no attribute")
        object.__setattr__(self, "attribute_mapping", mapping)

    @property
    def subject_claim(self) -> str:
        """The IdP claim that becomes the user's ``{Provider}_{subject}`` username."""
        return self.attribute_mapping["username"]

    def matches(self, identifier: str) -> bool:
        """Whether ``idp_identifier=`` names this IdP (its identifiers, case-insensitive)."""
        return identifier.lower() in (i.lower() for i in self.idp_identifiers)


STANDARD_ATTRIBUTES = frozenset(
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
)  # Cognito's standard attributes besides sub and email (cognito-json-api.md §3.2)
MAPPABLE = STANDARD_ATTRIBUTES | {"username", "email"}  # what an IdP's claims may fill


@dataclass(frozen=True)
class PoolConfig:
    """A user pool: its id, app clients, users, groups and the settings for unclear behaviour.

    ``username_attributes``: ``("email",)`` (the default: people sign in with their e-mail and
    Cognito names them by their ``sub``) or ``()`` (real usernames, the e-mail an alias).
    ``unknown_scopes``: "error" (redirect with an error) or "ignore" (drop them), since Cognito's
    documentation says both. ``scope_error_shape``: "invalid_scope" (documented) or "cognito"
    (``error=invalid_request&error_description=invalid_scope``, as seen in the wild).
    """

    pool_id: str = "us-east-1_LocalDemo"
    clients: tuple[ClientConfig, ...] = ()
    users: tuple[UserConfig, ...] = ()
    groups: tuple[GroupConfig, ...] = ()
    code_ttl_seconds: int = 300
    session_ttl_seconds: int = 3600
    unknown_scopes: str = "error"
    scope_error_shape: str = "invalid_scope"
    resource_servers: tuple[ResourceServerConfig, ...] = ()
    identity_providers: tuple[IdentityProviderConfig, ...] = ()
    username_attributes: tuple[str, ...] = USERNAME_ATTRIBUTES

    def __post_init__(self) -> None:
        if not _POOL_ID.match(self.pool_id) or len(self.pool_id) > 55:
            raise ConfigError(f"pool.id: must look like 'us-east-1_AbC123' (got {self.pool_id!r})")
        if self.unknown_scopes not in ("error", "ignore"):
            raise ConfigError("pool.unknown_scopes: must be 'error' or 'ignore'")
        if self.scope_error_shape not in ("invalid_scope", "cognito"):
            raise ConfigError("pool.scope_error_shape: must be 'invalid_scope' or 'cognito'")
        if self.code_ttl_seconds <= 0 or self.session_ttl_seconds <= 0:
            raise ConfigError("pool: code_ttl_seconds and session_ttl_seconds must be positive")
        ids = [c.client_id for c in self.clients]
        if len(ids) != len(set(ids)):
            raise ConfigError("clients: two clients share one id")
        servers = [rs.identifier for rs in self.resource_servers]
        if len(servers) != len(set(servers)):
            raise ConfigError("resource_servers: two resource servers share one identifier")
        for i, client in enumerate(self.clients):
            undeclared = undeclared_scopes(client, self.resource_servers)
            if undeclared:
                raise ConfigError(
                    f"clients[{i}].scopes: {undeclared} not declared by any resource server "
                    "([[resource_servers]] identifier + scopes)"
                )
        known = {g.name for g in self.groups}
        for i, user in enumerate(self.users):
            missing = [g for g in user.groups if g not in known]
            if missing:
                raise ConfigError(f"users[{i}].groups: undeclared group(s) {missing}")
        self._check_usernames()
        names = [idp.name for idp in self.identity_providers]
        if len(names) != len(set(names)):
            raise ConfigError("identity_providers: two providers share one name")
        for i, client in enumerate(self.clients):
            unknown = unknown_providers(client, names)
            if unknown:
                raise ConfigError(
                    f"clients[{i}].supported_identity_providers: {unknown} are neither COGNITO "
                    "nor a declared [[identity_providers]] name"
                )

    def _check_usernames(self) -> None:
        if self.username_attributes not in ((), USERNAME_ATTRIBUTES):
            raise ConfigError(
                'pool.username_attributes: must be ["email"] (sign in with e-mail) or [] '
                "(real usernames); phone-number sign-in is not simulated"
            )
        for i, user in enumerate(self.users):
            if self.email_usernames and user.username is not None:
                raise ConfigError(
                    f"users[{i}].username: this pool signs in by e-mail (username_attributes); "
                    "Cognito names its users by their sub"
                )
            if not self.email_usernames and not user.username:
                raise ConfigError(f"users[{i}].username: required in a pool of real usernames")

    @property
    def email_usernames(self) -> bool:
        """Users sign in with their e-mail, and their username is their ``sub`` (§3.1)."""
        return self.username_attributes == USERNAME_ATTRIBUTES

    @property
    def region(self) -> str:
        return self.pool_id.split("_", 1)[0]


def demo_pool() -> PoolConfig:
    """The built-in pool of ARCHITECTURE.md: the demo's confidential client, a machine client
    for its scope-gated API, one demo user (in ``readers``, not in ``admins``) and a
    (simulated) Google IdP."""
    client = ClientConfig(
        client_id="cognito-gate-demo",
        generate_secret=True,
        callback_urls=("http://localhost:8000/callback/",),
        logout_urls=("http://localhost:8000/",),
        explicit_auth_flows=(
            "ALLOW_USER_PASSWORD_AUTH",
            "ALLOW_ADMIN_USER_PASSWORD_AUTH",
            "ALLOW_REFRESH_TOKEN_AUTH",
        ),
        prevent_user_existence_errors="ENABLED",  # as the console sets new clients
    )
    reports = ClientConfig(  # a machine caller of the demo's scope-gated API
        client_id="cognito-gate-demo-reports",
        client_secret="demo-reports-secret",  # a local demo: fixed, so the README can use it
        allowed_flows=("client_credentials",),
        allowed_scopes=("reports/read",),
    )
    user = UserConfig(email="demo@example.com", password="Demo-password-1", groups=("readers",))
    google = IdentityProviderConfig(  # "Sign in with Google", simulated by Local Cognito
        "Google",
        "Google",
        attribute_mapping={"email": "email", "email_verified": "email_verified", "name": "name"},
    )
    return PoolConfig(
        clients=(client, reports),
        resource_servers=(ResourceServerConfig("reports", "Demo reports", ("read",)),),
        users=(user,),
        groups=(GroupConfig("readers", "Can read"), GroupConfig("admins", "The demo's /admin")),
        identity_providers=(google,),
    )


def pin_client_secret(config: PoolConfig, secret: str) -> PoolConfig:
    """``config`` with its first client's secret fixed to ``secret`` (not generated), so an
    app's ``.env`` keeps working whatever data file is used."""
    first = dataclasses.replace(
        _first_client(config, "--client-secret"), client_secret=secret, generate_secret=False
    )
    return dataclasses.replace(config, clients=(first, *config.clients[1:]))


def allow_app(client: ClientConfig, app_url: str) -> ClientConfig:
    """``client`` that also accepts the app at ``app_url`` (an origin): its ``/callback/`` as a
    callback URL and ``/`` as a sign-out URL, as cognito-gate apps use them by default."""
    app_url = app_url.rstrip("/")
    return dataclasses.replace(
        client,
        callback_urls=_with(client.callback_urls, f"{app_url}/callback/"),
        logout_urls=_with(client.logout_urls, f"{app_url}/"),
    )


def with_app_url(config: PoolConfig, app_url: str) -> PoolConfig:
    """``config`` whose first client also accepts the app at ``app_url`` (see allow_app)."""
    first = allow_app(_first_client(config, "--app-url"), app_url)
    return dataclasses.replace(config, clients=(first, *config.clients[1:]))


def _first_client(config: PoolConfig, option: str) -> ClientConfig:
    if not config.clients:
        raise ConfigError(f"{option}: the pool has no app client to give it to")
    return config.clients[0]


def _with(urls: tuple[str, ...], url: str) -> tuple[str, ...]:
    return urls if url in urls else (*urls, url)


def load_config(path: str | Path) -> PoolConfig:
    """Read a TOML pool file (format: docs/local-cognito.md)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the file ({exc.strerror})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    try:
        return parse_config(data)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None


class _Table:
    """Typed, path-aware reads from one TOML table; unknown keys are reported, not ignored."""

    def __init__(self, where: str, data: object, keys: tuple[str, ...]) -> None:
        if not isinstance(data, dict):
            raise ConfigError(f"{where}: must be a table")
        unknown = sorted(set(data) - set(keys))
        if unknown:
            raise ConfigError(f"{where}: unknown key(s) {unknown}; expected some of {list(keys)}")
        self.where, self.data = where, data

    def get(self, key: str, kind: type, default: Any) -> Any:
        value = self.data.get(key, default)
        if value is default:
            return value
        if (kind is int and isinstance(value, bool)) or not isinstance(value, kind):
            raise ConfigError(f"{self.where}.{key}: must be {kind.__name__}")
        return value

    def strings(self, key: str, default: tuple[str, ...] = ()) -> tuple[str, ...]:
        value = self.data.get(key, default)
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{self.where}.{key}: must be a list of strings")
        return tuple(value)

    def duration(self, key: str, default: int) -> int:
        """Seconds as an integer, or a string with a unit: "300s", "60m", "1h", "30d"."""
        value = self.data.get(key, default)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        match = _DURATION.match(value) if isinstance(value, str) else None
        if not match:
            raise ConfigError(f"{self.where}.{key}: must be seconds or e.g. '60m', '1h', '30d'")
        return int(match.group(1)) * _UNIT_SECONDS[match.group(2)]

    def tables(self, key: str) -> list[object]:
        value = self.data.get(key, [])
        if not isinstance(value, list):
            raise ConfigError(f"{key}: must be an array of tables ([[{key}]])")
        return value


def _client(where: str, data: object) -> ClientConfig:
    t = _Table(where, data, _CLIENT_KEYS)
    try:
        return ClientConfig(
            client_id=t.get("id", str, None) or "",
            client_secret=t.get("secret", str, None),
            generate_secret=t.get("generate_secret", bool, False),
            callback_urls=t.strings("callback_urls"),
            logout_urls=t.strings("logout_urls"),
            allowed_scopes=t.strings("scopes", DEFAULT_SCOPES),
            allowed_flows=t.strings("flows", ("code",)),
            id_token_validity=t.duration("id_token_validity", 3600),
            access_token_validity=t.duration("access_token_validity", 3600),
            refresh_token_validity=t.duration("refresh_token_validity", 30 * DAY),
            rotation=t.get("rotation", bool, False),
            rotation_grace_seconds=t.get("rotation_grace_seconds", int, 0),
            token_revocation=t.get("token_revocation", bool, True),
            explicit_auth_flows=t.strings("explicit_auth_flows", DEFAULT_AUTH_FLOWS),
            read_attributes=t.strings("read_attributes") if "read_attributes" in t.data else None,
            write_attributes=(
                t.strings("write_attributes") if "write_attributes" in t.data else None
            ),
            prevent_user_existence_errors=t.get("prevent_user_existence_errors", str, "LEGACY"),
            oauth=t.get("oauth", bool, True),
            supported_identity_providers=(
                t.strings("supported_identity_providers")
                if "supported_identity_providers" in t.data
                else None
            ),
            default_redirect_uri=t.get("default_redirect_uri", str, None),
            session_validity=(
                t.duration("session_validity", 0) if "session_validity" in t.data else None
            ),
        )
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from None


_CLIENT_KEYS = (
    "id",
    "secret",
    "generate_secret",
    "callback_urls",
    "logout_urls",
    "scopes",
    "flows",
    "id_token_validity",
    "access_token_validity",
    "refresh_token_validity",
    "rotation",
    "rotation_grace_seconds",
    "token_revocation",
    "explicit_auth_flows",
    "read_attributes",
    "write_attributes",
    "prevent_user_existence_errors",
    "oauth",
    "supported_identity_providers",
    "default_redirect_uri",
    "session_validity",
)


def _user(where: str, data: object) -> UserConfig:
    t = _Table(
        where,
        data,
        (
            "email",
            "password",
            "groups",
            "attributes",
            "confirmed",
            "temporary",
            "enabled",
            "username",
        ),
    )
    email, password = t.get("email", str, None), t.get("password", str, None)
    if not email or not password:
        raise ConfigError(f"{where}: needs both email and password")
    attributes = t.get("attributes", dict, {})
    for name, value in attributes.items():
        if not isinstance(value, str | int | float | bool):
            raise ConfigError(f"{where}.attributes.{name}: must be a string, number or boolean")
    return UserConfig(
        email=email,
        password=password,
        groups=t.strings("groups"),
        attributes={k: _attribute_text(v) for k, v in attributes.items()},
        confirmed=t.get("confirmed", bool, True),
        temporary=t.get("temporary", bool, False),
        enabled=t.get("enabled", bool, True),
        username=t.get("username", str, None),
    )


def _identity_provider(where: str, data: object) -> IdentityProviderConfig:
    t = _Table(where, data, _IDP_KEYS)
    mapping = t.get("attribute_mapping", dict, {})
    if not all(isinstance(v, str) for v in mapping.values()):
        raise ConfigError(f"{where}.attribute_mapping: values must be the IdP's claim names")
    try:
        return IdentityProviderConfig(
            name=t.get("name", str, None) or "",
            type=t.get("type", str, None) or "",
            attribute_mapping=mapping,
            idp_identifiers=t.strings("idp_identifiers"),
            enabled=t.get("enabled", bool, True),
            issuer=t.get("issuer", str, None),
            sign_out=t.get("sign_out", bool, False),
        )
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from None


_IDP_KEYS = (
    "name",
    "type",
    "attribute_mapping",
    "idp_identifiers",
    "enabled",
    "issuer",
    "sign_out",
)


def _attribute_text(value: object) -> str:
    """Cognito keeps every attribute as a string (custom:* claims are always strings)."""
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def parse_config(data: Mapping[str, Any]) -> PoolConfig:
    """Build a :class:`PoolConfig` from already-parsed TOML (a dict)."""
    top = _Table(
        "config",
        dict(data),
        ("pool", "clients", "users", "groups", "resource_servers", "identity_providers"),
    )
    pool = _Table("pool", data.get("pool", {}), _POOL_KEYS)
    groups = []
    for i, g in enumerate(top.tables("groups")):
        gt = _Table(f"groups[{i}]", g, ("name", "description", "precedence", "role_arn"))
        name = gt.get("name", str, None)
        if not name:
            raise ConfigError(f"groups[{i}].name: required")
        precedence = gt.get("precedence", int, None)
        if precedence is not None and precedence < 0:
            raise ConfigError(f"groups[{i}].precedence: must be 0 or more")
        groups.append(
            GroupConfig(
                name, gt.get("description", str, ""), precedence, gt.get("role_arn", str, None)
            )
        )
    return PoolConfig(
        pool_id=pool.get("id", str, "us-east-1_LocalDemo"),
        clients=tuple(_client(f"clients[{i}]", c) for i, c in enumerate(top.tables("clients"))),
        users=tuple(_user(f"users[{i}]", u) for i, u in enumerate(top.tables("users"))),
        groups=tuple(groups),
        code_ttl_seconds=pool.duration("code_ttl", 300),
        session_ttl_seconds=pool.duration("session_ttl", 3600),
        unknown_scopes=pool.get("unknown_scopes", str, "error"),
        scope_error_shape=pool.get("scope_error_shape", str, "invalid_scope"),
        resource_servers=tuple(
            _resource_server(f"resource_servers[{i}]", r)
            for i, r in enumerate(top.tables("resource_servers"))
        ),
        identity_providers=tuple(
            _identity_provider(f"identity_providers[{i}]", p)
            for i, p in enumerate(top.tables("identity_providers"))
        ),
        username_attributes=pool.strings("username_attributes", USERNAME_ATTRIBUTES),
    )


def _resource_server(where: str, data: object) -> ResourceServerConfig:
    t = _Table(where, data, ("identifier", "name", "scopes"))
    try:
        return ResourceServerConfig(
            identifier=t.get("identifier", str, None) or "",
            name=t.get("name", str, ""),
            scopes=t.strings("scopes"),
        )
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from None


_POOL_KEYS = (
    "id",
    "code_ttl",
    "session_ttl",
    "unknown_scopes",
    "scope_error_shape",
    "username_attributes",
)
