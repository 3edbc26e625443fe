"""Settings of the Django example: the demo's system (home, /protected, sign-out, error pages).

COGNITO_*, APP_URL and SESSION_SECRET may be set here; left out, they come from the environment
or .env (README "Use it in your app" shows them for Local Cognito)."""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "example-only-not-for-production-0123456789")
DEBUG = False
ALLOWED_HOSTS = ["localhost", "127.0.0.1"]
ROOT_URLCONF = "example.urls"
WSGI_APPLICATION = "example.wsgi.application"
INSTALLED_APPS = ["example", "cognito_gate.django"]  # ours first: its error template wins
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "cognito_gate.django.middleware.CognitoGateMiddleware",
]
TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    "DIRS": [],
    "APP_DIRS": True,
    "OPTIONS": {"context_processors": ["cognito_gate.django.context.cognito"]},
}]
DATABASES: dict[str, dict[str, str]] = {}
USE_TZ = True
