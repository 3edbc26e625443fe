from django.urls import include, path

from . import views

urlpatterns = [
    path("", views.home),
    path("protected", views.protected),
    path("", include("cognito_gate.django.urls")),  # /login, /callback/, /logout
]
