"""The benchmark's WSGI apps (issue 12), chosen by BENCH_APP: the same one-line page in Flask or
Django, with or without cognito-gate, or (Flask) with flask-cognito-lib.

- ``flask-plain`` / ``django-plain``: no auth at all — the baseline.
- ``flask-ours`` / ``django-ours``: ``CognitoGate`` / ``CognitoGateMiddleware``; the page needs a
  signed-in user (``@login_required``) and greets them.
- ``flask-fcl``: flask-cognito-lib itself (the dev group's, configured as its README says, with
  the ``Config`` subclass for Local Cognito's issuer the interop test uses): ``@auth_required()``
  reads the ``cognito_access_token`` cookie and verifies it on every request — a new
  ``TokenService`` per request (it lives on ``g``), so a new ``PyJWKClient`` fetches the pool's
  JWKS over HTTP every time, then PyJWT checks the RS256 signature, ``exp``/``iat``/``iss`` and
  ``client_id``.

Settings (COGNITO_*, APP_URL, SESSION_SECRET) come from the environment."""

from __future__ import annotations

import os
from typing import Any

VARIANT = os.environ.get("BENCH_APP", "flask-plain")


def _flask() -> Any:
    from flask import Flask

    app = Flask(__name__)
    if VARIANT == "flask-ours":
        from cognito_gate.flask import CognitoGate, current_user, login_required

        CognitoGate(app)

        @app.get("/page")
        @login_required
        def page() -> str:
            assert current_user is not None
            return f"<p>Hello {current_user.email}</p>"

        return app
    if VARIANT == "flask-fcl":
        from flask_cognito_lib import CognitoAuth
        from flask_cognito_lib.config import Config
        from flask_cognito_lib.decorators import auth_required

        issuer = os.environ["COGNITO_ISSUER"]

        class LocalIssuer(Config):  # type: ignore[misc]
            """Its README's ConfigOverride: it builds an AWS issuer from region + pool."""

            @property
            def issuer(self) -> str:
                return issuer

        app.config.update(
            SECRET_KEY=os.environ["SESSION_SECRET"], AWS_REGION="us-east-1",
            AWS_COGNITO_USER_POOL_ID=os.environ["COGNITO_USER_POOL_ID"],
            AWS_COGNITO_DOMAIN=os.environ["COGNITO_DOMAIN"],
            AWS_COGNITO_USER_POOL_CLIENT_ID=os.environ["COGNITO_CLIENT_ID"],
            AWS_COGNITO_USER_POOL_CLIENT_SECRET=os.environ["COGNITO_CLIENT_SECRET"],
            AWS_COGNITO_REDIRECT_URL=os.environ["APP_URL"] + "/callback",
            AWS_COGNITO_LOGOUT_URL=os.environ["APP_URL"] + "/")
        CognitoAuth(app, cfg=LocalIssuer())

        @app.get("/page")
        @auth_required()
        def fcl_page() -> str:
            return "<p>Hello signed-in user</p>"

        return app

    @app.get("/page")
    def plain_page() -> str:
        return "<p>Hello anonymous</p>"

    return app


def _django() -> Any:
    import django
    from django.conf import settings
    from django.core.wsgi import get_wsgi_application

    ours = VARIANT == "django-ours"
    settings.configure(
        DEBUG=False, ALLOWED_HOSTS=["localhost", "127.0.0.1"], ROOT_URLCONF=__name__,
        SECRET_KEY="bench-only-django-secret-key-0123456789", USE_TZ=True,
        INSTALLED_APPS=["cognito_gate.django"] if ours else [],
        MIDDLEWARE=["django.middleware.security.SecurityMiddleware",
                    "django.middleware.csrf.CsrfViewMiddleware",
                    *(["cognito_gate.django.middleware.CognitoGateMiddleware"] if ours else [])],
    )
    django.setup()
    return get_wsgi_application()


def __getattr__(name: str) -> Any:  # Django's ROOT_URLCONF is this module
    if name != "urlpatterns":
        raise AttributeError(name)
    from django.http import HttpResponse
    from django.urls import include, path

    routes = []
    if VARIANT == "django-ours":
        from cognito_gate.django.decorators import login_required

        @login_required
        def page(request: Any) -> HttpResponse:
            return HttpResponse(f"<p>Hello {request.cognito_user.email}</p>")

        routes = [path("", include("cognito_gate.django.urls"))]
    else:
        def page(request: Any) -> HttpResponse:
            return HttpResponse("<p>Hello anonymous</p>")

    return [path("page", page), *routes]


app = _flask() if VARIANT.startswith("flask") else _django()
