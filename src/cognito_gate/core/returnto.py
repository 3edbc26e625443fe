"""Return-to validation: after sign-in we only ever go to a path on our own origin (RC-01)."""

from __future__ import annotations

from urllib.parse import unquote

__all__ = ["MAX_RETURN_TO", "safe_return_to"]

MAX_RETURN_TO = 2048
_CONTROL = frozenset(chr(c) for c in range(0x20)) | {"\x7f", "\\"}
_FORBIDDEN = _CONTROL | {" "}  # a raw space is never in a URL; an encoded one (%20) is fine


def _acceptable(path: str, forbidden: frozenset[str] = _CONTROL) -> bool:
    return (
        path.startswith("/")
        and not path.startswith(("//", "/\\"))
        and not any(ch in forbidden for ch in path)
    )


def safe_return_to(value: str | None, default: str = "/") -> str:
    """Return ``value`` if it is a safe same-origin path, else ``default``.

    Accepted: ASCII, starts with exactly one ``/`` not followed by ``/`` or ``\\``, no control
    characters, whitespace or backslash, at most 2048 characters — and the same holds after
    percent-decoding (up to three rounds; a decoded space is fine, ``?q=a%20b``), so
    ``/%2F%2Fevil`` and ``/%5Cevil`` are refused too.
    The caller prefixes the app's own origin, so a scheme or host can never sneak in.
    """
    if not value or len(value) > MAX_RETURN_TO or not value.isascii():
        return default
    if not _acceptable(value, _FORBIDDEN):
        return default
    decoded = value
    for _ in range(3):
        if not _acceptable(decoded):
            return default
        step = unquote(decoded, errors="replace") if "%" in decoded else decoded
        if step == decoded:
            return value
        decoded = step
    return value if _acceptable(decoded) and "%" not in decoded else default
