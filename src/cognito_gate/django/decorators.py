"""``@login_required``, ``@require_groups(...)``, ``@require_scopes(...)`` for function views, and
``CognitoLoginRequiredMixin`` (with ``required_groups`` / ``required_scopes``) for class-based
views. The rules are FastAPI's and Flask's (``core.authz``): any of the groups, all the scopes."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from django.http import HttpRequest, HttpResponse

from ..core.authz import Machine, Requirement, groups, scopes, signed_in
from ..core.user import User
from .gate import gate, respond, scope_of

__all__ = ["CognitoLoginRequiredMixin", "login_required", "require_groups", "require_scopes"]

F = TypeVar("F", bound=Callable[..., HttpResponse])


def _refusal(request: HttpRequest, requirement: Requirement) -> HttpResponse | None:
    """None when the request's user meets ``requirement``; else the answer (sign in, 401 JSON,
    403 cross-site or ``forbidden``, 503 outage)."""
    request._cognito_required = True  # no-store replaces the app's
    caller: User | Machine | None = getattr(request, "cognito_caller", None)
    if caller is None:
        return respond(request, gate().deny(scope_of(request)))
    if not requirement.allows(caller):  # a machine passes scope requirements only
        return respond(request, gate().forbidden(scope_of(request)))
    return None


def _requiring(requirement: Requirement) -> Callable[[F], F]:
    def decorate(view: F) -> F:
        @wraps(view)
        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            return _refusal(request, requirement) or view(request, *args, **kwargs)

        return cast(F, guarded)

    return decorate


def login_required(view: F) -> F:
    """The view needs a signed-in user (browsers sign in and come back; APIs get 401 JSON)."""
    return _requiring(signed_in)(view)


def require_groups(*names: str, all: bool = False) -> Callable[[F], F]:
    """A signed-in user in any of these groups (``all=True``: every one), else 403."""
    return _requiring(groups(*names, all=all))


def require_scopes(*names: str, any: bool = False) -> Callable[[F], F]:
    """A caller whose access token has all these scopes (``any=True``: one), else 403: a
    signed-in user, or a machine (client-credentials bearer token, ``request.cognito_caller``)
    — which passes no other requirement."""
    return _requiring(scopes(*names, any=any))


class CognitoLoginRequiredMixin:
    """First among a class-based view's bases: needs a signed-in user, and with
    ``required_groups`` (any) or ``required_scopes`` (all) those too."""

    required_groups: tuple[str, ...] = ()
    required_scopes: tuple[str, ...] = ()

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        requirement = (groups(*self.required_groups) if self.required_groups
                       else scopes(*self.required_scopes) if self.required_scopes else signed_in)
        refused = _refusal(request, requirement)
        if refused is None and self.required_groups and self.required_scopes:
            refused = _refusal(request, scopes(*self.required_scopes))
        if refused is not None:
            return refused
        response: HttpResponse = super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
        return response
