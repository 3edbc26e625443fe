"""Reading what Cognito answers, defensively: the provider is a network peer, not trusted code.

``retry_after`` parses a ``Retry-After`` header (RFC 9110 §10.2.3: delta-seconds or an
HTTP-date) without ever raising: ``str.isdigit`` accepts ``"²"`` and ``float`` turns 400 digits
into ``inf``, so only ASCII digits count and long numbers are clamped before conversion.
"""

from __future__ import annotations

import math
import re
from datetime import UTC
from email.utils import parsedate_to_datetime

from .errors import RETRY_AFTER_MAX

__all__ = ["retry_after"]

_DELTA_SECONDS = re.compile(r"[0-9]+")  # ASCII only, unlike \d or str.isdigit


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
