"""mozilla-django-oidc as its docs configure it, signing in against a served Local Cognito.

Run as ``python -m tests.interop.django_rp`` by test_mozilla_django_oidc.py: Django's settings
are per process, and the in-process framework tests configure Django their own way. The
provider's addresses come from the environment; the last line printed is what the app saw.
"""

from __future__ import annotations

import json
import os

import django
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.management import call_command
from django.http import HttpRequest, JsonResponse
from django.test import Client
from django.urls import include, path

from .local_op import hosted_ui_sign_in

APP_HOST = "localhost"


@login_required
def whoami(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"email": request.user.email, "oidc": "oidc_id_token_expiration" in
                         request.session})


def configure() -> None:
    issuer, base = os.environ["ISSUER"], os.environ["BASE_URL"]
    settings.configure(
        DEBUG=False, ALLOWED_HOSTS=[APP_HOST], ROOT_URLCONF=__name__, USE_TZ=True,
        SECRET_KEY="interop-only-django-secret-key-0123456789",
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
        INSTALLED_APPS=["django.contrib.auth", "django.contrib.contenttypes",
                        "django.contrib.sessions", "mozilla_django_oidc"],
        MIDDLEWARE=["django.contrib.sessions.middleware.SessionMiddleware",
                    "django.contrib.auth.middleware.AuthenticationMiddleware"],
        AUTHENTICATION_BACKENDS=["mozilla_django_oidc.auth.OIDCAuthenticationBackend"],
        LOGIN_URL="/oidc/authenticate/", LOGIN_REDIRECT_URL="/me",
        OIDC_RP_CLIENT_ID=os.environ["CLIENT_ID"],
        OIDC_RP_CLIENT_SECRET=os.environ["CLIENT_SECRET"],
        OIDC_RP_SIGN_ALGO="RS256",
        OIDC_RP_SCOPES="openid email profile",
        OIDC_USE_PKCE=True,
        OIDC_OP_AUTHORIZATION_ENDPOINT=f"{base}/oauth2/authorize",
        OIDC_OP_TOKEN_ENDPOINT=f"{base}/oauth2/token",
        OIDC_OP_USER_ENDPOINT=f"{base}/oauth2/userInfo",
        OIDC_OP_JWKS_ENDPOINT=f"{issuer}/.well-known/jwks.json",
    )
    django.setup()
    call_command("migrate", verbosity=0)
    # the library's urls.py reads settings on import, so the URLconf exists only from here on
    globals()["urlpatterns"] = [path("oidc/", include("mozilla_django_oidc.urls")),
                                path("me", whoami)]


def main() -> None:
    configure()
    app = Client(SERVER_NAME=APP_HOST)
    start = app.get("/oidc/authenticate/")
    assert start.status_code == 302, start.content
    callback = hosted_ui_sign_in(start["Location"])
    done = app.get(callback.removeprefix(f"http://{APP_HOST}"))
    me = app.get(done["Location"]) if done.status_code == 302 else done
    print(json.dumps({"authorize": start["Location"], "callback_status": done.status_code,
                      "landed": done.get("Location"), "me_status": me.status_code,
                      "me": me.json() if me.status_code == 200 else None}))


if __name__ == "__main__":
    main()
