"""Under uvicorn: `uv run --extra django --extra fastapi uvicorn --app-dir
examples/django_project example.asgi:application` (Django runs the middleware in a thread)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "example.settings")
application = get_asgi_application()
