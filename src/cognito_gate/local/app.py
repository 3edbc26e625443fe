"""The ASGI app: routes of the pool domain and the issuer, wrapped in the guard and the fault
injector. Pure Starlette."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Route

from .api import handle as json_api
from .endpoints import (
    admin,
    authorize,
    console,
    federation,
    login,
    logout,
    password,
    revoke,
    signup,
    token,
    userinfo,
    wellknown,
)
from .fault_injection import FaultInjection
from .guard import Guard

if TYPE_CHECKING:
    from .local_cognito import LocalCognito

__all__ = ["build_app"]

ANY_METHOD = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def build_app(lc: LocalCognito) -> Starlette:
    routes = [
        Route("/", console.console, methods=["GET"]),
        Route("/", json_api, methods=["POST"]),
        Route("/oauth2/authorize", authorize.authorize, methods=["GET"]),
        Route("/login", login.login_page, methods=["GET"]),
        Route("/login", login.login_submit, methods=["POST"]),
        # the token endpoint early: the router tries routes in order, and a sign-in's four
        # requests then find theirs among the first six
        Route("/oauth2/token", token.token, methods=ANY_METHOD),
        Route("/signup", signup.signup_page, methods=["GET"]),
        Route("/signup", signup.signup_submit, methods=["POST"]),
        Route("/confirm", signup.confirm_page, methods=["GET"]),
        Route("/confirm", signup.confirm_submit, methods=["POST"]),
        Route("/changePassword", password.change_password_page, methods=["GET"]),
        Route("/changePassword", password.change_password_submit, methods=["POST"]),
        Route("/forgotPassword", password.forgot_password_page, methods=["GET"]),
        Route("/forgotPassword", password.forgot_password_submit, methods=["POST"]),
        Route("/confirmForgotPassword", password.confirm_forgot_password_page, methods=["GET"]),
        Route("/confirmForgotPassword", password.confirm_forgot_password_submit, methods=["POST"]),
        Route("/logout", logout.logout, methods=["GET"]),
        Route("/_idp/{provider}/authorize", federation.idp_page, methods=["GET"]),
        Route("/oauth2/idpresponse", federation.idp_response, methods=["POST"]),
        Route("/saml2/idpresponse", federation.idp_response, methods=["POST"]),
        Route("/_idp/{provider}/saml/logout", federation.idp_single_logout, methods=["GET"]),
        Route("/saml2/logout", logout.saml2_logout, methods=["GET"]),
        Route("/oauth2/userInfo", userinfo.userinfo, methods=["GET", "POST"]),
        Route("/oauth2/revoke", revoke.revoke, methods=ANY_METHOD),
        Route("/error", wellknown.error_page, methods=["GET"]),
        Route("/static/hosted-ui.css", wellknown.css, methods=["GET"]),
        Route("/{pool_id}/.well-known/openid-configuration", wellknown.discovery, methods=["GET"]),
        Route("/{pool_id}/.well-known/jwks.json", wellknown.jwks, methods=["GET"]),
    ]
    if lc.admin_api:
        routes += [
            Route("/_local/faults", admin.faults, methods=["GET", "POST"]),
            Route("/_local/users", admin.users, methods=["POST"]),
            Route("/_local/clock", admin.clock, methods=["GET", "POST"]),
            Route("/_local/keys", admin.keys, methods=["POST"]),
            Route("/_local/confirmation-code", admin.confirmation_code, methods=["GET"]),
        ]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(Guard, lc=lc), Middleware(FaultInjection, lc=lc)],
    )
    app.state.lc = lc
    return app
