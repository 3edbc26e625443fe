"""`uv run --extra django --with gunicorn gunicorn --chdir examples/django_project example.wsgi`"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "example.settings")
application = get_wsgi_application()
