"""The seed's system as a Django project, for the tests: settings, views and URLs in one module."""

from __future__ import annotations

from typing import Any

import django
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import engines
from django.urls import include, path
from django.views import View

from cognito_gate.sync.loop import LoopThread
from cognito_gate.testing import LocalPool

from .answers import caller_of

HOME = """<p id=who>{% if cognito_user %}Signed in as {{ cognito_user.email }}
<form method=post action="{{ cognito_logout_url }}"><input type=hidden name=csrf
value="{{ cognito_csrf }}"><button>Sign out</button></form>
{% else %}Signed out <a href="{{ cognito_login_url }}">Sign in</a>{% endif %}</p>"""


def configure() -> None:
    """Django's settings for this module (once per process). With ``django.contrib.auth``, the
    admin and ``CognitoBackend`` (``request.user``): the example project under
    ``examples/django_project`` is the one without them."""
    if settings.configured:
        return
    settings.configure(
        DEBUG=False, ALLOWED_HOSTS=["localhost", "127.0.0.1"], ROOT_URLCONF=__name__,
        SECRET_KEY="tests-only-django-secret-key-0123456789",
        INSTALLED_APPS=["cognito_gate.django", "django.contrib.admin", "django.contrib.auth",
                        "django.contrib.contenttypes", "django.contrib.sessions",
                        "django.contrib.messages"],
        MIDDLEWARE=["django.middleware.security.SecurityMiddleware",
                    "django.contrib.sessions.middleware.SessionMiddleware",
                    "django.middleware.csrf.CsrfViewMiddleware",
                    "cognito_gate.django.middleware.CognitoGateMiddleware",
                    "cognito_gate.django.auth.CognitoAuthenticationMiddleware",
                    "django.contrib.messages.middleware.MessageMiddleware"],
        AUTHENTICATION_BACKENDS=["cognito_gate.django.backend.CognitoBackend"],
        COGNITO_STAFF_GROUPS=["staff"], COGNITO_SUPERUSER_GROUPS=["admins"],
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
        TEMPLATES=[{"BACKEND": "django.template.backends.django.DjangoTemplates",
                    "APP_DIRS": True, "DIRS": [],
                    "OPTIONS": {"context_processors": [
                        "django.template.context_processors.request",
                        "django.contrib.auth.context_processors.auth",
                        "django.contrib.messages.context_processors.messages",
                        "cognito_gate.django.context.cognito"]}}],
        COGNITO_GATE_OPTIONS={}, USE_TZ=True,
    )
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def create_django_app(pool: LocalPool, loop: LoopThread) -> Any:
    """This site as a WSGI app on ``pool``, its gate's calls on ``loop``."""
    from django.core.handlers.wsgi import WSGIHandler

    configure()
    settings.COGNITO_GATE_OPTIONS = {"settings": pool.settings(), "http": pool.http,
                                     "clock": pool.clock, "loop": loop}
    return WSGIHandler()


def home(request: HttpRequest) -> HttpResponse:
    return HttpResponse(engines["django"].from_string(HOME).render({}, request))


def protected(request: HttpRequest) -> HttpResponse:
    return HttpResponse(f"<p id=secret>secret page for {request.cognito_user.email}</p>")


def api_me(request: HttpRequest) -> JsonResponse:
    user = request.cognito_user
    return JsonResponse({"sub": user.sub, "email": user.email})


def orders(request: HttpRequest) -> JsonResponse:
    return JsonResponse(caller_of(request.cognito_caller))


def whoami(request: HttpRequest) -> JsonResponse:
    """``request.user`` as Django sees it (``CognitoAuthenticationMiddleware``)."""
    user = request.user
    if not user.is_authenticated:
        return JsonResponse({"authenticated": False})
    return JsonResponse({"authenticated": True, "pk": user.pk, "username": user.username,
                         "email": user.email, "first_name": user.first_name,
                         "is_staff": user.is_staff, "is_superuser": user.is_superuser})


def admins(request: HttpRequest) -> HttpResponse:
    return HttpResponse("<p id=admins>admins only</p>")


def _urls() -> list[Any]:
    from django.contrib import admin
    from django.views.decorators.csrf import csrf_exempt

    from cognito_gate.django.auth import admin_login, admin_logout
    from cognito_gate.django.decorators import (
        CognitoLoginRequiredMixin,
        login_required,
        require_groups,
        require_scopes,
    )

    class Editors(CognitoLoginRequiredMixin, View):
        required_groups = ("editors",)

        def get(self, request: HttpRequest) -> HttpResponse:
            return HttpResponse("<p id=editors>editors only</p>")

    admin.site.login, admin.site.logout = admin_login, admin_logout
    return [
        path("", home),
        # csrf_exempt: the cross-site POST test is about the library's refusal, not Django's
        path("protected", csrf_exempt(login_required(protected))),
        path("api/me", login_required(api_me)),
        path("api/orders", require_scopes("orders/read")(orders)),
        path("admins", require_groups("admins")(admins)),
        path("editors", Editors.as_view()),
        path("whoami", whoami),
        path("admin/", admin.site.urls),
        path("", include("cognito_gate.django.urls")),
    ]


def __getattr__(name: str) -> Any:  # urlpatterns once Django and the gate are set up
    if name == "urlpatterns":
        return _urls()
    raise AttributeError(name)
