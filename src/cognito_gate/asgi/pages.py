"""Default pages: a small finished-looking HTML page per error (inline CSS, no external assets,
nothing from the request reflected), JSON ``{"error", "message"}`` for API callers."""

from __future__ import annotations

import html
import json

from starlette.responses import HTMLResponse, Response

from ..core.errors import AuthError

__all__ = ["NO_STORE", "deny_framing", "error_response", "page"]

NO_STORE = {"cache-control": "no-store", "referrer-policy": "no-referrer"}
FRAME_ANCESTORS = "frame-ancestors 'none'"
# No other site may frame a page of ours (a sign-out button or a retry under a decoy): CSP for
# today's browsers, X-Frame-Options for the ones before it.
_PAGE_HEADERS = {**NO_STORE, "content-security-policy": FRAME_ANCESTORS, "x-frame-options": "DENY"}

_TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{title}</title>
<style>
body{{margin:0;min-height:100vh;display:grid;place-items:center;background:#f4f5f7;
font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2933}}
main{{max-width:28rem;margin:1.5rem;padding:2rem 2.25rem;background:#fff;border-radius:12px;
box-shadow:0 1px 3px rgba(0,0,0,.08),0 8px 24px rgba(0,0,0,.06)}}
h1{{font-size:1.35rem;margin:0 0 .75rem}}p{{margin:0 0 1.25rem}}
a.button,button{{display:inline-block;padding:.6rem 1.2rem;border:0;border-radius:8px;
background:#2563eb;color:#fff;font:inherit;text-decoration:none;cursor:pointer}}
a.button:hover,button:hover{{background:#1d4ed8}}
small{{display:block;margin-top:1.5rem;color:#7b8794}}
</style></head>
<body><main><h1>{title}</h1><p>{message}</p>{action}{code}</main></body></html>
"""


def page(title: str, message: str, *, status: int = 200, action: str = "",
         code: str = "", headers: dict[str, str] | None = None) -> HTMLResponse:
    """A page in the default template; ``action`` is trusted HTML built by this package."""
    body = _TEMPLATE.format(
        title=html.escape(title), message=html.escape(message), action=action,
        code=f"<small>Error code: {html.escape(code)}</small>" if code else "",
    )
    return HTMLResponse(body, status_code=status, headers={**_PAGE_HEADERS, **(headers or {})})


def deny_framing(response: Response) -> None:
    """Make a page the app rendered for us unframeable too. The app's own policy stays: a second
    ``Content-Security-Policy`` header is enforced alongside it, so one is added only when no
    policy of the app's says ``frame-ancestors`` already."""
    headers = response.headers
    headers["x-frame-options"] = "DENY"
    if not any("frame-ancestors" in p for p in headers.getlist("content-security-policy")):
        headers.append("content-security-policy", FRAME_ANCESTORS)


def link(label: str, href: str) -> str:
    """A button-styled link (``href`` comes from configuration, never from the request)."""
    return f'<a class="button" href="{html.escape(href)}">{html.escape(label)}</a>'


def error_response(error: AuthError, *, as_json: bool, retry_href: str | None = None,
                   headers: dict[str, str] | None = None) -> Response:
    """The default rendering of ``error`` for a browser (HTML) or an API caller (JSON)."""
    extra = dict(headers or {})
    retry_after = getattr(error, "retry_after", None)
    if error.status == 503 and retry_after:
        extra["retry-after"] = str(retry_after)
    if error.status == 401:
        extra["www-authenticate"] = 'Bearer error="invalid_token"' \
            if error.code == "token_invalid" else "Bearer"
    if as_json:
        body = json.dumps({"error": error.code, "message": error.message})
        return Response(body, status_code=error.status, media_type="application/json",
                        headers={**NO_STORE, **extra})
    action = link("Try again", retry_href) if retry_href else ""
    return page(error.title, error.message, status=error.status, action=action,
                code=error.code, headers=extra)
