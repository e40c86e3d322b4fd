"""Celery tasks of the kanban app, named explicitly "kanban.<task>"."""

from __future__ import annotations

from celery import shared_task


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
