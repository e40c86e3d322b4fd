"""The Celery app. Worker: ``celery -A gau worker -Q default,email``; beat: ``celery -A gau beat``."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gau.settings")

app = Celery("gau")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


# --- Worker database connections -------------------------------------------------------------
# Celery's Django fixup closes every database connection before and after each task unless
# CELERY_DB_REUSE_MAX is set (settings.py sets it): a new PostgreSQL connection per task cost ~15 %
# of an email delivery. Instead, treat a task like a request: Django's close_old_connections honours
# CONN_MAX_AGE and CONN_HEALTH_CHECKS and drops a connection that errored or went away.
from celery.signals import task_postrun, task_prerun  # noqa: E402
from django.db import close_old_connections  # noqa: E402


@task_prerun.connect
@task_postrun.connect
def _close_old_connections(sender: object = None, **kwargs: object) -> None:
    # Not for eager tasks: they run inside the caller's request (and maybe its transaction).
    if not getattr(getattr(sender, "request", None), "is_eager", False):
        close_old_connections()
