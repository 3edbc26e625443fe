"""``GET /oauth2/authorize``: the redirector (cognito-behaviour.md §1).

With ``identity_provider`` (other than COGNITO) or ``idp_identifier`` it sends the browser to
that IdP (endpoints/federation.py). With a live hosted-UI session it answers the app at once
(silent SSO) unless ``prompt=login``; ``prompt=none`` without one answers ``login_required``;
otherwise it forwards to /login.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ..delivery import deliver, deliver_error
from ..oauth_request import AppError
from ..responses import redirect
from .context import authorize_request, pool
from .federation import to_idp


async def authorize(request: Request) -> Response:
    lc = pool(request)
    req = authorize_request(request)
    if isinstance(req, Response):
        return req
    federated = to_idp(request, req)
    if federated is not None:
        return federated
    session = lc.sessions.current(request, req.client)
    if session is not None and req.prompt != "login":
        response = deliver(lc, request, req, session.user, session.auth_time)
        lc.sessions.renew(response, session)
        return response
    if req.prompt == "none":
        return deliver_error(lc, request, AppError(req.redirect_uri, "login_required", req.state))
    return redirect(f"/login?{req.query}")
