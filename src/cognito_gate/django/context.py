"""Template context processor ``"cognito_gate.django.context.cognito"``: ``cognito_user``,
``cognito_csrf`` (the sign-out form's hidden ``csrf`` field), ``cognito_logout_url`` and
``cognito_login_url`` (sign in and come back to this page)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from ..asgi.location import return_to
from .gate import gate, scope_of

__all__ = ["cognito"]


def cognito(request: HttpRequest) -> dict[str, Any]:
    auth = gate().auth
    prefix = request.META.get("SCRIPT_NAME", "")
    return {
        "cognito_user": getattr(request, "cognito_user", None),
        "cognito_csrf": getattr(request, "cognito_csrf", ""),
        "cognito_logout_url": prefix + auth.settings.logout_path,
        "cognito_login_url": prefix + auth.login_href(return_to(scope_of(request))),
    }
