"""Where a request is, as the app sees it, when the app may be mounted under a path prefix.

ASGI servers and Starlette's ``Mount`` put the whole path in ``scope["path"]`` and the prefix the
app is mounted at in ``scope["root_path"]`` (``uvicorn --root-path /app``, ``Mount("/app", …)``):
``/app/account`` reaches the app as path ``/app/account``, root path ``/app``. Protection and the
library's routes go by the path relative to the app (``/account``), as the app's own router
does; every URL we hand out goes back under the prefix. ``APP_URL`` stays the origin.
"""

from __future__ import annotations

from urllib.parse import quote

from starlette.types import Scope

from ..core.returnto import safe_return_to

__all__ = ["app_path", "prefix_of", "return_to", "url_prefix"]

_PATH_SAFE = "/!$&'()*+,;=:@~"


def app_path(scope: Scope) -> str:
    """``scope["path"]`` relative to the app: without the ``root_path`` in front of it, as
    Starlette's router reads it (a server that already left the prefix out is read as is)."""
    path: str = scope["path"]
    root = scope.get("root_path")
    if root and path.startswith(root):
        rest = path[len(root):]
        if not rest:
            return "/"
        if rest[0] == "/":
            return rest
    return path


def url_prefix(scope: Scope) -> str:
    """The prefix to put before an app-relative path in a URL: ``""`` at the server root, else
    ``/app`` (percent-encoded, one leading slash, none at the end: never ``//host``)."""
    return prefix_of(scope.get("root_path") or "")


def prefix_of(root_path: str) -> str:
    """:func:`url_prefix` of a ``root_path`` given as text (``cognito-gate doctor --root-path``)."""
    root = root_path.strip("/")
    return "/" + quote(root, safe=_PATH_SAFE) if root else ""


def return_to(scope: Scope) -> str:
    """This request's app-relative path and query as a validated return-to target (``/`` if
    not one): the only form of the request's own address that may go into a link or a
    redirect."""
    path: str = scope["path"]
    relative = app_path(scope)
    raw = scope.get("raw_path")
    target = raw.decode("latin-1") if raw else quote(path)
    if relative is not path:  # the prefix is in raw_path too, maybe encoded differently
        root = scope["root_path"]
        plain = target.startswith(root) and target[len(root):len(root) + 1] == "/"
        target = target[len(root):] if plain else quote(relative)
    query = scope.get("query_string", b"").decode("latin-1")
    return safe_return_to(f"{target}?{query}" if query else target)
