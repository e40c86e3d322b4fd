"""ASGI entry point."""

import os

from django.core.asgi import get_asgi_application

from gau import tracing

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gau.settings")
tracing.setup_from_settings()  # before the middleware loads; a no-op (no import) when tracing is off
application = get_asgi_application()
