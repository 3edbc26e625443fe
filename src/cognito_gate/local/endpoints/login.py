"""``GET/POST /login``: the sign-in page and its form (cognito-behaviour.md §2).

The form posts ``username``, ``password`` and ``_csrf`` back to the same URL (the authorization
request stays in the query string). A live session adds a "Sign in as …" button that reuses it.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ..delivery import deliver
from ..errors import CognitoError
from ..federation import UNAVAILABLE, Federation
from ..hosted_ui import csrf_ok
from ..oauth_request import AuthorizeRequest
from ..passwords import verify_password
from ..responses import redirect
from .context import authorize_request, authorized_form, no_local_sign_in, pool, with_param

INCORRECT = "Incorrect username or password."
MISSING_USERNAME = "Enter your email address."
MISSING_PASSWORD = "Enter your password."
EXPIRED_FORM = "This page has expired. Please try again."


def _page(
    request: Request, req: AuthorizeRequest, *, status: int = 200, **context: Any
) -> Response:
    lc = pool(request)
    session = lc.sessions.current(request, req.client) if req.prompt != "login" else None
    context.setdefault("username", req.login_hint or "")
    providers = [
        (Federation.label(idp), with_param(req.query, "identity_provider", idp.name))
        for idp in lc.federation.offered(req.client)
    ]
    return lc.ui.page(
        request,
        "login.html",
        status=status,
        query=req.query,
        session_email=(session.user.email or session.user.username) if session else None,
        providers=providers,
        email_usernames=lc.config.email_usernames,
        local_sign_in=req.client.supports("COGNITO"),
        **context,
    )


def unavailable(request: Request, req: AuthorizeRequest) -> Response:
    """The sign-in page for an ``identity_provider`` the pool does not offer (unknown, or
    disabled), as Cognito's hosted UI answers it."""
    return _page(request, req, status=400, errors=[UNAVAILABLE])


def login_page_with(
    request: Request, req: AuthorizeRequest, email: str, *, status: int = 200, **context: Any
) -> Response:
    """The sign-in page for ``email`` after another page (confirmation, password reset)."""
    return _page(request, req, status=status, username=email, **context)


async def login_page(request: Request) -> Response:
    req = authorize_request(request)
    if isinstance(req, Response):
        return req
    return _page(request, req)


async def login_submit(request: Request) -> Response:
    lc = pool(request)
    posted = await authorized_form(request)
    if isinstance(posted, Response):
        return posted
    req, form = posted
    if form is None or not csrf_ok(request, form):
        return _page(request, req, status=400, errors=[EXPIRED_FORM])
    if form.get("reuse_session") == "true":
        session = lc.sessions.current(request, req.client)
        if session is None:
            return _page(
                request, req, status=400, errors=["Your session has expired. Please sign in again."]
            )
        response = deliver(lc, request, req, session.user, session.auth_time)
        lc.sessions.renew(response, session)
        return response
    refused = no_local_sign_in(request, req)
    if refused is not None:
        return refused
    username, password = form.get("username", "").strip(), form.get("password", "")
    missing = [m for m, v in ((MISSING_USERNAME, username), (MISSING_PASSWORD, password)) if not v]
    if missing:  # say what to fill in; "incorrect" would blame a password never typed
        return _page(request, req, status=400, errors=missing, username=username)
    try:
        user = lc.accounts.password_sign_in(username, password, hide_users=req.client.hides_users)
    except CognitoError as exc:
        return _refused(request, req, exc, username, password)
    if user.status == "FORCE_CHANGE_PASSWORD":
        response = redirect(f"/changePassword?{with_param(req.query, 'username', user.email)}")
        lc.sessions.start_pending(response, user)
        return response
    response = deliver(lc, request, req, user, int(lc.clock.now()))
    lc.sessions.start(response, user, int(lc.clock.now()))
    return response


def _refused(
    request: Request, req: AuthorizeRequest, exc: CognitoError, username: str, password: str
) -> Response:
    """Where a refused sign-in goes: the confirmation page for an unconfirmed account (once the
    password is proved), the reset-code page for RESET_REQUIRED, otherwise the form again."""
    lc = pool(request)
    user = lc.accounts.find(username)
    if exc.kind == "UserNotConfirmedException" and user is not None:
        if not verify_password(password, user.password_hash):
            return _page(request, req, status=400, errors=[INCORRECT], username=username)
        lc.new_confirmation_code(user.email)
        response = redirect(f"/confirm?{with_param(req.query, 'username', user.email)}")
        lc.sessions.start_pending(response, user)
        return response
    if exc.kind == "PasswordResetRequiredException" and user is not None:
        return redirect(f"/confirmForgotPassword?{with_param(req.query, 'username', user.email)}")
    return _page(request, req, status=400, errors=[exc.message], username=username)
