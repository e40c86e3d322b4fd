"""Celery tasks of the account app, named explicitly "account.<task>"."""

from __future__ import annotations

import uuid

from celery import shared_task

from gau.tasks import OutboxTask


@shared_task(
    name="account.finish_deletion",
    base=OutboxTask,
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
    base=OutboxTask,
    acks_late=True,
    ignore_result=True,
    soft_time_limit=100,
    time_limit=120,
)
def sweep_deletions() -> int:
    """Publish a pass for every due deletion request (beat, every ACCOUNT_DELETION["SWEEP_INTERVAL"] s)."""
    from apps.account import deletion

    return deletion.sweep()
