"""The benchmark's WSGI apps (issue 12), chosen by BENCH_APP: the same one-line page in Flask or
Django, with or without cognito-gate, or (Flask) with flask-cognito-lib's verification pattern.

- ``flask-plain`` / ``django-plain``: no auth at all — the baseline.
- ``flask-ours`` / ``django-ours``: ``CognitoGate`` / ``CognitoGateMiddleware``; the page needs a
  signed-in user (``@login_required``) and greets them.
- ``flask-fcl``: a STAND-IN written the way flask-cognito-lib's ``@auth_required`` works (it is
  not that library): on every request read the access token cookie, fetch the pool's JWKS over
  HTTP (flask-cognito-lib does not cache it), verify the RS256 signature and check ``exp``,
  ``iss``, ``client_id`` and ``token_use``.

Settings (COGNITO_*, APP_URL, SESSION_SECRET) come from the environment."""

from __future__ import annotations

import os
import time
from typing import Any

import httpx

VARIANT = os.environ.get("BENCH_APP", "flask-plain")


def _flask() -> Any:
    from flask import Flask, abort, g, request

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
        from joserfc import jwt
        from joserfc.jwk import KeySet

        issuer = os.environ["COGNITO_ISSUER"]
        client_id = os.environ["COGNITO_CLIENT_ID"]
        http = httpx.Client(timeout=10)

        @app.before_request
        def verify() -> None:
            token = request.cookies.get("cognito_access_token")
            if token is None:
                abort(401)
            keys = KeySet.import_key_set(http.get(issuer + "/.well-known/jwks.json").json())
            claims = jwt.decode(token, keys, algorithms=["RS256"]).claims
            if claims.get("iss") != issuer or claims.get("client_id") != client_id \
                    or claims.get("token_use") != "access" or claims["exp"] < time.time():
                abort(401)
            g.user = claims

        @app.get("/page")
        def fcl_page() -> str:
            return f"<p>Hello {g.user['username']}</p>"

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
