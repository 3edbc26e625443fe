"""Validation of an authorization request (cognito-behaviour.md §1.2, §1.4, §13.2).

The same parameters travel from /oauth2/authorize to /login, /signup, /confirm and back, so
every page re-validates them with :func:`parse_authorize`. The client and ``redirect_uri`` are
checked first: until both are trusted, errors go to Local Cognito's own /error page and never
to the supplied URI.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from .config import ClientConfig, PoolConfig
from .forms import BadRequest, parse_params

__all__ = ["AppError", "AuthorizeRequest", "Untrusted", "parse_authorize", "valid_resource"]

Providers = Callable[[ClientConfig], tuple[str, ...]]
_CHALLENGE = re.compile(r"^[A-Za-z0-9_-]{43}$")
PROMPTS = ("login", "none", "select_account", "consent")


@dataclass(frozen=True)
class AuthorizeRequest:
    client: ClientConfig
    redirect_uri: str
    response_type: str
    state: str | None
    scopes: tuple[str, ...]
    nonce: str | None
    code_challenge: str | None
    prompt: str | None
    login_hint: str | None
    query: str  # the original query string, carried from page to page
    resource: str | None = None  # RFC 8707: becomes the access token's ``aud``
    identity_provider: str | None = None  # straight to this IdP (COGNITO: the hosted UI)
    idp_identifier: str | None = None  # or to the IdP with this identifier


@dataclass(frozen=True)
class Untrusted:
    """Client or redirect_uri not trusted: show /error?error=…, never redirect to the app."""

    error: str
    client_id: str | None

    @property
    def location(self) -> str:
        params = [("error", self.error)]
        if self.client_id:
            params.append(("client_id", self.client_id))
        return "/error?" + urlencode(params, errors="surrogateescape")


@dataclass(frozen=True)
class AppError:
    """Trusted redirect_uri, bad request: tell the app in the query string, with its state."""

    redirect_uri: str
    error: str
    state: str | None
    description: str | None = None


def _trusted(
    params: dict[str, str], clients: dict[str, ClientConfig], providers: Providers
) -> tuple[ClientConfig, str] | Untrusted:
    """The client and the redirect_uri (its DefaultRedirectURI when none is given and it has a
    single identity provider, §10), once both are trusted."""
    client_id, redirect_uri = params.get("client_id"), params.get("redirect_uri")
    client = clients.get(client_id) if client_id else None
    if redirect_uri is None and client is not None and len(providers(client)) == 1:
        redirect_uri = client.default_redirect_uri
    if not client_id or not redirect_uri:
        return Untrusted("invalid_request", client_id)
    if client is None:
        return Untrusted("invalid_client", client_id)
    if not client.oauth:  # AllowedOAuthFlowsUserPoolClient=false: no callback URL counts
        return Untrusted("unauthorized_client", client_id)
    if redirect_uri not in client.callback_urls:
        return Untrusted("redirect_mismatch", client_id)
    return client, redirect_uri


def parse_authorize(
    query: str, clients: dict[str, ClientConfig], pool: PoolConfig, providers: Providers
) -> AuthorizeRequest | Untrusted | AppError:
    """The request, or why it is refused; ``providers`` gives a client's supported identity
    providers (the pool's IdPs decide the default)."""
    try:
        params = parse_params(query, exact=True)
    except BadRequest:
        # Duplicates make even client_id/redirect_uri ambiguous: trust nothing.
        return Untrusted("invalid_request", None)
    trusted = _trusted(params, clients, providers)
    if isinstance(trusted, Untrusted):
        return trusted
    (client, redirect_uri), state = trusted, params.get("state")

    def fail(error: str, description: str | None = None) -> AppError:
        return AppError(redirect_uri, error, state, description)

    if any(_has_raw_bytes(v) for k, v in params.items() if k != "state"):
        return fail("invalid_request")
    response_type = params.get("response_type")
    if response_type not in ("code", "token"):
        return fail("invalid_request")
    flow = "code" if response_type == "code" else "implicit"
    if flow not in client.allowed_flows:
        return fail("unauthorized_client")
    if not providers(client):  # SupportedIdentityProviders empty: nowhere to sign in
        return fail("unauthorized_client", "the app client has no identity provider")
    method, challenge = params.get("code_challenge_method"), params.get("code_challenge")
    pkce = method is not None or challenge is not None
    if pkce and (method != "S256" or challenge is None or not _CHALLENGE.match(challenge)):
        return fail("invalid_request")
    resource = params.get("resource")
    if resource is not None and not valid_resource(resource):
        return fail("invalid_target", RESOURCE_RULE)
    scopes = _scopes(params.get("scope", ""), client, pool)
    if scopes is None:
        if pool.scope_error_shape == "cognito":
            return fail("invalid_request", "invalid_scope")
        return fail("invalid_scope")
    return AuthorizeRequest(
        client=client,
        redirect_uri=redirect_uri,
        response_type=response_type,
        state=state,
        scopes=scopes,
        nonce=params.get("nonce"),
        code_challenge=challenge,
        prompt=params.get("prompt") if params.get("prompt") in PROMPTS else None,
        login_hint=params.get("login_hint"),
        query=query,
        resource=resource,
        identity_provider=params.get("identity_provider"),
        idp_identifier=params.get("idp_identifier"),
    )


def _scopes(raw: str, client: ClientConfig, pool: PoolConfig) -> tuple[str, ...] | None:
    """Requested scopes (all allowed ones when none are asked for), or None when refused."""
    requested = list(dict.fromkeys(raw.split()))
    if not requested:
        return client.allowed_scopes
    allowed = [s for s in requested if s in client.allowed_scopes]
    if len(allowed) != len(requested) and pool.unknown_scopes == "error":
        return None
    return tuple(allowed) or None


_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*$")
RESOURCE_RULE = "resource must be a URL starting https://, http://localhost or myapp://"


def valid_resource(value: str) -> bool:
    """A ``resource`` Cognito takes: a URL starting ``https://``, ``http://localhost`` or an
    app's own scheme (``myapp://``), without a fragment (RFC 8707 §2)."""
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    scheme = parts.scheme
    if "#" in value or not _SCHEME.match(scheme) or not value.lower().startswith(f"{scheme}://"):
        return False
    if scheme == "http":
        return parts.hostname == "localhost"
    return scheme != "https" or bool(parts.hostname)


_RAW_BYTE = re.compile("[\udc80-\udcff]")  # a byte that was not UTF-8, kept by surrogateescape


def _has_raw_bytes(value: str) -> bool:
    return _RAW_BYTE.search(value) is not None
