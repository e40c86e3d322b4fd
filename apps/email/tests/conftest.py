"""Fixtures of the email tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture
def eager() -> Iterator[None]:
    """Run Celery tasks in-process (the embedded, broker-less mode) for this test."""
    from celery import current_app as app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        yield
    finally:
        app.conf.task_always_eager = previous


VERIFY = {"display_name": "Ana", "verify_url": "/account/verify?token=t0k3n"}


#: Worker environment for the integration tests: retries and leases in seconds, not minutes.
FAST = {
    "EMAIL_RETRY_DELAYS": "1,1,2",
    "EMAIL_MAX_ATTEMPTS": "8",
    "EMAIL_SENDING_LEASE": "4",
    "EMAIL_STUCK_AFTER": "1",
    "EMAIL_SWEEP_INTERVAL": "1",
}


def restart_fast(worker: Any) -> None:
    """Restart ``worker`` (SIGKILL, then start) with :data:`FAST` settings, and drop the "a drain is
    pending" flag: a drain the killed worker held may leave it set for its TTL, which delays (never
    loses) the next test's emails until the flag expires and the sweeper runs."""
    from django.core.cache import cache

    from apps.email.tasks import drain_flag

    worker.restart(**FAST)
    cache.delete(drain_flag())


@pytest.fixture
def fast_worker(celery_worker):
    """The session's worker restarted with :data:`FAST` settings (restored for the next test)."""
    restart_fast(celery_worker)
    return celery_worker
