"""Gau's production settings (``bench.settings_email``) plus django-post-office as its docs recommend with Celery (see
bench/bench_email_peer.py): ``CELERY_ENABLED`` (a ``send_queued_mail`` task is published after the commit
of each queued email; the worker sends every queued email in batches of ``BATCH_SIZE`` with
``THREADS_PER_PROCESS`` threads, each with its own SMTP connection), retries as in its docs' example,
Message-IDs on, everything else at its documented defaults. Its task goes to its own queue so the two
workers of the benchmark never take each other's messages.
"""

from datetime import timedelta

from bench.settings_email import *  # noqa: F403
from bench.settings_email import CELERY_TASK_ROUTES, INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "post_office"]
POST_OFFICE = {
    "CELERY_ENABLED": True,
    "BATCH_SIZE": 100,  # the default, spelled out
    "THREADS_PER_PROCESS": 5,  # the default, spelled out
    "MAX_RETRIES": 4,
    "RETRY_INTERVAL": timedelta(minutes=5),
    "MESSAGE_ID_ENABLED": True,
    "MESSAGE_ID_FQDN": "gau.local",
}
CELERY_TASK_ROUTES = {**CELERY_TASK_ROUTES, "post_office.tasks.*": {"queue": "bench_email_peer"}}
