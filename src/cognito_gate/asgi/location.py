"""Where a request is, as the app sees it: its path and query as a validated return-to target."""

from __future__ import annotations

from urllib.parse import quote

from starlette.types import Scope

from ..core.returnto import safe_return_to

__all__ = ["return_to"]


def return_to(scope: Scope) -> str:
    """This request's path and query as a validated return-to target (``/`` if not one): the only
    form of the request's own address that may go into a link or a redirect."""
    raw = scope.get("raw_path")
    path = raw.decode("latin-1") if raw else quote(scope["path"])
    query = scope.get("query_string", b"").decode("latin-1")
    return safe_return_to(f"{path}?{query}" if query else path)
