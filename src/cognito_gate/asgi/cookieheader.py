"""Reading the raw ``Cookie`` header without building more than needed."""

from __future__ import annotations

__all__ = ["find_cookie", "parse_cookies"]


def find_cookie(header: bytes, name_eq: bytes) -> bytes | None:
    """Value of the first cookie called ``name_eq`` (given as ``b"name="``), found by substring
    search at a cookie boundary — the hot path's way to avoid parsing the whole header."""
    start = 0
    while True:
        i = header.find(name_eq, start)
        if i < 0:
            return None
        if i == 0 or header[i - 1] in b" ;":
            j = header.find(b";", i)
            return header[i + len(name_eq) : j if j >= 0 else len(header)].strip()
        start = i + 1


def parse_cookies(header: bytes) -> dict[str, str]:
    """All cookies; a name sent twice maps to ``""`` so an ambiguous value is never trusted."""
    cookies: dict[str, str] = {}
    for part in header.decode("latin-1").split(";"):
        name, sep, value = part.strip().partition("=")
        if not sep or not name:
            continue
        cookies[name] = "" if name in cookies else value.strip()
    return cookies
