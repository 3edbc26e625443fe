"""Strict parsing of query strings and form bodies.

python-multipart is not used: bodies are read with a size cap and parsed with
``urllib.parse.parse_qsl``. Duplicated parameters are refused rather than silently picking one,
and undecodable bytes are kept (``surrogateescape``) so ``state`` round-trips byte-exact.
"""

from __future__ import annotations

import functools
from urllib.parse import parse_qsl

from starlette.requests import Request

__all__ = ["MAX_BODY", "MAX_QUERY", "BadRequest", "parse_params", "raw_query", "read_form"]

MAX_BODY = 64 * 1024
MAX_QUERY = 16 * 1024
MAX_FIELDS = 64
FORM_TYPE = "application/x-www-form-urlencoded"


class BadRequest(Exception):
    """The request cannot be read as the endpoint's parameters; answer ``invalid_request``."""


def parse_params(raw: str, *, exact: bool = False) -> dict[str, str]:
    """Parameters of a query string or form body; duplicated names are a BadRequest.

    ``exact`` keeps bytes that are not UTF-8 as surrogates (for echoing ``state``); otherwise
    they are a BadRequest.
    """
    return dict(_query(raw)) if exact else _parse(raw, "strict")


@functools.lru_cache(maxsize=256)
def _query(raw: str) -> dict[str, str]:
    """An authorization request's query string travels /oauth2/authorize → GET /login → POST
    /login, so recent ones are kept parsed (never form bodies: they hold passwords)."""
    return _parse(raw, "surrogateescape")


def _parse(raw: str, errors: str) -> dict[str, str]:
    try:
        pairs = parse_qsl(raw, keep_blank_values=True, errors=errors, max_num_fields=MAX_FIELDS)
    except ValueError:  # includes UnicodeDecodeError
        raise BadRequest("unreadable or too many parameters") from None
    params: dict[str, str] = {}
    for name, value in pairs:
        if name in params:
            raise BadRequest(f"duplicated parameter {name!r}")
        params[name] = value
    return params


async def read_body(request: Request, limit: int = MAX_BODY) -> bytes:
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BadRequest("body too large")
        chunks.append(chunk)
    return b"".join(chunks)


async def read_form(request: Request) -> dict[str, str]:
    """An ``application/x-www-form-urlencoded`` body, or BadRequest (JSON, multipart, junk)."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != FORM_TYPE:
        raise BadRequest("content type must be application/x-www-form-urlencoded")
    body = await read_body(request)
    try:
        text = body.decode("ascii")
    except UnicodeDecodeError:
        raise BadRequest("form bodies are percent-encoded ASCII") from None
    return parse_params(text)


def raw_query(request: Request) -> str:
    return bytes(request.scope.get("query_string", b"")).decode("latin-1")
