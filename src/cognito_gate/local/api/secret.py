"""SECRET_HASH, checked exactly as Cognito checks it for app clients with a secret (§2):
Base64(HMAC-SHA256(client secret, username + client id)), compared in constant time."""

from __future__ import annotations

import base64
import hashlib
import hmac

from ..config import ClientConfig
from ..errors import CognitoError

__all__ = ["check_secret_hash"]


def check_secret_hash(client: ClientConfig, username: str, presented: str | None) -> None:
    """Refuse a missing or wrong hash for a client with a secret; a client without one ignores
    whatever is sent (what AWS does then is unknown)."""
    secret = client.client_secret
    if secret is None:
        return
    if not presented:
        raise CognitoError(
            "NotAuthorizedException",
            f"Client {client.client_id} is configured for secret but secret was not received",
        )
    mac = hmac.new(secret.encode(), (username + client.client_id).encode(), hashlib.sha256)
    expected = base64.b64encode(mac.digest()).decode()
    if not hmac.compare_digest(expected.encode(), presented.encode()):
        raise CognitoError(
            "NotAuthorizedException", f"Unable to verify secret hash for client {client.client_id}"
        )
