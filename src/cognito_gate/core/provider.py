"""Reading what Cognito answers, defensively: the provider is a network peer, not trusted code.

Every call goes through ``call``: one request under a total deadline, the answer streamed with a
size cap (``MAX_BODY``: a 5 MB answer costs at most that much memory, read and dropped early),
``Accept-Encoding: identity`` (a compressed answer could expand past any cap in one step, so one
is refused). ``json_body`` then insists on ``application/json`` in UTF-8, as Cognito sends it
(``application/json;charset=UTF-8`` or without the charset), and treats anything it cannot parse
— bad UTF-8, ``NaN``, a 5,000-digit number, nesting deep enough for a ``RecursionError`` — as
the provider being unavailable. Each failure is raised as ``ProviderUnavailable`` whose reason
names it (``token_body_too_large``, ``jwks_json_too_deep``…; the callers log it): a clean 503,
never a 500.

``retry_after`` parses a ``Retry-After`` header (RFC 9110 §10.2.3: delta-seconds or an
HTTP-date) without ever raising: ``str.isdigit`` accepts ``"²"`` and ``float`` turns 400 digits
into ``inf``, so only ASCII digits count and long numbers are clamped before conversion.
"""

from __future__ import annotations

import asyncio
import json
import math
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from .errors import RETRY_AFTER_MAX, ProviderUnavailable

__all__ = ["MAX_BODY", "Answer", "Observer", "call", "json_body", "read_body", "retry_after",
           "unavailable", "unobserved"]

MAX_BODY = 256 * 1024  # Cognito's answers: tokens 5–20 KB with many groups, the JWKS ~1 KB
_DELTA_SECONDS = re.compile(r"[0-9]+")  # ASCII only, unlike \d or str.isdigit
_JSON_TYPES = frozenset({"application/json"})
_UTF8 = frozenset({"utf-8", "utf8"})


@dataclass(frozen=True, slots=True)
class Answer:
    """One complete answer from the provider, its body at most ``MAX_BODY`` bytes."""

    status: int
    headers: httpx.Headers
    body: bytes


# Told about every call to the provider: (endpoint, seconds it took, the ProviderUnavailable it
# ended in or None). ``CognitoAuth`` passes ``Events.provider_call`` (latency, outage events).
Observer = Callable[[str, float, ProviderUnavailable | None], None]


def unobserved(endpoint: str, seconds: float, error: ProviderUnavailable | None) -> None:
    """The ``Observer`` of a client nobody watches."""


def unavailable(what: str, reason: str, answer: Answer | None = None) -> ProviderUnavailable:
    """The error for an unusable answer: reason ``{what}_{reason}``, and the answer's own
    ``Retry-After`` when there is one."""
    given = None if answer is None else retry_after(answer.headers.get("retry-after"),
                                                   time.time())
    return ProviderUnavailable(f"{what}_{reason}", retry_after=given)


async def call(http: httpx.AsyncClient, method: str, url: str, *, what: str, deadline: float,
               headers: Mapping[str, str], data: Mapping[str, str] | None = None) -> Answer:
    """Send one request and read the whole answer, within ``deadline`` seconds and
    ``MAX_BODY`` bytes; ``what`` names the endpoint in reasons (``token_timeout``…)."""
    try:
        async with asyncio.timeout(deadline):
            async with http.stream(method, url, data=data,
                                   headers={**headers, "accept-encoding": "identity"}) as response:
                body = await read_body(response, what)
                return Answer(response.status_code, response.headers, body)
    except TimeoutError:
        raise unavailable(what, "timeout") from None
    except httpx.HTTPError as exc:
        raise unavailable(what, type(exc).__name__) from None


async def read_body(response: httpx.Response, what: str) -> bytes:
    """The body of a streamed ``response``, refused past ``MAX_BODY`` bytes or if compressed."""
    encoding = response.headers.get("content-encoding", "").strip().lower()
    if encoding not in ("", "identity"):
        raise unavailable(what, "content_encoding")
    declared = response.headers.get("content-length", "").strip()
    if _DELTA_SECONDS.fullmatch(declared) and (len(declared) > 9 or int(declared) > MAX_BODY):
        raise unavailable(what, "body_too_large")
    body = bytearray()
    async for chunk in response.aiter_bytes():  # identity only: the bytes as sent
        body += chunk
        if len(body) > MAX_BODY:
            raise unavailable(what, "body_too_large")
    return bytes(body)


def json_body(answer: Answer, what: str) -> Any:
    """The answer's JSON document; ``ProviderUnavailable`` unless it is declared and encoded as
    Cognito sends it and parses completely."""
    media, _, params = answer.headers.get("content-type", "").partition(";")
    charset = {k.strip().lower(): v.strip().strip('"').lower()
               for k, _, v in (p.partition("=") for p in params.split(";") if p.strip())}
    if media.strip().lower() not in _JSON_TYPES or charset.get("charset", "utf-8") not in _UTF8:
        raise unavailable(what, "content_type")
    try:
        return json.loads(answer.body.decode("utf-8"), parse_constant=_no_constant)
    except UnicodeDecodeError:
        raise unavailable(what, "body_not_utf8") from None
    except RecursionError:
        raise unavailable(what, "json_too_deep") from None
    except ValueError:
        raise unavailable(what, "json_invalid") from None


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def retry_after(value: str | None, now: float) -> int | None:
    """Seconds the provider asks us to wait (at least 0, at most ``RETRY_AFTER_MAX``), or None
    when it said nothing usable. ``now`` is the wall-clock time an HTTP-date is measured from."""
    if not value:
        return None
    value = value.strip()
    if _DELTA_SECONDS.fullmatch(value):
        return RETRY_AFTER_MAX if len(value) > 6 else min(RETRY_AFTER_MAX, int(value))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:  # "-0000": UTC by RFC 5322
        when = when.replace(tzinfo=UTC)
    wait = when.timestamp() - now
    return min(RETRY_AFTER_MAX, max(0, math.ceil(wait))) if math.isfinite(wait) else None
