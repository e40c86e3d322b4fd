"""The Gau project: settings, URLs, the Celery app and the service-interface kernel (``gau.rpc``)."""

from gau.celery import app as celery_app

__all__ = ["celery_app"]
