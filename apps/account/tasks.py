"""Celery tasks of the account app, named explicitly "account.<task>"."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from celery import shared_task
from celery.contrib.django.task import DjangoTask

logger = logging.getLogger("apps.account")

#: Publishing must not hang a request when the broker is away: one quick retry, then the sweeper.
_PUBLISH_RETRY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}


class SafeTask(DjangoTask):  # type: ignore[type-arg]
    """A task whose :meth:`publish_safely` logs broker errors instead of raising (the row is the truth)."""

    def publish_safely(self, *args: Any, countdown: float = 0) -> None:
        try:
            options: dict[str, Any] = {"countdown": countdown} if countdown > 0 else {}
            self.apply_async(args, retry=True, retry_policy=_PUBLISH_RETRY, **options)
        except Exception as exc:  # kombu raises OperationalError, OSError and friends
            logger.warning(
                "account.enqueue_failed task=%s error=%s: left for the sweeper", self.name, type(exc).__name__
            )


@shared_task(
    name="account.finish_deletion",
    base=SafeTask,
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    soft_time_limit=600,
    time_limit=660,
)
def finish_deletion(request_id: str) -> str:
    """One pass over a deletion request's pending steps; schedules the next pass if some are left."""
    from apps.account import deletion

    return deletion.finish(uuid.UUID(request_id))


@shared_task(
    name="account.sweep_deletions",
    base=SafeTask,
    acks_late=True,
    ignore_result=True,
    soft_time_limit=100,
    time_limit=120,
)
def sweep_deletions() -> int:
    """Publish a pass for every due deletion request (beat, every ACCOUNT_DELETION["SWEEP_INTERVAL"] s)."""
    from apps.account import deletion

    return deletion.sweep()
