"""Page rendering for the demo: one template set, safe response headers, readable values."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import Response

from cognito_gate import get_user

HERE = Path(__file__).parent
STATIC_DIR = HERE / "static"
TEMPLATES = Jinja2Templates(directory=HERE / "templates")

# Every page is per-user and loads nothing from other sites (AZ-14): say so to the browser.
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; "
        "frame-ancestors 'none'"
    ),
    "Cache-Control": "no-store",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",  # frame-ancestors' counterpart for browsers without CSP 2
    "X-Content-Type-Options": "nosniff",
}

TIME_CLAIMS = frozenset({"exp", "iat", "nbf", "auth_time"})


def page(request: Request, template: str, *, status_code: int = 200, **context: Any) -> Response:
    """Render `template` with the signed-in user (if any) and the demo's security headers."""
    context.setdefault("user", get_user(request))
    return TEMPLATES.TemplateResponse(
        request, template, context, status_code=status_code, headers=PAGE_HEADERS
    )


def wants_page(request: Request) -> bool:
    """True for a browser page load outside /api/, so API callers keep getting JSON errors."""
    browser = "text/html" in request.headers.get("accept", "")
    return browser and not request.url.path.startswith("/api/")


def utc_text(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


@dataclass(frozen=True)
class Expiry:
    """A token expiry as the page shows it: machine-readable, wall-clock and relative."""

    iso: str
    clock: str
    relative: str


def describe_expiry(expires_at: float, now: float) -> Expiry:
    left = expires_at - now
    if left <= 0:
        relative = "expired"
    elif left < 60:
        relative = "in less than a minute"
    else:
        minutes = round(left / 60)
        relative = f"in {minutes} minute{'s' if minutes != 1 else ''}"
    at = datetime.fromtimestamp(expires_at, UTC)
    return Expiry(iso=at.isoformat(), clock=utc_text(expires_at), relative=relative)


def claim_rows(claims: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Claims sorted by name with values a person can read (times as UTC, lists joined)."""
    return [(name, _claim_text(name, claims[name])) for name in sorted(claims)]


def _claim_text(name: str, value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if name in TIME_CLAIMS and isinstance(value, int | float):
        return f"{value} ({utc_text(value)})"
    if isinstance(value, Iterable) and not isinstance(value, str | bytes | Mapping):
        return ", ".join(_item_text(item) for item in value)
    return str(value)


def _item_text(item: Any) -> str:
    """A list member: objects (a federated user's ``identities``) as compact JSON."""
    return json.dumps(dict(item), separators=(",", ":")) if isinstance(item, Mapping) else str(item)


def identity_providers(claims: Mapping[str, Any]) -> list[str]:
    """Who the user federated through: the ``providerName`` of each ``identities`` entry
    (none for a user of the pool's own sign-in)."""
    entries = claims.get("identities")
    if not isinstance(entries, Iterable) or isinstance(entries, str | bytes | Mapping):
        return []
    return [
        str(e["providerName"])
        for e in entries
        if isinstance(e, Mapping) and e.get("providerName")
    ]
