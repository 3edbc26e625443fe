"""Rendering of the hosted-UI pages: Jinja2 templates, the ``XSRF-TOKEN``/``_csrf`` pair, and the
headers that keep the pages out of frames and caches."""

from __future__ import annotations

import functools
import hmac
import re
import secrets
from importlib.resources import files
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from .responses import set_cookie

if TYPE_CHECKING:
    from .local_cognito import LocalCognito

__all__ = ["CSRF_COOKIE", "HostedUI", "stylesheet"]

CSRF_COOKIE = "XSRF-TOKEN"
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{32,64}$")


def _csp(nonce: str) -> str:
    return (
        "default-src 'none'; style-src 'self'; img-src 'self' data:; "
        f"script-src 'nonce-{nonce}'; base-uri 'none'; frame-ancestors 'none'"
    )


@functools.cache
def _templates() -> Environment:
    """One template environment per process: the package's templates never change, and
    compiling them again for every pool would cost a fresh test pool ~15 ms, and checking their
    files' dates on every render (``auto_reload``) three system calls a page."""
    return Environment(
        loader=PackageLoader("cognito_gate.local", "templates"),
        auto_reload=False,
        autoescape=select_autoescape(default=True, default_for_string=True),
    )


class HostedUI:
    def __init__(self, lc: LocalCognito) -> None:
        self._lc = lc
        self._env = _templates()

    def page(
        self, request: Request, template: str, *, status: int = 200, **context: Any
    ) -> Response:
        """A page with a CSRF token (reusing the browser's valid ``XSRF-TOKEN`` cookie)."""
        cookie = request.cookies.get(CSRF_COOKIE, "")
        csrf = cookie if _TOKEN.match(cookie) else secrets.token_urlsafe(32)
        nonce = secrets.token_urlsafe(16)
        html = self._env.get_template(template).render(csrf=csrf, nonce=nonce, **context)
        response = HTMLResponse(html, status, headers=security_headers(nonce))
        if csrf != cookie:
            set_cookie(response, CSRF_COOKIE, csrf, secure=self._lc.base_url.startswith("https://"))
        return response

    def error(
        self, request: Request, message: str, *, status: int = 400, detail: str | None = None
    ) -> Response:
        return self.page(request, "error.html", status=status, message=message, detail=detail)


def csrf_ok(request: Request, form: dict[str, str]) -> bool:
    cookie, field = request.cookies.get(CSRF_COOKIE, ""), form.get("_csrf", "")
    return bool(_TOKEN.match(cookie)) and hmac.compare_digest(cookie, field)


def security_headers(nonce: str) -> dict[str, str]:
    return {
        "Content-Security-Policy": _csp(nonce),
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-store",
    }


def stylesheet() -> str:
    return files("cognito_gate.local").joinpath("static/hosted-ui.css").read_text("utf-8")
