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

from ..core.errors import CATALOGUE, AuthError
from ..core.user import User
from .pages import error_response

__all__ = ["LoginRequired", "login_required_response", "optional_user", "require_user"]


class LoginRequired(HTTPException):
    """Raised by ``require_user``; an ``HTTPException`` so any Starlette app answers 401."""

    def __init__(self) -> None:
        super().__init__(401, detail=CATALOGUE["login_required"].message,
                         headers={"WWW-Authenticate": "Bearer"})


async def login_required_response(request: Request, exc: Exception) -> Response:
    """Exception handler that answers ``LoginRequired`` like the middleware answers APIs."""
    return error_response(AuthError.of("login_required"), as_json=True)


async def optional_user(request: Request) -> User | None:
    """The signed-in user, or None."""
    user: User | None = request.scope.get("cognito_gate.user")
    return user


async def require_user(request: Request) -> User:
    """The signed-in user; otherwise a 401 ``login_required`` (FastAPI renders it as JSON)."""
    user: User | None = request.scope.get("cognito_gate.user")
    if user is None:
        raise LoginRequired
    return user
