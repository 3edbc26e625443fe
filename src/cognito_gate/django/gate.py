"""The process's ``SyncGate`` for Django, built from ``settings.py`` on first use, and the
translation of its answers into Django responses."""

from __future__ import annotations

import threading
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from starlette.types import Scope

from ..asgi.auth import CSRF_KEY, USER_KEY, CognitoAuth
from ..sync.bridge import Answer, SyncGate, marking_renderer
from ..sync.scope import scope_from_environ
from ..sync.settings import settings_from

__all__ = ["apply_cookies", "gate", "respond", "scope_of"]

_lock = threading.Lock()
_built: tuple[object, SyncGate] | None = None


def gate() -> SyncGate:
    """The gate for the current settings: ``COGNITO_*``/``APP_URL``/``SESSION_SECRET`` from
    ``settings.py``, else the environment; ``COGNITO_GATE_OPTIONS`` may give ``protect``,
    ``settings`` (a ``Settings``), ``http``, ``clock``, ``store``, ``loop``. Rebuilt only when
    those options are replaced (tests)."""
    global _built
    given: dict[str, Any] | None = getattr(settings, "COGNITO_GATE_OPTIONS", None)
    built = _built
    if built is not None and built[0] is given:
        return built[1]
    with _lock:
        if _built is None or _built[0] is not given:
            options = given or {}
            config = {name: getattr(settings, name) for name in dir(settings) if name.isupper()}
            auth = CognitoAuth(options.get("settings") or settings_from(config),
                               protect=tuple(options.get("protect", ())),
                               http=options.get("http"), clock=options.get("clock"),
                               store=options.get("store"), render_error=marking_renderer)
            _built = (given, SyncGate(auth, options.get("loop")))
        return _built[1]


def scope_of(request: HttpRequest) -> Scope:
    """The ASGI scope of ``request``, made once per request on first need (the hot path needs
    none)."""
    scope: Scope | None = getattr(request, "_cognito_scope", None)
    if scope is None:
        scope = scope_from_environ(request.META, request.scheme)
        request._cognito_scope = scope
        if hasattr(request, "cognito_user"):  # admitted on the hot path: the user is known
            scope[USER_KEY], scope[CSRF_KEY] = request.cognito_user, request.cognito_csrf
    return scope


def apply_cookies(response: HttpResponse, cookies: list[str]) -> None:
    """Add the library's ``Set-Cookie`` lines (name, value and attributes) to ``response``."""
    for cookie in cookies:
        response.cookies.load(cookie)


def respond(request: HttpRequest, answer: Answer) -> HttpResponse:
    """A Django response for the gate's own answer. An HTML error page is the
    ``cognito_gate/error.html`` template (put your own first on the template path)."""
    if answer.error is not None:
        error = answer.error
        body = render_to_string("cognito_gate/error.html", {
            "error": error, "code": error.code, "title": error.title, "message": error.message,
            "status": answer.status}, request=request)
        response = HttpResponse(body, status=answer.status)
    else:
        response = HttpResponse(answer.body, status=answer.status)
    for name, value in answer.headers:
        if name not in ("set-cookie", "content-length") and (
                answer.error is None or name != "content-type"):
            response.headers[name] = value
    apply_cookies(response, answer.cookies)
    return response
