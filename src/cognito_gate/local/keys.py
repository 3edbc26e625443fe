"""The pool's RSA signing keys: one for ID tokens, one for access tokens, as in Cognito.

Keys are persisted with a state: ``active`` (signs and is published), ``retired`` (published
only, so tokens it signed keep verifying during an overlap) and ``dropped`` (kept on record,
no longer published). ``kid``s are standard base64 of 32 random bytes, like Cognito's.

RSA generation (~50 ms a key) dominates a fresh in-memory pool, so the ring takes its keys from a
``KeyFactory``: a new key each time by default, or :class:`ReusedKeys` — keys generated once per
process and handed to every pool in the same order — for test suites that build a pool per test.
"""

from __future__ import annotations

import base64
import functools
import itertools
import os
from collections.abc import Callable

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from joserfc.jwk import RSAKey

from .clock import LocalClock
from .store import Store, StoredKey

__all__ = ["PURPOSES", "KeyFactory", "KeyRing", "ReusedKeys", "SigningKey", "b64url_uint"]

PURPOSES = ("id", "access")

KeyFactory = Callable[[], rsa.RSAPrivateKey]


class SigningKey:
    def __init__(self, kid: str, private_key: rsa.RSAPrivateKey) -> None:
        self.kid = kid
        self.private_key = private_key
        self.public_key = private_key.public_key()

    @functools.cached_property
    def private_pem(self) -> bytes:
        return self.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    @functools.cached_property
    def public_pem(self) -> bytes:
        return self.public_key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    @functools.cached_property
    def jose_key(self) -> RSAKey:
        return RSAKey(self.private_key, self.private_key)  # no PEM round trip: no re-validation

    def jwk(self) -> dict[str, str]:
        numbers = self.public_key.public_numbers()
        return {
            "alg": "RS256",
            "e": b64url_uint(numbers.e),
            "kid": self.kid,
            "kty": "RSA",
            "n": b64url_uint(numbers.n),
            "use": "sig",
        }


def b64url_uint(value: int) -> str:
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def new_kid() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def generate_rsa(bits: int = 2048) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


class ReusedKeys:
    """RSA keys made once and reused: each :meth:`factory` yields the 1st, 2nd, … key of this
    cache (generating only those no earlier pool needed), so a fresh pool costs no generation.

    For tests only: pools sharing a cache share key material (their ``kid``s still differ), and
    within one pool every key is distinct, so rotation and "foreign key" faults keep working.
    """

    def __init__(self) -> None:
        self._made: list[rsa.RSAPrivateKey] = []

    def factory(self) -> KeyFactory:
        index = itertools.count()

        def next_key() -> rsa.RSAPrivateKey:
            i = next(index)
            while len(self._made) <= i:
                self._made.append(generate_rsa())
            return self._made[i]

        return next_key


class KeyRing:
    def __init__(
        self, store: Store, clock: LocalClock, generate: KeyFactory = generate_rsa
    ) -> None:
        self._store = store
        self._clock = clock
        self._generate = generate
        self._loaded: dict[str, SigningKey] = {}
        self._reload()
        for purpose in PURPOSES:
            if purpose not in self._active:
                self._add(purpose)

    def _reload(self) -> None:
        self._rows = self._store.keys()
        for row in self._rows:
            if row.kid not in self._loaded:
                # our own keys, written by _add: the slow RSA consistency check adds nothing
                pem = serialization.load_pem_private_key(
                    row.pem.encode(), password=None, unsafe_skip_rsa_key_validation=True
                )
                assert isinstance(pem, rsa.RSAPrivateKey)
                self._loaded[row.kid] = SigningKey(row.kid, pem)
        self._active = {r.purpose: self._loaded[r.kid] for r in self._rows if r.state == "active"}

    def _add(self, purpose: str) -> None:
        key = SigningKey(new_kid(), self._generate())
        self._loaded[key.kid] = key
        self._store.add_key(
            StoredKey(key.kid, purpose, key.private_pem.decode(), self._clock.now(), "active")
        )
        self._reload()

    def signing_key(self, purpose: str) -> SigningKey:
        return self._active[purpose]

    def published(self, purpose: str | None = None) -> list[SigningKey]:
        """Keys in the JWKS (active and retired), optionally only those of one purpose."""
        return [
            self._loaded[r.kid]
            for r in self._rows
            if r.state in ("active", "retired") and purpose in (None, r.purpose)
        ]

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        return {"keys": [key.jwk() for key in self.published()]}

    def rotate(self, *, overlap: bool = True) -> None:
        """New active keys for both purposes; old ones stay published only when ``overlap``."""
        self._store.set_key_state("retired", "dropped")
        self._store.set_key_state("active", "retired" if overlap else "dropped")
        self._reload()
        for purpose in PURPOSES:
            self._add(purpose)

    def drop_retired(self) -> None:
        self._store.set_key_state("retired", "dropped")
        self._reload()

    @functools.cached_property
    def foreign_key(self) -> SigningKey:
        """A key that is never published, for the "signed by someone else" faults."""
        return SigningKey(new_kid(), self._generate())

    @functools.cached_property
    def weak_key(self) -> SigningKey:
        """A genuine 1024-bit key, for the "too small to trust" faults (IDT-22)."""
        return SigningKey(new_kid(), generate_rsa(1024))
