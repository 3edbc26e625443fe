"""Federated sign-in through a simulated IdP (cognito-behaviour.md §0.1, §1.1, §3).

``/oauth2/authorize?identity_provider=…`` (or ``idp_identifier=…``) sends the browser to
``/_idp/{provider}/authorize``: Local Cognito's stand-in for Google, Apple, a SAML or OIDC IdP,
where a person types (or picks) the external identity. Its form posts the IdP's claims to
Cognito's own return endpoint, ``/oauth2/idpresponse`` (``/saml2/idpresponse`` for SAML), which
creates or links the user and answers the app like any sign-in. A browser still signed in at
the IdP comes straight back, as from a real IdP.
"""

from __future__ import annotations

import dataclasses
import secrets
import uuid
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response

from ..config import IdentityProviderConfig
from ..delivery import deliver, deliver_error
from ..errors import CognitoError
from ..federation import Federation, identities
from ..hosted_ui import csrf_ok
from ..oauth_request import AppError, AuthorizeRequest
from ..responses import redirect
from ..store import User
from .context import authorize_request, authorized_form, pool
from .login import EXPIRED_FORM, unavailable

__all__ = ["idp_page", "idp_response", "idp_single_logout", "to_idp"]


def to_idp(request: Request, req: AuthorizeRequest) -> Response | None:
    """Where ``identity_provider``/``idp_identifier`` send the browser at /oauth2/authorize:
    the IdP, the sign-in page saying the option is unavailable, or None (the hosted UI)."""
    name, identifier = req.identity_provider, req.idp_identifier
    if (not name or name == "COGNITO") and not identifier:
        return None
    idp = pool(request).federation.resolve(name, identifier, req.client)
    if idp is None:
        return unavailable(request, req)
    return redirect(f"/_idp/{quote(idp.name, safe='')}/authorize?{req.query}")


async def idp_page(request: Request) -> Response:
    lc = pool(request)
    req = authorize_request(request)
    if isinstance(req, Response):
        return req
    idp = lc.federation.resolve(request.path_params["provider"], None, req.client)
    if idp is None:
        return unavailable(request, req)
    known = lc.federation.idp_session(request, idp) if req.prompt != "login" else None
    if known is not None:
        return _finish(request, req, idp, known)
    return _page(request, req, idp)


def _page(
    request: Request,
    req: AuthorizeRequest,
    idp: IdentityProviderConfig,
    *,
    status: int = 200,
    errors: list[str] | None = None,
    claims: dict[str, str] | None = None,
) -> Response:
    lc = pool(request)
    fields = [
        (claim, attribute, (claims or {}).get(claim, _suggestion(idp, claim, req)))
        for attribute, claim in idp.attribute_mapping.items()
    ]
    known = [(u, _claims_of(idp, u)) for u in lc.federation.known_users(idp)]
    endpoint = "/saml2/idpresponse" if idp.type == "SAML" else "/oauth2/idpresponse"
    return lc.ui.page(
        request,
        "idp.html",
        status=status,
        query=req.query,
        idp=idp,
        label=Federation.label(idp),
        action=f"{endpoint}?{req.query}",
        fields=fields,
        known=known,
        errors=errors,
    )


def _suggestion(idp: IdentityProviderConfig, claim: str, req: AuthorizeRequest) -> str:
    """A ready value so one click signs in: a fresh subject in the IdP's style, the
    ``login_hint`` as the address, verified e-mail."""
    if claim == idp.subject_claim:
        if idp.type in ("Google", "Facebook"):
            return str(10**20 + secrets.randbelow(9 * 10**20))
        return str(uuid.uuid4())
    if claim == idp.attribute_mapping.get("email"):
        return req.login_hint or ""
    if claim == idp.attribute_mapping.get("email_verified"):
        return "true"
    return ""


def _claims_of(idp: IdentityProviderConfig, user: User) -> dict[str, str]:
    """The claims that sign ``user`` in again through ``idp`` (its mapping, inverted)."""
    subject = next(
        (str(e["userId"]) for e in identities(user) if e.get("providerName") == idp.name), ""
    )
    values = {"email": user.email, **user.attributes}
    claims = {
        claim: values.get(attribute, "")
        for attribute, claim in idp.attribute_mapping.items()
        if attribute != "username"
    }
    return {**claims, idp.subject_claim: subject}


async def idp_response(request: Request) -> Response:
    """The IdP's answer: its claims in, the app's code (or error) out."""
    lc = pool(request)
    posted = await authorized_form(request)
    if isinstance(posted, Response):
        return posted
    req, form = posted[0], posted[1] or {}
    saml = request.url.path.startswith("/saml2/")
    idp = lc.federation.resolve(form.get("provider"), None, req.client)
    if idp is None or (idp.type == "SAML") != saml:
        return unavailable(request, req)
    claims = {k[len("claim:") :]: v for k, v in form.items() if k.startswith("claim:")}
    if not csrf_ok(request, form):
        return _page(request, req, idp, status=400, errors=[EXPIRED_FORM], claims=claims)
    try:
        user = lc.federation.sign_in(idp, claims)
    except CognitoError as exc:
        return _page(request, req, idp, status=400, errors=[exc.message], claims=claims)
    if not user.enabled:
        error = AppError(req.redirect_uri, "invalid_request", req.state, "User is disabled.")
        return deliver_error(lc, request, error)
    return _finish(request, req, idp, user)


def _finish(
    request: Request, req: AuthorizeRequest, idp: IdentityProviderConfig, user: User
) -> Response:
    """Answer the app and start both sessions (Cognito's and the IdP's). With no ``nonce``
    from the app, Cognito puts one of its own in the ID token of a federated sign-in (§9.2)."""
    lc = pool(request)
    req = dataclasses.replace(req, nonce=req.nonce or secrets.token_urlsafe(64))
    now = int(lc.clock.now())
    response = deliver(lc, request, req, user, now)
    lc.sessions.start(response, user, now)
    lc.federation.start_idp_session(request, response, idp, user)
    return response


async def idp_single_logout(request: Request) -> Response:
    """The SAML IdP's single-logout endpoint: ends the IdP session, then hands back to
    Cognito's ``/saml2/logout`` with /logout's parameters (§3)."""
    lc = pool(request)
    idp = lc.federation.providers.get(request.path_params["provider"])
    if idp is not None:
        lc.federation.end_idp_session(request, idp)
    return redirect(f"/saml2/logout?{request.url.query}")
