"""``request.user`` and the Django admin from the Cognito session (optional).

``CognitoAuthenticationMiddleware`` goes after ``CognitoGateMiddleware``, in place of Django's
``AuthenticationMiddleware`` (it is a subclass, so the admin's checks accept it). ``request.user``
is the ``CognitoBackend`` user of ``request.cognito_user``, else ``AnonymousUser`` — read from
the Cognito session on every request, not from Django's session, so it follows sign-in, refresh
and sign-out exactly. ``admin.site.login = admin_login`` and ``admin.site.logout = admin_logout``
make the admin's sign-in and "Log out" the library's.
"""

from __future__ import annotations

from functools import cache, partial
from typing import Any
from urllib.parse import urlencode

from asgiref.sync import sync_to_async
from django.contrib.auth import get_backends
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.utils.functional import SimpleLazyObject

from ..core.returnto import safe_return_to
from .backend import CognitoBackend
from .gate import gate, respond, scope_of

__all__ = ["CognitoAuthenticationMiddleware", "admin_login", "admin_logout"]


def _backend() -> tuple[str, CognitoBackend]:
    for backend in get_backends():
        if isinstance(backend, CognitoBackend):
            return f"{type(backend).__module__}.{type(backend).__qualname__}", backend
    raise ImproperlyConfigured(
        "CognitoAuthenticationMiddleware needs AUTHENTICATION_BACKENDS to list "
        "'cognito_gate.django.backend.CognitoBackend' (or a subclass)")


def _user_of(request: HttpRequest, path: str, backend: CognitoBackend) -> Any:
    cognito_user = getattr(request, "cognito_user", None)
    user = None if cognito_user is None else backend.authenticate(request, cognito_user)
    if user is None:
        return AnonymousUser()
    user.backend = path  # as django.contrib.auth.authenticate() marks it
    return user


class CognitoAuthenticationMiddleware(AuthenticationMiddleware):  # type: ignore[misc]
    """``request.user`` (and ``await request.auser()``) for the Cognito user; lazy, so a
    request that never reads it costs no query."""

    def __init__(self, get_response: Any) -> None:
        super().__init__(get_response)
        self._path, self._backend = _backend()

    def process_request(self, request: HttpRequest) -> None:
        if not hasattr(request, "cognito_user"):
            raise ImproperlyConfigured(
                "CognitoAuthenticationMiddleware goes after "
                "cognito_gate.django.middleware.CognitoGateMiddleware in MIDDLEWARE")
        user_of = cache(partial(_user_of, request, self._path, self._backend))  # once
        request.user = SimpleLazyObject(user_of)

        async def auser() -> Any:
            return await sync_to_async(user_of)()

        request.auser = auser


def admin_login(request: HttpRequest, extra_context: Any = None) -> HttpResponse:
    """The admin's sign-in page (``admin.site.login = admin_login``): sign in through Cognito
    and come back to ``?next=``; a signed-in user the admin refused (not staff) gets 403
    ``forbidden`` instead — sending them to sign in again would loop."""
    if getattr(request, "cognito_user", None) is not None:
        return respond(request, gate().forbidden(scope_of(request)))
    prefix = request.META.get("SCRIPT_NAME", "")
    wanted = request.GET.get("next") or "/"
    if prefix and wanted.startswith(prefix + "/"):  # the admin's next= includes the prefix
        wanted = wanted[len(prefix):]
    return HttpResponseRedirect(prefix + gate().auth.login_href(safe_return_to(wanted)))


_FORM = (b"content-type", b"application/x-www-form-urlencoded")


def admin_logout(request: HttpRequest, extra_context: Any = None) -> HttpResponse:
    """The admin's "Log out" (``admin.site.logout = admin_logout``): the library's sign-out —
    tokens revoked, cookies cleared, on through Cognito's logout to the app's home page.

    The admin posts its logout form with Django's CSRF token, which the admin (and
    ``CsrfViewMiddleware``) checked before this view runs; the request is then handed to the
    library's sign-out route with this session's own sign-out token, and that route still
    refuses a cross-site request by its ``Origin`` / Fetch Metadata."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    sync_gate = gate()
    scope = dict(scope_of(request))
    path = scope["root_path"] + sync_gate.auth.settings.logout_path
    scope.update(path=path, raw_path=path.encode("latin-1"), query_string=b"", headers=[
        *((n, v) for n, v in scope["headers"] if n not in (b"content-type", b"content-length")),
        _FORM])
    body = urlencode({"csrf": getattr(request, "cognito_csrf", "")}).encode()
    return respond(request, sync_gate.route(scope, body))

