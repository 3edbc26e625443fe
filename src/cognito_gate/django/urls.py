"""``path("", include("cognito_gate.django.urls"))`` in the project's ``urls.py``: the sign-in
routes at the configured paths (names ``cognito_gate:login``, ``:callback``, ``:logout``)."""

from __future__ import annotations

from django.urls import path

from .gate import gate
from .views import route

app_name = "cognito_gate"

_settings = gate().auth.settings
urlpatterns = [
    path(_settings.login_path.lstrip("/"), route, name="login"),
    path(_settings.callback_path.lstrip("/"), route, name="callback"),
    path(_settings.logout_path.lstrip("/"), route, name="logout"),
]
