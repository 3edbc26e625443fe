"""Template context processor ``"cognito_gate.django.context.cognito"``: ``cognito_user``,
``cognito_csrf`` (the sign-out form's hidden ``csrf`` field), ``cognito_logout_url`` and
``cognito_login_url`` (sign in and come back to this page)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from ..asgi.location import app_path, return_to
from .gate import gate, scope_of

__all__ = ["cognito"]


def cognito(request: HttpRequest) -> dict[str, Any]:
    sync_gate = gate()
    auth, scope = sync_gate.auth, scope_of(request)
    prefix = request.META.get("SCRIPT_NAME", "")
    # On the library's own routes (a callback carries its code and state) come back home.
    here = "/" if app_path(scope) in sync_gate.routes else return_to(scope)
    return {
        "cognito_user": getattr(request, "cognito_user", None),
        "cognito_csrf": getattr(request, "cognito_csrf", ""),
        "cognito_logout_url": prefix + auth.settings.logout_path,
        "cognito_login_url": prefix + auth.login_href(here),
    }
