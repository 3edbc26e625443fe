"""``CognitoGateMiddleware``: add ``"cognito_gate.django.middleware.CognitoGateMiddleware"`` to
``settings.MIDDLEWARE``. Puts ``request.cognito_user`` (a ``User`` or None),
``request.cognito_caller`` (the user, else a client-credentials ``Machine``, else None) and
``request.cognito_csrf`` on every request; refreshes sessions; guards ``protect`` prefixes.

A synchronous middleware: under ASGI (uvicorn) Django runs it in a worker thread, which is what
``SyncGate`` expects (the hot path stays in that thread)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from ..sync.bridge import Answer
from .gate import apply_cookies, gate, respond, scope_of

__all__ = ["CognitoGateMiddleware"]


class CognitoGateMiddleware:
    sync_capable = True
    async_capable = False

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        sync_gate, meta = gate(), request.META
        cookie = meta.get("HTTP_COOKIE")
        hot = None if cookie is None else sync_gate.hot(  # before any scope is made
            meta["REQUEST_METHOD"], meta.get("PATH_INFO", ""), cookie.encode("latin-1"))
        decided = hot or sync_gate.begin(scope_of(request))
        if isinstance(decided, Answer):
            return respond(request, decided)
        request.cognito_user = decided.user
        request.cognito_caller = decided.caller
        request.cognito_csrf = decided.csrf
        try:
            response = self.get_response(request)
        except BaseException:
            decided.abandon()
            raise
        cookies, no_store = decided.finish()
        apply_cookies(response, cookies)
        if no_store and (decided.protected or getattr(request, "_cognito_required", False)
                         or not response.has_header("Cache-Control")):
            response.headers["Cache-Control"] = "no-store"
        return response
