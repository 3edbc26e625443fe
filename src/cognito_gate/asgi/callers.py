"""Telling a page navigation from an API/XHR call, so APIs get 401 JSON, never a redirect to a
sign-in page they cannot follow (CK-09), and a cross-site request from our own (RC-03)."""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["is_api_call", "is_cross_site"]


def is_api_call(headers: Iterable[tuple[bytes, bytes]]) -> bool:
    """True for ``Authorization: Bearer``, ``X-Requested-With``, ``Sec-Fetch-Mode`` other than
    ``navigate``, or an ``Accept`` that asks for JSON but not HTML."""
    accept = b""
    for name, value in headers:
        if name == b"authorization" and value[:7].lower() == b"bearer ":
            return True
        if name == b"x-requested-with":
            return True
        if name == b"sec-fetch-mode" and value.strip().lower() != b"navigate":
            return True
        if name == b"accept":
            accept += value.lower() + b","
    return b"json" in accept and b"text/html" not in accept


def is_cross_site(headers: Iterable[tuple[bytes, bytes]], origin: bytes) -> bool:
    """True when Fetch Metadata (``Sec-Fetch-Site: cross-site`` or ``same-site``) or an
    ``Origin`` other than ``origin`` (``null`` included) says another site sent the request."""
    for name, value in headers:
        if name == b"sec-fetch-site" and value in (b"cross-site", b"same-site"):
            return True
        if name == b"origin" and value != origin:
            return True
    return False
