"""The demo app: a small site that signs people in with cognito-gate, using only its public API."""

# No `from __future__ import annotations`: FastAPI must see the real `Annotated` dependency types.
from http import HTTPStatus
from typing import Annotated, Any

import httpx
from fastapi import Depends, FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from cognito_gate import AuthError, Clock, CognitoAuth, Machine, Settings, User

from .render import (
    STATIC_DIR,
    claim_rows,
    describe_expiry,
    identity_providers,
    page,
    wants_page,
)

PLAIN_PAGES = {  # status -> (title, message) for the app's own HTTP errors
    404: (
        "Page not found",
        "There is no page at this address. Check the link, or start again from the home page.",
    ),
    405: ("Not allowed", "This page cannot be used that way. Start again from the home page."),
}
USER_SCOPE_KEY = "cognito_gate.user"  # on the ASGI scope when the sign-in state is known
GENERIC_MESSAGE = "Something went wrong on our side. Please try again in a moment."
SIGN_IN_AGAIN = frozenset({400, 401, 429})  # failed, expired or looping sign-in attempts


def create_app(
    settings: Settings, *, http: httpx.AsyncClient | None = None, clock: Clock | None = None
) -> ASGIApp:
    """Build the demo: `/`, `/protected`, `/admin` (group `admins`), `/api/me`, `/api/reports`
    (scope `reports/read`, for users and machines), `/metrics` (Prometheus), and styled pages
    for every error. The library's audit events go to its log as JSON lines, which
    `cognito-gate demo` shows in the terminal."""

    def auth_error_page(request: Request, error: AuthError) -> Response:
        # The library leaves the user off the scope when it does not know the sign-in state
        # (an outage, a refused sign-out): then the header must not claim "Not signed in".
        return error_page(
            request,
            error.status,
            error.title,
            error.message,
            error.code,
            state_known=USER_SCOPE_KEY in request.scope,
        )

    def error_page(
        request: Request,
        status: int,
        title: str,
        message: str,
        code: str | None = None,
        *,
        state_known: bool = True,
    ) -> Response:
        # Offer the one next step that can help: retry an outage, or start sign-in afresh.
        retry = None
        if status == HTTPStatus.SERVICE_UNAVAILABLE:
            same_page = request.method == "GET" and request.url.path != settings.callback_path
            retry = ("Try again", auth.return_to(request) if same_page else "/login")
        elif status in SIGN_IN_AGAIN:
            retry = ("Sign in again", "/login")
        return page(
            request,
            "error.html",
            status_code=status,
            status=status,
            state_known=state_known,
            title=title,
            message=message,
            code=code,
            retry=retry,
        )

    auth = CognitoAuth(
        settings, protect=("/protected",), http=http, clock=clock, render_error=auth_error_page
    )
    signed_in = Annotated[User, Depends(auth.require_user)]
    admin = Annotated[User, Depends(auth.require_groups("admins"))]
    reader = Annotated[User | Machine, Depends(auth.require_scopes("reports/read"))]

    app = FastAPI(title="cognito-gate demo", docs_url=None, redoc_url=None, openapi_url=None)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    # Open to anyone here, on loopback; a real app serves it where only its scraper can reach.
    app.router.routes.append(Route("/metrics", auth.metrics_app(), include_in_schema=False))

    @app.get("/")
    async def home(request: Request) -> Response:
        # Also the post-logout landing page: it shows the state and ignores any query parameters.
        return page(request, "home.html", page="home", csrf=auth.csrf_token(request))

    @app.get("/protected")
    async def protected(request: Request, user: signed_in) -> Response:
        return page(
            request,
            "protected.html",
            page="protected",
            user=user,
            csrf=auth.csrf_token(request),
            claims=claim_rows(user.claims),
            providers=identity_providers(user.claims),
            expiry=describe_expiry(user.expires_at, auth.clock.now()),
        )

    @app.get("/admin")
    async def admin_page(request: Request, user: admin) -> Response:
        # Members of `admins` only: others get the styled 403 page, anonymous visitors sign in.
        return page(request, "admin.html", page="admin", user=user, csrf=auth.csrf_token(request))

    @app.get("/api/reports")
    async def reports(caller: reader) -> dict[str, Any]:
        # A token with the `reports/read` scope: a machine (client credentials) or a user.
        if isinstance(caller, Machine):
            return {"caller": "machine", "client_id": caller.client_id, "reports": ["q3"]}
        return {"caller": "user", "sub": caller.sub, "reports": ["q3"]}

    @app.get("/api/me")
    async def me(user: signed_in) -> dict[str, Any]:
        return {
            "sub": user.sub,
            "username": user.username,
            "email": user.email,
            "groups": list(user.groups),
            "expires_at": user.expires_at,
            "claims": user.claims,
        }

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        if not wants_page(request):
            return await http_exception_handler(request, exc)
        status = HTTPStatus(exc.status_code)
        title, message = PLAIN_PAGES.get(status, (status.phrase, GENERIC_MESSAGE))
        return error_page(request, status, title, message)

    @app.exception_handler(Exception)
    async def crash(request: Request, exc: Exception) -> Response:
        # Starlette still re-raises `exc` afterwards, so the server logs the traceback.
        if not wants_page(request):
            return JSONResponse({"detail": "Internal Server Error"}, status_code=500)
        return error_page(request, 500, "Something went wrong", GENERIC_MESSAGE)

    return auth.wrap(app)
