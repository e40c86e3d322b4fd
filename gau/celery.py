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


# --- Tracing (gau/tracing.py) --------------------------------------------------------------------
# Set up in each process that runs or publishes tasks, after any fork: the prefork pool's children
# (worker_process_init), a worker with a pool that does not fork (worker_init), and beat. A no-op that
# imports nothing when tracing is off.
from celery.signals import beat_init, worker_init, worker_process_shutdown  # noqa: E402

from gau import tracing  # noqa: E402


@worker_process_init.connect
def _tracing_in_pool_process(**kwargs: object) -> None:
    tracing.after_fork("worker")


@worker_init.connect
def _tracing_in_worker(sender: object = None, **kwargs: object) -> None:
    pool = getattr(sender, "pool_cls", "")
    if "prefork" not in f"{getattr(pool, '__module__', '')}{pool}":
        tracing.setup_from_settings("worker")


@worker_process_shutdown.connect
def _flush_spans(**kwargs: object) -> None:
    tracing.flush()


@beat_init.connect
def _tracing_in_beat(**kwargs: object) -> None:
    tracing.setup_from_settings("beat")


# --- Request ids in tasks (gau/logformat.py) -------------------------------------------------------
# The id of the request that published a task travels in its message headers, so the worker's log lines
# for that task carry it too.
from celery.signals import before_task_publish  # noqa: E402

from gau.logformat import request_id  # noqa: E402

_REQUEST_ID_TASK_HEADER = "gau_request_id"


@before_task_publish.connect
def _request_id_to_headers(headers: dict[str, object] | None = None, **kwargs: object) -> None:
    rid = request_id.get()
    if rid and headers is not None:
        headers[_REQUEST_ID_TASK_HEADER] = rid


@task_prerun.connect
def _request_id_from_headers(task: object = None, **kwargs: object) -> None:
    rid = getattr(getattr(task, "request", None), _REQUEST_ID_TASK_HEADER, None)
    if isinstance(rid, str) and not getattr(getattr(task, "request", None), "is_eager", False):
        request_id.set(rid)


@task_postrun.connect
def _request_id_done(task: object = None, **kwargs: object) -> None:
    if not getattr(getattr(task, "request", None), "is_eager", False):
        request_id.set("")
