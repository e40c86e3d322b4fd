"""Celery tasks of the email app, named explicitly "email.<task>", on the ``email`` queue."""

from __future__ import annotations

import functools
import logging
import uuid
from typing import Any

from celery import Task, shared_task
from celery.contrib.django.task import DjangoTask
from django.db import transaction

from apps.email import delivery
from gau import tracing

logger = logging.getLogger("apps.email")

#: Publishing must not hang a web request when the broker is away: one quick retry, then give up and
#: leave the row to the sweeper.
_PUBLISH_RETRY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}


class OutboxTask(DjangoTask):  # type: ignore[type-arg]
    """A task whose ``delay`` never raises for a broker problem.

    The outbox row is already committed when the task is published (``delay_on_commit``), so a broker
    outage must not turn a successful request into an error: the row stays ``queued`` and the sweeper
    publishes it again later.
    """

    def delay(self, *args: Any, **kwargs: Any) -> Any:
        return self.apply_async_safely(*args, **kwargs)

    def apply_async_safely(self, *args: Any, countdown: float = 0, traceparent: str = "", **kwargs: Any) -> Any:
        """``apply_async(args, kwargs)`` that logs and swallows broker errors.

        ``traceparent``: the trace the task joins (the one its outbox row was written in); by default the
        current one."""
        try:
            options: dict[str, Any] = {"countdown": countdown} if countdown > 0 else {}
            with tracing.attached(traceparent):
                return self.apply_async(args, kwargs, retry=True, retry_policy=_PUBLISH_RETRY, **options)
        except Exception as exc:  # kombu raises OperationalError, OSError and friends
            logger.warning(
                "email.enqueue_failed task=%s error=%s: left for the sweeper",
                self.name,
                type(exc).__name__,
                extra={"task": self.name, "error": type(exc).__name__},
            )
            return None

    def apply_async_safely_on_commit(self, *args: Any, countdown: float = 0, traceparent: str = "") -> None:
        """:meth:`apply_async_safely` once the current transaction commits, in the trace of ``traceparent``
        (by default the one current now, not the one current at commit time)."""
        traceparent = traceparent or tracing.current_traceparent()
        transaction.on_commit(
            functools.partial(self.apply_async_safely, *args, countdown=countdown, traceparent=traceparent)
        )


@shared_task(
    name="email.deliver",
    base=OutboxTask,
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    soft_time_limit=90,
    time_limit=100,
)
def deliver(self: Task, email_id: str) -> str:  # type: ignore[type-arg]
    """Deliver outbox row ``email_id`` (idempotent: a row already sent is skipped)."""
    return delivery.deliver(uuid.UUID(email_id), eager=bool(self.request.is_eager))


@shared_task(
    name="email.sweep", base=OutboxTask, acks_late=True, ignore_result=True, soft_time_limit=100, time_limit=120
)
def sweep() -> int:
    """Re-publish rows stuck in ``queued``/``sending`` (run by beat every EMAIL_SWEEP_INTERVAL seconds)."""
    return delivery.sweep()
