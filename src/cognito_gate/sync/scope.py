"""A WSGI environ (or Django's ``request.META``) as the ASGI scope the core's middleware reads."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.types import Scope

__all__ = ["scope_from_environ"]

_UNPREFIXED = {"CONTENT_TYPE": b"content-type", "CONTENT_LENGTH": b"content-length"}


def scope_from_environ(environ: Mapping[str, Any], scheme: str | None = None) -> Scope:
    """The HTTP scope of one request. WSGI strings are bytes decoded as latin-1 (PEP 3333), so
    they encode back to the exact bytes; ``path`` includes the mount prefix (``SCRIPT_NAME``) and
    ``root_path`` is that prefix, as ASGI servers give them."""
    headers = []
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            headers.append((key[5:].replace("_", "-").lower().encode("latin-1"),
                            str(value).encode("latin-1")))
        elif key in _UNPREFIXED and value:
            headers.append((_UNPREFIXED[key], str(value).encode("latin-1")))
    root = environ.get("SCRIPT_NAME", "")
    path = root + environ.get("PATH_INFO", "")
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": environ.get("REQUEST_METHOD", "GET"),
        "scheme": scheme or environ.get("wsgi.url_scheme", "http"),
        "path": path,
        "raw_path": path.encode("latin-1"),
        "root_path": root,
        "query_string": environ.get("QUERY_STRING", "").encode("latin-1"),
        "headers": headers,
        "server": (environ.get("SERVER_NAME", "localhost"), int(environ.get("SERVER_PORT") or 80)),
        "client": (environ.get("REMOTE_ADDR", ""), 0),
    }
