"""Passwords at the hosted UI: the forced change after a temporary password
(``/changePassword``) and the reset by e-mailed code (``/forgotPassword`` →
``/confirmForgotPassword``). The same accounts layer as the JSON API decides every outcome.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ..accounts import normalize_email
from ..delivery import deliver
from ..errors import CognitoError
from ..hosted_ui import csrf_ok
from ..oauth_request import AuthorizeRequest
from ..passwords import policy_problems
from ..responses import redirect
from .context import authorize_request, authorized_form, pool, query_value, with_param
from .login import EXPIRED_FORM, login_page_with
from .signup import CODE_ERRORS

NOT_FOUND = "Username/client id combination not found."


def _show(
    request: Request, req: AuthorizeRequest, template: str, *, status: int = 200, **context: Any
) -> Response:
    context.setdefault("email", "")
    return pool(request).ui.page(request, template, status=status, query=req.query, **context)


async def _posted(request: Request) -> tuple[AuthorizeRequest, dict[str, str], str] | Response:
    """The opening of every password form post: the authorization request it belongs to, the
    form (empty when unreadable) and the normalised address it is for — or the answer already
    given (a bad authorization request)."""
    posted = await authorized_form(request, local=True)
    if isinstance(posted, Response):
        return posted
    req, form = posted[0], posted[1] or {}
    return req, form, normalize_email(form.get("username", ""))


def new_password_problems(form: dict[str, str]) -> list[str]:
    """The new password against the policy, and the two copies against each other."""
    password = form.get("password", "")
    problems = policy_problems(password)
    if password != form.get("confirm_password", ""):
        problems.append("The two passwords do not match.")
    return problems


async def page(request: Request, template: str) -> Response:
    """GET of any of the three pages: the form, for the address in ``username``."""
    req = authorize_request(request, local=True)
    if isinstance(req, Response):
        return req
    email = normalize_email(query_value(request, "username") or "")
    return _show(request, req, template, email=email)


async def change_password_page(request: Request) -> Response:
    return await page(request, "change_password.html")


async def forgot_password_page(request: Request) -> Response:
    return await page(request, "forgot_password.html")


async def confirm_forgot_password_page(request: Request) -> Response:
    return await page(request, "confirm_forgot_password.html")


async def change_password_submit(request: Request) -> Response:
    """The answer to a temporary password: needs this browser's proof that it just gave it."""
    lc = pool(request)
    posted = await _posted(request)
    if isinstance(posted, Response):
        return posted
    req, form, email = posted
    user = lc.accounts.find(email)
    if not csrf_ok(request, form):
        return _show(
            request, req, "change_password.html", status=400, email=email, errors=[EXPIRED_FORM]
        )
    if user is None or not lc.sessions.pending_for(request, user):
        return login_page_with(
            request,
            req,
            email,
            status=400,
            errors=["Your session has expired. Please sign in again."],
        )
    problems = new_password_problems(form)
    if problems:
        return _show(
            request,
            req,
            "change_password.html",
            status=400,
            email=email,
            errors=problems,
            password_invalid=True,
        )
    user = lc.accounts.complete_new_password(user, form["password"])
    lc.sessions.take_pending(request, user)
    now = int(lc.clock.now())
    response = deliver(lc, request, req, user, now)
    lc.sessions.clear_pending(response)
    lc.sessions.start(response, user, now)
    return response


async def forgot_password_submit(request: Request) -> Response:
    lc = pool(request)
    posted = await _posted(request)
    if isinstance(posted, Response):
        return posted
    req, form, email = posted
    if not csrf_ok(request, form):
        return _show(
            request, req, "forgot_password.html", status=400, email=email, errors=[EXPIRED_FORM]
        )
    user = lc.accounts.find(email) if email else None
    try:
        if user is None and not (email and req.client.hides_users):
            raise CognitoError("UserNotFoundException", NOT_FOUND)
        if user is not None:  # ENABLED: an unknown address goes on as if a code was sent
            lc.accounts.forgot_password(user)
    except CognitoError as exc:
        return _show(
            request, req, "forgot_password.html", status=400, email=email, errors=[exc.message]
        )
    return redirect(f"/confirmForgotPassword?{with_param(req.query, 'username', email)}")


async def confirm_forgot_password_submit(request: Request) -> Response:
    lc = pool(request)
    posted = await _posted(request)
    if isinstance(posted, Response):
        return posted
    req, form, email = posted
    errors = [] if csrf_ok(request, form) else [EXPIRED_FORM]
    problems = new_password_problems(form)
    errors += problems
    user = lc.accounts.find(email) if email else None
    if not errors:
        try:
            if user is None:
                raise CognitoError("ExpiredCodeException", NOT_FOUND)
            lc.accounts.confirm_forgot_password(user, form.get("code", ""), form["password"])
        except CognitoError as exc:
            errors.append(CODE_ERRORS.get(exc.kind, exc.message))
    if errors:
        return _show(
            request,
            req,
            "confirm_forgot_password.html",
            status=400,
            email=email,
            errors=errors,
            password_invalid=bool(problems),
        )
    return login_page_with(
        request, req, email, notice="Your password has been reset. Sign in with your new password."
    )
