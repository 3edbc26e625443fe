"""Password hashing (scrypt, random salt) and Cognito's default password policy."""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import os
import string

__all__ = ["hash_password", "policy_problems", "verify_password"]

_N, _R, _P = 2**14, 8, 1


def hash_password(password: str) -> str:
    salt = os.urandom(16)
    key = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return "$".join(("scrypt", str(_N), str(_R), str(_P), _b64(salt), _b64(key)))


def verify_password(password: str, stored: str | None) -> bool:
    """Constant-time check; ``stored=None`` (unknown user) spends the same time and fails."""
    if stored is None:
        verify_password(password, _dummy_hash())
        return False
    _scheme, n, r, p, salt, expected = stored.split("$")
    key = hashlib.scrypt(
        password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p), dklen=32
    )
    return hmac.compare_digest(key, base64.b64decode(expected))


def policy_problems(password: str) -> list[str]:
    """Every rule of Cognito's default policy the password breaks, as sentences for a form."""
    rules = [
        (len(password) >= 8, "Password must have at least 8 characters."),
        (any(c.isupper() for c in password), "Password must have an uppercase letter."),
        (any(c.islower() for c in password), "Password must have a lowercase letter."),
        (any(c.isdigit() for c in password), "Password must have a number."),
        (
            any(c in string.punctuation or c == " " for c in password),
            "Password must have a symbol character, such as ! @ # or $.",
        ),
        (len(password) <= 256, "Password must have at most 256 characters."),
    ]
    return [message for ok, message in rules if not ok]


@functools.cache
def _dummy_hash() -> str:
    return hash_password("not-a-password")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
