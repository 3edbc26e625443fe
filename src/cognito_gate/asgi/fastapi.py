"""FastAPI dependencies: ``Depends(auth.optional_user)`` and ``Depends(auth.require_user)``.

Pages under a protected prefix are guarded by the middleware (it redirects browsers to sign in);
``require_user`` is for API routes and answers 401 JSON with ``WWW-Authenticate: Bearer``. When
the app went through ``auth.wrap(app)``, that JSON has the middleware's own shape
(``{"error": "login_required", "message": …}``); elsewhere FastAPI's ``{"detail": …}``.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from ..core.errors import CATALOGUE, AuthError, ProviderUnavailable
from ..core.user import User
from .pages import error_response

__all__ = ["LoginRequired", "login_required_response", "optional_user", "require_user"]


class LoginRequired(HTTPException):
    """Raised by ``require_user``; an ``HTTPException`` so any Starlette app answers 401 — or
    503 + ``Retry-After`` when the session is kept but the provider could not be reached to
    check it (RF-07: an API client must not take an outage for a sign-out)."""

    def __init__(self, unavailable: ProviderUnavailable | None = None) -> None:
        self.error: AuthError = unavailable or AuthError.of("login_required")
        headers = ({"Retry-After": str(unavailable.retry_after)} if unavailable is not None
                   else {"WWW-Authenticate": "Bearer"})
        super().__init__(self.error.status, detail=CATALOGUE[self.error.code].message,
                         headers=headers)


async def login_required_response(request: Request, exc: Exception) -> Response:
    """Exception handler that answers ``LoginRequired`` like the middleware answers APIs."""
    error = exc.error if isinstance(exc, LoginRequired) else AuthError.of("login_required")
    return error_response(error, as_json=True)


async def optional_user(request: Request) -> User | None:
    """The signed-in user, or None."""
    user: User | None = request.scope.get("cognito_gate.user")
    return user


async def require_user(request: Request) -> User:
    """The signed-in user; otherwise a 401 ``login_required`` (FastAPI renders it as JSON), or a
    503 ``provider_unavailable`` if the middleware kept a session it could not check."""
    user: User | None = request.scope.get("cognito_gate.user")
    if user is None:
        raise LoginRequired(request.scope.get("cognito_gate.unavailable"))
    return user
