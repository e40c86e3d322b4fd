"""WSGI entry point (gunicorn gau.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

from gau import tracing

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gau.settings")
tracing.setup_from_settings()  # before the middleware loads; a no-op (no import) when tracing is off
application = get_wsgi_application()
