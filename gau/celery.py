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


# --- Forked worker processes and the connection pool ------------------------------------------
# Database connections come from Django's psycopg pool (gau/config.py). A prefork child inherits the
# parent's pool object and sockets: it must never use (or close) them, so it forgets them and opens
# its own pool on first use.
from celery.signals import worker_process_init  # noqa: E402


@worker_process_init.connect
def _forget_inherited_pools(**kwargs: object) -> None:
    from django.db import connections

    for conn in connections.all(initialized_only=True):
        conn.connection = None  # the parent's socket: dropped without a Terminate message
    for conn in connections.all():
        pools = getattr(type(conn), "_connection_pools", None)
        if isinstance(pools, dict):
            pools.clear()


# --- Metrics (gau/metrics/worker.py): task outcomes and durations, the worker's scrape endpoint -----
# Each hook returns at once unless GAU_METRICS is on.
from gau.metrics import worker as _metrics_worker  # noqa: E402

_metrics_worker.install()
