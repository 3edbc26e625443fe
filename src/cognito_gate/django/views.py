"""The library's routes as Django views (``/login``, ``/callback/``, ``/logout``)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from .gate import gate, respond, scope_of

__all__ = ["route"]


@csrf_exempt  # type: ignore[untyped-decorator]  # sign-out checks its own CSRF token (and Origin / Fetch Metadata)
def route(request: HttpRequest) -> HttpResponse:
    """Serve the library route at this path, on the core."""
    return respond(request, gate().route(scope_of(request), request.body))
