"""FastAPI dependencies: ``Depends(auth.optional_user)``, ``Depends(auth.require_user)``,
``Depends(auth.require_groups("admins"))`` and ``Depends(auth.require_scopes("orders/read"))``.

Pages under a protected prefix are guarded by the middleware (it redirects browsers to sign in);
``require_user`` is for API routes and answers 401 JSON with ``WWW-Authenticate: Bearer``. When
the app went through ``auth.wrap(app)``, that JSON has the middleware's own shape
(``{"error": "login_required", "message": …}``); elsewhere FastAPI's ``{"detail": …}``.

``require_groups`` and ``require_scopes`` answer a caller without what they ask for with ``403
forbidden`` (the app's error page for a navigation, JSON for an API caller); an anonymous
navigation is sent to sign in, an anonymous API caller gets the 401. They read only the verified
user (or machine) the middleware put on the request.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from ..core.authz import Machine, Requirement, groups, scopes
from ..core.errors import CATALOGUE, AuthError, ProviderUnavailable
from ..core.user import User
from .callers import is_api_call
from .location import return_to, url_prefix
from .pages import error_response

if TYPE_CHECKING:
    from .auth import CognitoAuth

__all__ = [
    "Forbidden",
    "LoginRequired",
    "auth_error_response",
    "login_required_response",
    "optional_user",
    "require_groups",
    "require_scopes",
    "require_user",
]

USER_KEY = "cognito_gate.user"  # the verified User (None: anonymous), set by the middleware
MACHINE_KEY = "cognito_gate.machine"  # a client-credentials caller (the user key is then None)
UNAVAILABLE_KEY = "cognito_gate.unavailable"  # the outage that kept a session from being checked


class LoginRequired(HTTPException):
    """Raised by ``require_user``; an ``HTTPException`` so any Starlette app answers 401 — or
    503 + ``Retry-After`` when the session is kept but the provider could not be reached to
    check it (RF-07: an API client must not take an outage for a sign-out)."""

    def __init__(self, unavailable: ProviderUnavailable | None = None, *,
                 navigate: bool = False) -> None:
        self.navigate = navigate  # a page may send a browser to sign in instead
        self.error: AuthError = unavailable or AuthError.of("login_required")
        headers = ({"Retry-After": str(unavailable.retry_after)} if unavailable is not None
                   else {"WWW-Authenticate": "Bearer"})
        super().__init__(self.error.status, detail=CATALOGUE[self.error.code].message,
                         headers=headers)


class Forbidden(HTTPException):
    """Raised by ``require_groups``/``require_scopes``: signed in, but without the group or scope
    the route asks for (403 ``forbidden``)."""

    def __init__(self) -> None:
        self.error = AuthError.of("forbidden")
        super().__init__(403, detail=self.error.message)


async def auth_error_response(auth: CognitoAuth, request: Request, exc: Exception) -> Response:
    """The handler ``auth.wrap`` installs: ``Forbidden`` as the app's error page (or JSON for an
    API caller), a page's ``LoginRequired`` as the way to sign in, any other as JSON."""
    api = is_api_call(request.scope["headers"])
    if isinstance(exc, Forbidden):
        return await auth.render(request, exc.error, as_json=api)
    if isinstance(exc, LoginRequired) and exc.navigate and not api \
            and exc.error.code == "login_required":
        login = url_prefix(request.scope) + auth.login_href(return_to(request.scope))
        return RedirectResponse(auth.settings.app_url + login, 303,
                                headers={"cache-control": "no-store"})
    return await login_required_response(request, exc)


async def login_required_response(request: Request, exc: Exception) -> Response:
    """Exception handler that answers ``LoginRequired`` like the middleware answers APIs."""
    error = exc.error if isinstance(exc, LoginRequired) else AuthError.of("login_required")
    return error_response(error, as_json=True)


async def optional_user(request: Request) -> User | None:
    """The signed-in user, or None."""
    user: User | None = request.scope.get(USER_KEY)
    return user


async def require_user(request: Request) -> User:
    """The signed-in user; otherwise a 401 ``login_required`` (FastAPI renders it as JSON), or a
    503 ``provider_unavailable`` if the middleware kept a session it could not check."""
    user: User | None = request.scope.get(USER_KEY)
    if user is None:
        raise LoginRequired(request.scope.get(UNAVAILABLE_KEY))
    return user


def _checked(requirement: Requirement) -> Callable[[Request], Awaitable[User | Machine]]:
    async def dependency(request: Request) -> User | Machine:
        scope = request.scope
        caller: User | Machine | None = scope.get(USER_KEY) or scope.get(MACHINE_KEY)
        if caller is None:
            raise LoginRequired(scope.get(UNAVAILABLE_KEY), navigate=True)
        if not requirement.allows(caller):
            raise Forbidden()
        return caller

    return dependency


def require_groups(*names: str,
                   all: bool = False) -> Callable[[Request], Awaitable[User]]:
    """A dependency: the signed-in ``User`` in any of ``names`` (``all=True``: every one)."""
    check = _checked(groups(*names, all=all))

    async def dependency(request: Request) -> User:
        user = await check(request)
        assert isinstance(user, User)  # a group requirement never lets a machine through
        return user

    return dependency


def require_scopes(*names: str,
                   any: bool = False) -> Callable[[Request], Awaitable[User | Machine]]:
    """A dependency: the caller whose access token has all of ``names`` (``any=True``: one) — a
    signed-in ``User``, or a ``Machine`` (client-credentials bearer token)."""
    return _checked(scopes(*names, any=any))
