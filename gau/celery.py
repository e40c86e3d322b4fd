"""The Celery app. Worker: ``celery -A gau worker -Q default,email``; beat: ``celery -A gau beat``."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gau.settings")

app = Celery("gau")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
