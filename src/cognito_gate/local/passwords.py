"""Password hashing (scrypt, random salt) and Cognito's default password policy.

The scrypt cost is explicit: ``cost`` is log2 of scrypt's N (r=8, p=1). The default, 14 (N=16384,
~50 ms a hash), is the common interactive-login setting. Test suites that sign in hundreds of
times pass a low cost (the pytest plugin uses :data:`TEST_COST`, N=16, ~0.1 ms: a test password
protects nothing, so it only has to be checked by the same KDF). A hash records its own
parameters, so verification always uses the cost it was made with.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import os
import string

__all__ = [
    "DEFAULT_COST",
    "TEST_COST",
    "check_cost",
    "hash_password",
    "policy_problems",
    "policy_violation",
    "verify_password",
]

DEFAULT_COST = 14
TEST_COST = 4
_R, _P = 8, 1


def check_cost(cost: int) -> int:
    if not 1 <= cost <= 20:
        raise ValueError(f"password_cost must be 1-20 (log2 of scrypt's N), got {cost}")
    return cost


def hash_password(password: str, cost: int = DEFAULT_COST) -> str:
    n = 2 ** check_cost(cost)
    salt = os.urandom(16)
    key = hashlib.scrypt(password.encode(), salt=salt, n=n, r=_R, p=_P, dklen=32)
    return "$".join(("scrypt", str(n), str(_R), str(_P), _b64(salt), _b64(key)))


def verify_password(password: str, stored: str | None, cost: int = DEFAULT_COST) -> bool:
    """Constant-time check; ``stored=None`` (unknown user) spends the time of a hash at ``cost``
    (the pool's) and fails."""
    if stored is None:
        verify_password(password, _dummy_hash(cost))
        return False
    _scheme, n, r, p, salt, expected = stored.split("$")
    key = hashlib.scrypt(
        password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p), dklen=32
    )
    return hmac.compare_digest(key, base64.b64decode(expected))


def _rules(password: str) -> list[tuple[bool, str, str]]:
    """(kept, sentence for a form, Cognito's API reason) for each rule of the default policy."""
    return [
        (
            len(password) >= 8,
            "Password must have at least 8 characters.",
            "Password not long enough",
        ),
        (
            any(c.isupper() for c in password),
            "Password must have an uppercase letter.",
            "Password must have uppercase characters",
        ),
        (
            any(c.islower() for c in password),
            "Password must have a lowercase letter.",
            "Password must have lowercase characters",
        ),
        (
            any(c.isdigit() for c in password),
            "Password must have a number.",
            "Password must have numeric characters",
        ),
        (
            any(c in string.punctuation or c == " " for c in password),
            "Password must have a symbol character, such as ! @ # or $.",
            "Password must have symbol characters",
        ),
        (
            len(password) <= 256,
            "Password must have at most 256 characters.",
            "Password is too long",
        ),
    ]


def policy_problems(password: str) -> list[str]:
    """Every rule of Cognito's default policy the password breaks, as sentences for a form."""
    return [sentence for ok, sentence, _reason in _rules(password) if not ok]


def policy_violation(password: str) -> str | None:
    """The first broken rule in Cognito's API wording (one per error, as Cognito reports)."""
    broken = [reason for ok, _sentence, reason in _rules(password) if not ok]
    return f"Password did not conform with policy: {broken[0]}" if broken else None


@functools.cache
def _dummy_hash(cost: int) -> str:
    return hash_password("not-a-password", cost)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
