"""Answering the app at its redirect_uri: a code (or implicit tokens), or an error.

Every page that finishes a sign-in (/oauth2/authorize with a session, /login, /confirm) ends
here, so the authorize fault switches (``iss``, forced errors, ``form_post``) apply everywhere.
"""

from __future__ import annotations

import os
import uuid
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from .faults import AuthorizeFault
from .oauth_request import AppError, AuthorizeRequest
from .responses import redirect
from .store import Grant, User

if TYPE_CHECKING:
    from .local_cognito import LocalCognito

__all__ = ["deliver", "deliver_error"]

Params = list[tuple[str, str]]


def _url(base: str, params: Params, *, fragment: bool = False) -> str:
    encoded = urlencode(params, errors="surrogateescape")
    if fragment:
        return f"{base}#{encoded}"
    return f"{base}{'&' if '?' in base else '?'}{encoded}"


def _send(
    lc: LocalCognito,
    request: Request,
    redirect_uri: str,
    params: Params,
    fault: AuthorizeFault | None,
    *,
    fragment: bool = False,
) -> Response:
    if fault is not None and fault.form_post:
        fields = [
            (k, v.encode("utf-8", "surrogateescape").decode("utf-8", "replace")) for k, v in params
        ]
        return lc.ui.page(request, "form_post.html", action=redirect_uri, fields=fields)
    return redirect(_url(redirect_uri, params, fragment=fragment))


def _with_state(params: Params, state: str | None) -> Params:
    return params if state is None else [*params, ("state", state)]


def deliver_error(lc: LocalCognito, request: Request, error: AppError) -> Response:
    params: Params = [("error", error.error)]
    if error.description:
        params.insert(0, ("error_description", error.description))
    return _send(lc, request, error.redirect_uri, _with_state(params, error.state), None)


def deliver(
    lc: LocalCognito, request: Request, req: AuthorizeRequest, user: User, auth_time: int
) -> Response:
    """Finish a sign-in: redirect to the app with a fresh code (or implicit tokens)."""
    fault: AuthorizeFault | None = lc.faults.take("authorize")
    if fault is not None and fault.error:
        params: Params = [("error", fault.error)]
        state = req.state if fault.state else None
        return _send(lc, request, req.redirect_uri, _with_state(params, state), fault)
    if req.response_type == "token":
        return _implicit(lc, request, req, user, auth_time, fault)
    code = str(uuid.UUID(bytes=os.urandom(16)))  # 128 random bits in Cognito's UUID shape
    grant = Grant(
        client_id=req.client.client_id,
        redirect_uri=req.redirect_uri,
        scopes=req.scopes,
        sub=user.sub,
        auth_time=auth_time,
        nonce=req.nonce,
        code_challenge=req.code_challenge,
        resource=req.resource,
    )
    lc.store.save_code(code, grant, lc.clock.now() + lc.config.code_ttl_seconds)
    params = _with_state([("code", code)], req.state)
    if fault is not None and fault.iss:
        params.append(("iss", lc.issuer))
    return _send(lc, request, req.redirect_uri, params, fault)


def _implicit(
    lc: LocalCognito,
    request: Request,
    req: AuthorizeRequest,
    user: User,
    auth_time: int,
    fault: AuthorizeFault | None,
) -> Response:
    """Implicit grant: tokens in the fragment, never a refresh token (§1.3)."""
    lineage = lc.tokens.start_lineage(
        req.client, user.sub, req.scopes, auth_time, resource=req.resource
    )
    issued = lc.tokens.for_user(lineage, user, req.client, nonce=req.nonce)
    params: Params = [("access_token", issued.access_token)]
    if issued.id_token:
        params.append(("id_token", issued.id_token))
    params += [("token_type", "Bearer"), ("expires_in", str(issued.expires_in))]
    return _send(
        lc, request, req.redirect_uri, _with_state(params, req.state), fault, fragment=True
    )
