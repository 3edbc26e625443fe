"""Settings: read once from the environment (and ``.env``), validated once, never guessed later.

Every problem is reported at start-up in one ``ConfigError``, one line each, naming the variable
and what it should hold. Derived endpoints are computed here so requests never build URLs.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from .dotenv import read_dotenv
from .errors import ConfigError

__all__ = ["Settings"]

_LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1"})
_POOL_ID = re.compile(r"([a-z]{2}(?:-[a-z]+)+-\d+)_[0-9A-Za-z]+")
_CLIENT_ID = re.compile(r"[\w+.-]{1,128}")
_SCOPE = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]+")
_PATH = re.compile(r"/[A-Za-z0-9._~!$&'()*+,;=:@/-]*")

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
}


@dataclass(frozen=True)
class Settings:
    """Everything the library needs, validated; derived URLs are ready-made attributes."""

    domain: str
    client_id: str
    client_secret: str
    user_pool_id: str
    app_url: str
    session_secret: tuple[str, ...]
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
    claims_cache_size: int = 10_000  # verified tokens (~3 KB each)
    session_cache_size: int | None = None  # verified sessions (~8 KB each); None: as claims
    jwks_max_age: int = 3600
    jwks_stale_max: int = 24 * 3600
    jwks_cooldown: int = 10

    region: str = field(init=False)
    authorize_url: str = field(init=False)
    token_url: str = field(init=False)
    revoke_url: str = field(init=False)
    cognito_logout_url: str = field(init=False)
    userinfo_url: str = field(init=False)
    jwks_url: str = field(init=False)
    redirect_uri: str = field(init=False)
    secure_cookies: bool = field(init=False)

    def __post_init__(self) -> None:
        secret, scopes = self.session_secret, self.scopes
        object.__setattr__(self, "session_secret", _split(secret, ",") if isinstance(secret, str)
                           else tuple(secret))
        object.__setattr__(self, "scopes", _split(scopes.replace(",", " "), " ")
                           if isinstance(scopes, str) else tuple(scopes))
        problems = _problems(self)
        if problems:
            raise ConfigError([f"{name}: {text}" for name, text in problems])
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
        ``.env``); raise ``ConfigError`` listing every missing or malformed one."""
        source = {**read_dotenv(dotenv), **(os.environ if env is None else env)}
        values: dict[str, object] = {}
        problems: list[str] = []
        for name, variables in ENV_NAMES.items():
            raw = next((source[v].strip() for v in variables if source.get(v, "").strip()), None)
            if raw is None:
                continue
            if name == "leeway":
                if not raw.isdigit():
                    problems.append(f"{variables[0]}: must be a whole number of seconds (0-300)")
                    continue
                values[name] = int(raw)
            else:
                values[name] = raw
        for name in _REQUIRED:
            if name not in values:
                first, *aliases = ENV_NAMES[name]
                alias = f" (or {aliases[0]})" if aliases else ""
                problems.append(f"{first}{alias}: is not set; {_HINTS[name]}")
        if problems:
            raise ConfigError(problems)
        try:
            return cls(**values)  # type: ignore[arg-type]
        except ConfigError as err:
            raise ConfigError([_rename(p) for p in err.problems]) from None


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


def _rename(problem: str) -> str:
    """Turn a field-named problem line into one naming the environment variable."""
    name, _, text = problem.partition(": ")
    return f"{ENV_NAMES[name][0]}: {text}" if name in ENV_NAMES else problem


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


def _problems(s: Settings) -> list[tuple[str, str]]:
    """Every problem with ``s`` as (field, what it should hold); empty when all is well."""
    out: list[tuple[str, str]] = []

    def check(name: str, ok: bool, text: str) -> None:
        if not ok:
            out.append((name, text))

    for name in _REQUIRED:
        value = getattr(s, name)
        if not value:
            out.append((name, f"is empty; {_HINTS[name]}"))
    if out:
        return out
    domain = s.domain if "://" in s.domain else f"https://{s.domain}"
    for name, url, allow_path, example in (
        ("domain", domain, False, "https://auth.example.com"),
        ("app_url", s.app_url, False, "https://app.example.com"),
        ("issuer", s.issuer, True, "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Ab12"),
        ("logout_uri", s.logout_uri, True, "https://app.example.com/"),
    ):
        problem = url is not None and _url_problem(url, allow_path=allow_path, example=example)
        if problem:
            out.append((name, problem))
    check("client_id", bool(_CLIENT_ID.fullmatch(s.client_id)), _HINTS["client_id"])
    check("client_secret", s.client_secret.isprintable() and " " not in s.client_secret
          and len(s.client_secret) <= 128, "must be the app client secret: printable, no spaces")
    check("user_pool_id", bool(_POOL_ID.fullmatch(s.user_pool_id)), _HINTS["user_pool_id"])
    check("session_secret", bool(s.session_secret) and all(len(x) >= 32 for x in s.session_secret),
          "every secret must be at least 32 characters (comma-separated list to rotate)")
    check("scopes", "openid" in s.scopes and all(_SCOPE.fullmatch(x) for x in s.scopes),
          "must be space-separated scope names including openid, e.g. 'openid email phone'")
    for name in ("callback_path", "login_path", "logout_path"):
        value = getattr(s, name)
        check(name, bool(_PATH.fullmatch(value)) and not value.startswith("//"),
              "must be a path starting with a single /, e.g. /callback/")
    check("leeway", type(s.leeway) is int and 0 <= s.leeway <= 300,
          "must be a whole number of seconds from 0 to 300")
    for name in ("refresh_margin", "session_lifetime", "session_idle_timeout",
                 "claims_cache_size", "jwks_max_age", "jwks_stale_max", "jwks_cooldown"):
        check(name, type(getattr(s, name)) is int and getattr(s, name) >= 0,
              "must be a whole number, 0 or more")
    check("session_cache_size", s.session_cache_size is None
          or (type(s.session_cache_size) is int and s.session_cache_size >= 0),
          "must be a whole number, 0 or more (or None: the same as claims_cache_size)")
    return out
