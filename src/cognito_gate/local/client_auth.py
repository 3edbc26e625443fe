"""Client authentication at /oauth2/token and /oauth2/revoke (cognito-behaviour.md §4.2).

``client_secret_basic`` or ``client_secret_post``; both at once only when they agree. Secrets
are compared in constant time (as fixed-length digests, so their length does not leak either).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Mapping
from urllib.parse import unquote_plus

from .config import ClientConfig

__all__ = ["ClientAuthError", "authenticate_client"]


class ClientAuthError(Exception):
    """Answer ``invalid_client``."""


def _basic(header: str) -> tuple[str, str] | None:
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        raise ClientAuthError("unsupported authorization scheme")
    try:
        decoded = base64.b64decode(value.strip(" "), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        raise ClientAuthError("malformed Basic credentials") from None
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        raise ClientAuthError("malformed Basic credentials")
    return client_id, secret


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(
        hashlib.sha256(a.encode()).digest(), hashlib.sha256(b.encode()).digest()
    )


def _matches(expected: str, presented: str, *, basic: bool = True) -> bool:
    """RFC 6749 §2.3.1 form-encodes Basic credentials; most clients do not. Accept both."""
    exact = _same(presented, expected)
    decoded = _same(unquote_plus(presented), expected) if basic else False
    return exact or decoded


def authenticate_client(
    authorization: str, form: Mapping[str, str], clients: Mapping[str, ClientConfig]
) -> ClientConfig:
    """The authenticated client, or ClientAuthError."""
    basic = _basic(authorization)
    body_id, body_secret = form.get("client_id"), form.get("client_secret")
    if basic is not None:
        client_id, secret = basic
        if body_id is not None and body_id != client_id:
            raise ClientAuthError("client_id in the body differs from the Basic header")
        if body_secret is not None and not _matches(body_secret, secret):
            raise ClientAuthError("client_secret in the body differs from the Basic header")
        presented: str | None = secret or None
    else:
        client_id, presented = body_id or "", body_secret
    client = clients.get(client_id)
    expected = client.client_secret if client is not None else None
    if client is None or expected is None:
        _same(presented or "", "-")  # the same work whether or not the client exists
        if client is None or presented:
            raise ClientAuthError("unknown client, or a secret sent for a public client")
        return client
    if presented is None or not _matches(expected, presented, basic=basic is not None):
        raise ClientAuthError("missing or wrong client secret")
    return client
