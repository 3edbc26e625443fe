"""Cookie codec: AES-GCM sealed values, one derived key per purpose, chunking and flags.

Keys are derived once (HKDF-SHA256, salt = purpose) from every ``SESSION_SECRET``; each sealed
value starts with a key-id byte so values sealed under a retired secret still open. Values are
split into chunks so each complete ``Set-Cookie`` header stays under ``MAX_SET_COOKIE`` bytes and
all chunks together under ``MAX_COOKIE_BYTES`` of the browser's ``Cookie`` header (proxies such as
CloudFront and nginx refuse request headers past 8 KB); the first chunk carries the chunk count,
so a missing chunk is detected instead of mis-decoded.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import zlib
from collections.abc import Mapping, Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

__all__ = [
    "MAX_CHUNKS",
    "MAX_COOKIE_BYTES",
    "MAX_SET_COOKIE",
    "CookieNames",
    "CookiePolicy",
    "SealedBox",
    "derive_key",
    "join_chunks",
]

MAX_SET_COOKIE = 4000
MAX_COOKIE_BYTES = 7 * 1024  # one chunked value in the Cookie header; room left for the rest
MAX_CHUNKS = 4
_MAX_PLAINTEXT = 64 * 1024
_HEADER = b"set-cookie"


def derive_key(secret: str, purpose: str) -> bytes:
    """32-byte key for one purpose (``session``, ``tx``, ``csrf``…) from one secret."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=purpose.encode(),
                info=b"cognito-gate v1")
    return hkdf.derive(secret.encode())


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SealedBox:
    """Encrypt-and-authenticate small values for one purpose; the first secret seals."""

    __slots__ = ("_aad", "_compress", "_keys", "_sealer")

    def __init__(self, secrets: Sequence[str], purpose: str, *, compress: bool = False) -> None:
        self._aad = purpose.encode()
        self._compress = compress
        self._keys: dict[int, list[AESGCM]] = {}
        for index, secret in enumerate(secrets):
            key = derive_key(secret, purpose)
            kid = hashlib.sha256(key).digest()[0]
            self._keys.setdefault(kid, []).append(AESGCM(key))
            if index == 0:
                self._sealer = (kid, AESGCM(key))

    def seal(self, plaintext: bytes) -> str:
        """base64url(key id ‖ nonce ‖ AES-GCM(zlib?(plaintext))). Compression only where no
        attacker-chosen bytes sit next to secrets (the session, not the transaction)."""
        kid, aead = self._sealer
        data = zlib.compress(plaintext, 6) if self._compress else plaintext
        nonce = os.urandom(12)
        return _b64encode(bytes([kid]) + nonce + aead.encrypt(nonce, data, self._aad))

    def open(self, sealed: str) -> bytes | None:
        """The plaintext, or None for anything tampered, truncated, foreign or malformed."""
        try:
            raw = _b64decode(sealed)
        except (binascii.Error, ValueError):
            return None
        if len(raw) < 1 + 12 + 16:
            return None
        for aead in self._keys.get(raw[0], ()):
            try:
                data = aead.decrypt(raw[1:13], raw[13:], self._aad)
            except InvalidTag:
                continue
            if not self._compress:
                return data
            inflater = zlib.decompressobj()
            try:
                out = inflater.decompress(data, _MAX_PLAINTEXT)
            except zlib.error:
                return None
            return None if inflater.unconsumed_tail else out
        return None


class CookiePolicy:
    """Cookie flags, fixed at start-up: ``__Host-`` + Secure on https, neither on http loopback.

    Always HttpOnly, ``SameSite=Lax`` (the return from Cognito is a cross-site top-level GET)
    and ``Path=/``. Headers are built as ready (name, value) byte pairs for the ASGI ``send``.
    """

    __slots__ = ("_attrs", "prefix")

    def __init__(self, *, secure: bool) -> None:
        self.prefix = "__Host-" if secure else ""
        self._attrs = "; Path=/; HttpOnly; SameSite=Lax" + ("; Secure" if secure else "")

    def set(self, name: str, value: str, max_age: int) -> tuple[bytes, bytes]:
        return _HEADER, f"{name}={value}; Max-Age={max(0, int(max_age))}{self._attrs}".encode()

    def delete(self, name: str) -> tuple[bytes, bytes]:
        return _HEADER, f"{name}=; Max-Age=0{self._attrs}".encode()

    def overhead(self, name: str) -> int:
        """Bytes of a full ``Set-Cookie: name=…`` line other than the value (long Max-Age)."""
        return len(f"Set-Cookie: {name}=; Max-Age=99999999{self._attrs}\r\n")


class CookieNames:
    """The names of one chunked cookie (``<prefix><base>.0`` … ``.<MAX_CHUNKS-1>``)."""

    __slots__ = ("chunks", "policy", "room")

    def __init__(self, policy: CookiePolicy, base: str) -> None:
        self.policy = policy
        self.chunks = tuple(f"{policy.prefix}{base}.{i}" for i in range(MAX_CHUNKS))
        self.room = MAX_SET_COOKIE - policy.overhead(self.chunks[0])

    def write(
        self, value: str, max_age: int, present: Mapping[str, str]
    ) -> list[tuple[bytes, bytes]] | None:
        """Set-Cookie headers for ``value`` split into chunks (``"<n>."`` leads the first), plus
        deletions of stale chunks the browser still holds; None if the chunks would take more
        than ``MAX_COOKIE_BYTES`` of the ``Cookie`` header (CK-03)."""
        count = -(-(len(value) + 2) // self.room)
        in_header = len(value) + 2 + sum(len(n) + 3 for n in self.chunks[:count])  # "n=", "; "
        if count > MAX_CHUNKS or in_header > MAX_COOKIE_BYTES:
            return None
        head = f"{count}." + value
        parts = [head[i : i + self.room] for i in range(0, len(head), self.room)]
        headers = [self.policy.set(n, p, max_age) for n, p in zip(self.chunks, parts, strict=False)]
        headers += [self.policy.delete(n) for n in self.chunks[len(parts) :] if n in present]
        return headers

    def clear(self) -> list[tuple[bytes, bytes]]:
        """Deletions for every chunk name (same name, path and Secure, as browsers require)."""
        return [self.policy.delete(n) for n in self.chunks]


def join_chunks(values: Sequence[str | None]) -> str | None:
    """Rebuild a chunked value from the values found under each chunk name, in order.

    None when the count prefix is missing or wrong or a chunk is missing; the count decides how
    many chunks are read, and the AEAD tag catches reordered or mixed chunks.
    """
    first = values[0] if values else None
    if not first or len(first) < 2 or first[1] != "." or not "1" <= first[0] <= str(MAX_CHUNKS):
        return None
    count = int(first[0])
    rest = values[1:count]
    if len(rest) != count - 1 or any(not v for v in rest):
        return None
    return first[2:] + "".join(v for v in rest if v)
