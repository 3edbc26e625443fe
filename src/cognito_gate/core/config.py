"""Settings: read once from the environment (and ``.env``), validated once, never guessed later.

Every problem is reported at start-up in one ``ConfigError``, one line each, naming the variable
and what it should hold. Derived endpoints are computed here so requests never build URLs.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .dotenv import read_dotenv
from .errors import ConfigError
from .redact import SECRET, redacted_repr

__all__ = ["Settings"]

_LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1"})
_POOL_ID = re.compile(r"([a-z]{2}(?:-[a-z]+)+-\d+)_[0-9A-Za-z]+")
_CLIENT_ID = re.compile(r"[\w+.-]{1,128}")
_SCOPE = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]+")
_PATH = re.compile(r"/[A-Za-z0-9._~!$&'()*+,;=:@/-]*")
_SECONDS = re.compile(r"[0-9]{1,9}")

#: Settings field -> environment variable(s), first one preferred; aliases follow.
ENV_NAMES: dict[str, tuple[str, ...]] = {
    "domain": ("COGNITO_DOMAIN", "COGNITO_BASE_URI"),
    "client_id": ("COGNITO_CLIENT_ID",),
    "client_secret": ("COGNITO_CLIENT_SECRET",),
    "user_pool_id": ("COGNITO_USER_POOL_ID",),
    "app_url": ("APP_URL", "CF_PAGES_URL"),
    "session_secret": ("SESSION_SECRET",),
    "issuer": ("COGNITO_ISSUER",),
    "scopes": ("COGNITO_SCOPES",),
    "callback_path": ("COGNITO_CALLBACK_PATH",),
    "logout_uri": ("COGNITO_LOGOUT_URI",),
    "leeway": ("COGNITO_LEEWAY",),
    "session_store_url": ("SESSION_STORE_URL",),
}

#: Schemes ``SESSION_STORE_URL`` may use (``valkey``/``valkeys`` are aliases of Redis's).
STORE_SCHEMES = ("redis", "rediss", "valkey", "valkeys", "unix")


@dataclass(frozen=True)
class Settings:
    """Everything the library needs, validated; derived URLs are ready-made attributes."""

    domain: str
    client_id: str
    client_secret: str = field(metadata=SECRET)
    user_pool_id: str
    app_url: str
    session_secret: tuple[str, ...] = field(metadata=SECRET)
    issuer: str | None = None
    scopes: tuple[str, ...] = ("openid", "email", "phone")
    callback_path: str = "/callback/"
    logout_uri: str | None = None
    login_path: str = "/login"
    logout_path: str = "/logout"
    leeway: int = 60
    refresh_margin: int = 60
    session_lifetime: int = 12 * 3600
    session_idle_timeout: int = 8 * 3600
    # Verified tokens and verified sessions (core/clockcache.py): ~1.7 KB per active session in
    # all (ARCHITECTURE.md), so the defaults hold 100,000 sessions in ~170 MB. None: as claims.
    claims_cache_size: int = 100_000
    session_cache_size: int | None = None
    jwks_max_age: int = 3600
    jwks_stale_max: int = 24 * 3600
    jwks_cooldown: int = 10
    session_store_url: str | None = None  # redis://… : sessions in Redis/Valkey (RedisStore)

    region: str = field(init=False)
    authorize_url: str = field(init=False)
    token_url: str = field(init=False)
    revoke_url: str = field(init=False)
    cognito_logout_url: str = field(init=False)
    userinfo_url: str = field(init=False)
    jwks_url: str = field(init=False)
    redirect_uri: str = field(init=False)
    secure_cookies: bool = field(init=False)

    __repr__ = redacted_repr

    def __post_init__(self) -> None:
        for name in ("session_secret", "scopes"):
            object.__setattr__(self, name, _normalised(name, getattr(self, name)))
        problems = _problems({f.name: getattr(self, f.name) for f in fields(self) if f.init})
        if problems:
            raise ConfigError([f"{name}: {text}" for name, text in problems.items()])
        domain = _origin(self.domain if "://" in self.domain else f"https://{self.domain}")
        app_url = _origin(self.app_url)
        match = _POOL_ID.fullmatch(self.user_pool_id)
        assert match is not None
        region = match.group(1)
        issuer = self.issuer or f"https://cognito-idp.{region}.amazonaws.com/{self.user_pool_id}"
        derived = {
            "domain": domain,
            "app_url": app_url,
            "issuer": issuer,
            "logout_uri": self.logout_uri or app_url + "/",
            "region": region,
            "authorize_url": domain + "/oauth2/authorize",
            "token_url": domain + "/oauth2/token",
            "revoke_url": domain + "/oauth2/revoke",
            "cognito_logout_url": domain + "/logout",
            "userinfo_url": domain + "/oauth2/userInfo",
            "jwks_url": issuer + "/.well-known/jwks.json",
            "redirect_uri": app_url + self.callback_path,
            "secure_cookies": app_url.startswith("https://"),
        }
        for name, value in derived.items():
            object.__setattr__(self, name, value)

    @classmethod
    def from_env(
        cls, env: Mapping[str, str] | None = None, dotenv: str | Path | None = ".env"
    ) -> Settings:
        """Read the ``COGNITO_*``/``APP_URL``/``SESSION_SECRET`` variables (process env wins over
        ``.env``); raise ``ConfigError`` listing every missing or malformed one, each named by
        the variable it came from."""
        source = {**read_dotenv(dotenv), **(os.environ if env is None else env)}
        values: dict[str, object] = {}
        came_from: dict[str, str] = {}
        problems: dict[str, str] = {}
        for name, variables in ENV_NAMES.items():
            found = next(((v, source[v].strip()) for v in variables if source.get(v, "").strip()),
                         None)
            if found is None:
                if name in _REQUIRED:
                    first, *aliases = variables
                    alias = f" (or {aliases[0]})" if aliases else ""
                    problems[name] = f"{first}{alias}: is not set; {_HINTS[name]}"
                continue
            came_from[name], raw = found
            if name == "leeway" and not _SECONDS.fullmatch(raw):
                problems[name] = f"{came_from[name]}: must be a whole number of seconds (0-300)"
                continue
            values[name] = int(raw) if name == "leeway" else raw
        checked = {name: _normalised(name, value) for name, value in values.items()}
        for name, text in _problems(checked).items():
            problems[name] = f"{came_from[name]}: {text}"
        if problems:
            raise ConfigError([problems[name] for name in ENV_NAMES if name in problems])
        return cls(**values)  # type: ignore[arg-type]


_REQUIRED = ("domain", "client_id", "client_secret", "user_pool_id", "app_url", "session_secret")

_HINTS = {
    "domain": "set it to the user pool domain, e.g. https://auth.example.com",
    "client_id": "set it to the app client id (letters, digits, _ + . -; at most 128)",
    "client_secret": "set it to the app client secret (a confidential client is required)",
    "user_pool_id": "set it to the user pool id, e.g. us-east-1_AbC123xyz",
    "app_url": "set it to this app's public origin, e.g. https://app.example.com",
    "session_secret": "set it to a random string of at least 32 characters "
    "(comma-separated list to rotate; the first one encrypts)",
}


def _normalised(name: str, value: Any) -> Any:
    """``session_secret`` and ``scopes`` as tuples, whether given as a tuple or as one string."""
    if name == "session_secret":
        return _split(value, ",") if isinstance(value, str) else tuple(value)
    if name == "scopes":
        return _split(value.replace(",", " "), " ") if isinstance(value, str) else tuple(value)
    return value


def _split(value: str, sep: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(sep) if part.strip())


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _url_problem(url: str, *, allow_path: bool, example: str) -> str | None:
    """Why ``url`` is unusable as an https (or loopback http) URL, or None when it is fine."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        return f"must be a URL like {example} (got a malformed value)"
    if parts.scheme not in ("https", "http") or not host:
        return f"must be a URL like {example}"
    if parts.scheme == "http" and host not in _LOOPBACK:
        return f"must use https:// (http:// is accepted only for localhost), e.g. {example}"
    if parts.query or parts.fragment or parts.username or parts.password:
        return f"must not carry a query, fragment or credentials, e.g. {example}"
    if not allow_path and parts.path not in ("", "/"):
        return f"must be an origin without a path, e.g. {example}"
    return None


_URLS = {  # field -> (may it have a path, an example)
    "domain": (False, "https://auth.example.com"),
    "app_url": (False, "https://app.example.com"),
    "issuer": (True, "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Ab12"),
    "logout_uri": (True, "https://app.example.com/"),
}


def _store_url_ok(url: object) -> bool:
    """A URL redis-py can connect to: a known scheme, a host (or a socket path), a sane port and
    database number."""
    if not isinstance(url, str):
        return False
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        return False
    if parts.scheme not in STORE_SCHEMES:
        return False
    if parts.scheme == "unix":
        return bool(parts.path) and not parts.netloc
    database = parts.path.strip("/")
    return bool(parts.hostname) and (database == "" or database.isdigit())


def _is_path(value: object) -> bool:
    return isinstance(value, str) and bool(_PATH.fullmatch(value)) and not value.startswith("//")


def _is_count(value: object) -> bool:
    return type(value) is int and value >= 0


_PATH_TEXT = "must be a path starting with a single /, e.g. /callback/"
_COUNT_TEXT = "must be a whole number, 0 or more"
_CHECKS: dict[str, tuple[Callable[[Any], bool], str]] = {  # field -> (is it fine, what to hold)
    "client_id": (lambda v: isinstance(v, str) and bool(_CLIENT_ID.fullmatch(v)),
                  _HINTS["client_id"]),
    "client_secret": (lambda v: isinstance(v, str) and v.isprintable() and " " not in v
                      and len(v) <= 128, "must be the app client secret: printable, no spaces"),
    "user_pool_id": (lambda v: isinstance(v, str) and bool(_POOL_ID.fullmatch(v)),
                     _HINTS["user_pool_id"]),
    "session_secret": (lambda v: all(isinstance(x, str) and len(x) >= 32 for x in v),
                       "every secret must be at least 32 characters "
                       "(comma-separated list to rotate)"),
    "scopes": (lambda v: "openid" in v and all(isinstance(x, str) and _SCOPE.fullmatch(x)
                                               for x in v),
               "must be space-separated scope names including openid, e.g. 'openid email phone'"),
    "callback_path": (_is_path, _PATH_TEXT),
    "login_path": (_is_path, _PATH_TEXT),
    "logout_path": (_is_path, _PATH_TEXT),
    "leeway": (lambda v: type(v) is int and 0 <= v <= 300,
               "must be a whole number of seconds from 0 to 300"),
    **{name: (_is_count, _COUNT_TEXT) for name in (
        "refresh_margin", "session_lifetime", "session_idle_timeout", "claims_cache_size",
        "jwks_max_age", "jwks_stale_max", "jwks_cooldown")},
    "session_cache_size": (lambda v: v is None or _is_count(v),
                           f"{_COUNT_TEXT} (or None: the same as claims_cache_size)"),
    "session_store_url": (lambda v: v is None or _store_url_ok(v),
                          "must be a Redis/Valkey URL like redis://localhost:6379/0 "
                          "(rediss:// for TLS; valkey:// and valkeys:// are accepted too)"),
}


def _problem(name: str, value: Any) -> str | None:
    """What is wrong with one field's (normalised) value, or None when it is fine."""
    if name in _REQUIRED and not value:
        return f"is empty; {_HINTS[name]}"
    if name in _URLS:
        if value is None:
            return None
        if not isinstance(value, str):
            return f"must be a URL like {_URLS[name][1]}"
        url = value if name != "domain" or "://" in value else f"https://{value}"
        return _url_problem(url, allow_path=_URLS[name][0], example=_URLS[name][1])
    is_fine, text = _CHECKS[name]
    return None if is_fine(value) else text


def _problems(values: Mapping[str, Any]) -> dict[str, str]:
    """Every problem among ``values`` (field -> value), each field checked on its own, so a
    missing or malformed value never hides another's problem; empty when all is well."""
    found = {name: _problem(name, value) for name, value in values.items()}
    return {name: text for name, text in found.items() if text is not None}
