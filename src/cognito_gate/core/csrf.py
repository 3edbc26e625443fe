"""CSRF tokens for the sign-out form: an HMAC of the session id under a derived key."""

from __future__ import annotations

import base64
import hashlib
import hmac

from .cookies import derive_key

__all__ = ["CsrfTokens"]


class CsrfTokens:
    """Tokens bound to one session; any configured secret verifies (rotation), the first signs."""

    __slots__ = ("_keys",)

    def __init__(self, session_secrets: tuple[str, ...]) -> None:
        self._keys = [derive_key(secret, "csrf") for secret in session_secrets]

    def _mac(self, key: bytes, sid: str) -> str:
        digest = hmac.new(key, sid.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest[:24]).decode()

    def token(self, sid: str) -> str:
        return self._mac(self._keys[0], sid)

    def check(self, sid: str, given: str) -> bool:
        return any(hmac.compare_digest(self._mac(k, sid).encode(), given.encode("utf-8",
                                       "replace")) for k in self._keys)
