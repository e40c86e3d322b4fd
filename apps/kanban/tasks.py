"""Celery tasks of the kanban app, named explicitly "kanban.<task>"."""

from __future__ import annotations

import uuid

from celery import shared_task
from celery.contrib.django.task import DjangoTask

from apps.kanban.services import trello_import, webhook_delivery
from gau.tasks import OutboxTask


@shared_task(
    name="kanban.import_board",
    base=DjangoTask,
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    soft_time_limit=1700,
    time_limit=1800,
)
def import_board(import_id: str) -> None:
    """Run board import ``import_id`` (idempotent: a finished import is left alone; a rerun after a killed
    worker starts clean, since the killed run's transaction was rolled back)."""
    trello_import.run_import(uuid.UUID(import_id))


@shared_task(name="kanban.imports_sweep", ignore_result=True, acks_late=True, time_limit=120)
def imports_sweep() -> int:
    """Fail imports stuck in ``running`` past their time (beat: every 5 minutes)."""
    return trello_import.sweep_stuck()


# --- Webhooks -----------------------------------------------------------------------------------


@shared_task(
    name="kanban.webhook_deliver",
    base=OutboxTask,
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    soft_time_limit=60,
    time_limit=75,
)
def webhook_deliver(delivery_id: str) -> str:
    """One attempt at webhook delivery ``delivery_id`` (a row not due, or claimed elsewhere, is skipped)."""
    return webhook_delivery.deliver(uuid.UUID(delivery_id))


@shared_task(name="kanban.webhooks_sweep", base=OutboxTask, acks_late=True, ignore_result=True, time_limit=120)
def webhooks_sweep() -> int:
    """Re-publish due webhook deliveries nobody is working on (beat, every SWEEP_INTERVAL seconds)."""
    return webhook_delivery.sweep()


# --- Reminders and notifications ----------------------------------------------------------------


@shared_task(name="kanban.scan_reminders", ignore_result=True, acks_late=True)
def scan_reminders() -> int:
    """Send the due-date reminders whose time has come (beat: every 30 s)."""
    from apps.kanban.services import reminders

    return reminders.scan()


@shared_task(name="kanban.flush_notifications", ignore_result=True, acks_late=True)
def flush_notifications() -> int:
    """Send the notification digests that are due (beat: every 60 s)."""
    from apps.kanban.services import notifications

    return notifications.flush()
