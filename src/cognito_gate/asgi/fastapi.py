"""FastAPI dependencies: ``Depends(auth.optional_user)`` and ``Depends(auth.require_user)``.

Pages under a protected prefix are guarded by the middleware (it redirects browsers to sign in);
``require_user`` is for API routes and answers 401 JSON with ``WWW-Authenticate: Bearer``.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request

from ..core.errors import CATALOGUE
from ..core.user import User

__all__ = ["optional_user", "require_user"]


async def optional_user(request: Request) -> User | None:
    """The signed-in user, or None."""
    user: User | None = request.scope.get("cognito_gate.user")
    return user


async def require_user(request: Request) -> User:
    """The signed-in user; otherwise a 401 ``login_required`` (FastAPI renders it as JSON)."""
    user: User | None = request.scope.get("cognito_gate.user")
    if user is None:
        raise HTTPException(401, detail=CATALOGUE["login_required"].message,
                            headers={"WWW-Authenticate": "Bearer"})
    return user
