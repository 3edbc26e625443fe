"""``GET/POST /signup`` and ``GET/POST /confirm``: self-service sign-up by e-mail code.

After sign-up the browser goes to /confirm; the right code confirms the account and, when this
browser is the one that gave the password, finishes the same authorization request.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ..accounts import normalize_email, valid_email
from ..delivery import deliver
from ..errors import CognitoError
from ..hosted_ui import csrf_ok
from ..oauth_request import AuthorizeRequest
from ..passwords import policy_problems
from ..responses import redirect
from .context import authorize_request, authorized_form, pool, query_value, with_param
from .login import EXPIRED_FORM, login_page_with

INVALID_CODE = "Invalid verification code provided, please try again."
CODE_ERRORS = {
    "CodeMismatchException": INVALID_CODE,
    "ExpiredCodeException": INVALID_CODE,
    "LimitExceededException": "Attempt limit exceeded. Send a new code and try again.",
}


def _signup_page(
    request: Request, req: AuthorizeRequest, *, status: int = 200, **context: Any
) -> Response:
    """The form; a pool of real usernames asks for one too (the e-mail is then an alias)."""
    lc = pool(request)
    context.setdefault("email", "")
    context.setdefault("username", "")
    return lc.ui.page(
        request,
        "signup.html",
        status=status,
        query=req.query,
        ask_username=not lc.config.email_usernames,
        **context,
    )


async def signup_page(request: Request) -> Response:
    req = authorize_request(request, local=True)
    if isinstance(req, Response):
        return req
    return _signup_page(request, req)


async def signup_submit(request: Request) -> Response:
    lc = pool(request)
    posted = await authorized_form(request, local=True)
    if isinstance(posted, Response):
        return posted
    req, form = posted[0], posted[1] or {}  # an unreadable form is an empty one
    email, password = normalize_email(form.get("email", "")), form.get("password", "")
    username = None if lc.config.email_usernames else form.get("username", "").strip()
    errors = [] if csrf_ok(request, form) else [EXPIRED_FORM]
    if username is not None and not username:
        errors.append("Enter a username.")
    if not valid_email(email):
        errors.append("Enter a valid email address, like name@example.com.")
    errors += policy_problems(password)
    if not errors and lc.user(email) is not None:
        errors.append("An account with the given email already exists.")
    if not errors:
        try:
            lc.add_user(email, password, confirmed=False, username=username)
        except CognitoError as exc:
            errors.append(exc.message)
    if errors:
        return _signup_page(
            request, req, status=400, email=email, username=username or "", errors=errors
        )
    user = lc.user(email)
    assert user is not None
    lc.new_confirmation_code(email)
    response = redirect(f"/confirm?{with_param(req.query, 'username', email)}")
    lc.sessions.start_pending(response, user)
    return response


def _confirm_page(
    request: Request, req: AuthorizeRequest, email: str, *, status: int = 200, **context: Any
) -> Response:
    return pool(request).ui.page(
        request, "confirm.html", status=status, query=req.query, email=email, **context
    )


async def confirm_page(request: Request) -> Response:
    req = authorize_request(request, local=True)
    if isinstance(req, Response):
        return req
    email = normalize_email(query_value(request, "username") or "")
    if not email:
        return redirect(f"/signup?{req.query}")
    return _confirm_page(request, req, email)


async def confirm_submit(request: Request) -> Response:
    lc = pool(request)
    posted = await authorized_form(request, local=True)
    if isinstance(posted, Response):
        return posted
    req, form = posted[0], posted[1] or {}  # an unreadable form is an empty one
    email = normalize_email(form.get("username", ""))
    if not csrf_ok(request, form):
        return _confirm_page(request, req, email, status=400, errors=[EXPIRED_FORM])
    user = lc.user(email) if email else None
    if form.get("resend") == "true":
        if user is not None and not user.confirmed:
            lc.new_confirmation_code(user.email)
        return _confirm_page(request, req, email, notice=f"We sent a new code to {email}.")
    if user is not None and user.confirmed:
        return _confirm_page(
            request,
            req,
            email,
            status=400,
            errors=["This account is already confirmed. Sign in instead."],
        )
    try:
        if user is None:
            raise CognitoError("ExpiredCodeException", INVALID_CODE)
        lc.accounts.confirm_sign_up(user, form.get("code", ""))
    except CognitoError as exc:
        return _confirm_page(
            request, req, email, status=400, errors=[CODE_ERRORS.get(exc.kind, exc.message)]
        )
    if not lc.sessions.take_pending(request, user):
        return login_page_with(
            request, req, email, notice="Your account is confirmed. Sign in to continue."
        )
    response = deliver(lc, request, req, user, int(lc.clock.now()))
    lc.sessions.clear_pending(response)
    lc.sessions.start(response, user, int(lc.clock.now()))
    return response
