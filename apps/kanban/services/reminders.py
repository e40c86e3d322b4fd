"""Due-date reminders: a per-task work list kept in the change's transaction, and a scanner that sends it.

- :func:`on_change` (an in-transaction hook of :mod:`changes`) rewrites a task's *pending* rows whenever
  a change touches ``due_at``, ``reminders`` or ``archived`` (and every default-reminder task's rows when a
  project's ``default_reminders`` change): one row per offset whose time is still ahead, plus one
  ``overdue`` row at ``due_at``. Sent and skipped rows stay, and ``(task, due_at, kind, offset)`` is
  unique, so a due date changed and changed back never repeats a reminder.
- :func:`scan` (every 30 s: Celery beat, or the embedded scheduler thread without a broker) claims each
  due row with ``UPDATE … SET state='sent' WHERE id=… AND state='pending'`` and, in the same transaction,
  queues one ``kanban/task_due`` email per recipient in the email outbox with the idempotency key
  ``kanban:due:<task>:<due_at>:<kind>:<offset>:<user>``. Two scanners racing for a row: the second's
  UPDATE waits for the first's commit and then matches nothing. A scanner killed mid-send rolls back the
  claim and the outbox rows together; the next scan sends them.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import transaction
from django.utils import timezone

from apps.account.services import AccountService, UserData, account_service
from apps.email.services import email_service
from apps.kanban.models import NotificationKind, ReminderKind, ReminderState, Task, TaskAssignee
from apps.kanban.services.audience import task_audience, wanting
from apps.kanban.services.changes import Event
from apps.kanban.services.errors import KanbanInvalidError

logger = logging.getLogger(__name__)

#: Rows read per batch, and how long one scan keeps going (the next scan, 30 s later, takes the rest).
SCAN_LIMIT = 500
SCAN_BUDGET = 25.0
#: The changes of a ``task.updated`` that move reminders.
_SCHEDULE_FIELDS = frozenset({"due_at", "reminders", "archived"})


def clean_reminders(offsets: Iterable[int] | None) -> list[int] | None:
    """Reminder offsets deduplicated, largest (earliest) first; ``None`` stays ``None`` (project default)."""
    if offsets is None:
        return None
    values = list(offsets)
    if any(isinstance(v, bool) or not isinstance(v, int) or v < 0 for v in values):
        raise KanbanInvalidError("Reminders are whole minutes before the due time (0 or more).", field="reminders")
    return sorted(set(values), reverse=True)


def effective_offsets(task: Task) -> list[int]:
    """The task's own offsets, else its project's defaults."""
    if task.reminders is not None:
        return [int(v) for v in task.reminders]
    return [int(v) for v in (task.project.default_reminders or [])]


def task_url(task_id: uuid.UUID) -> str:
    """The web app's page of a task (made absolute with ``PUBLIC_BASE_URL`` by the email service)."""
    return f"/kanban/tasks/{task_id}"


# --- scheduling (inside the change's transaction) --------------------------------------------------


def schedule(task: Task, *, now: datetime | None = None) -> None:
    """Replace the task's pending rows by those of its current due date (inside the change's atomic)."""
    now = now or timezone.now()
    ReminderState.objects.filter(task_id=task.id, state=ReminderState.State.PENDING).delete()
    if task.due_at is None or task.archived or task.due_at <= now:
        return
    rows = [
        ReminderState(
            task_id=task.id,
            due_at=task.due_at,
            kind=ReminderKind.REMINDER,
            offset=offset,
            fire_at=task.due_at - timedelta(minutes=offset),
        )
        for offset in effective_offsets(task)
        if task.due_at - timedelta(minutes=offset) > now
    ]
    rows.append(
        ReminderState(task_id=task.id, due_at=task.due_at, kind=ReminderKind.OVERDUE, offset=0, fire_at=task.due_at)
    )
    # A row already sent (or skipped) for the same due date and offset wins: it is not sent again.
    ReminderState.objects.bulk_create(rows, ignore_conflicts=True)


def on_change(event: Event) -> None:
    """In-transaction hook: reschedule what a recorded change affects."""
    verb, data = event.verb, event.data or {}
    scheduling = verb == "task.created" or (verb == "task.updated" and _SCHEDULE_FIELDS & set(data.get("changes", {})))
    if scheduling and event.task_id is not None:
        task = Task.objects.select_related("project").filter(id=event.task_id).first()
        if task is not None:
            schedule(task)
    elif verb == "project.updated" and "default_reminders" in data.get("changes", {}):
        now = timezone.now()
        tasks = Task.objects.select_related("project").filter(
            project_id=event.project_id, reminders__isnull=True, archived=False, due_at__gt=now
        )
        for task in tasks.iterator(chunk_size=500):
            schedule(task, now=now)


# --- sending -----------------------------------------------------------------------------------------


def scan(*, now: datetime | None = None, limit: int = SCAN_LIMIT, budget: float = SCAN_BUDGET) -> int:
    """Send every reminder whose time has come; returns how many emails were queued.

    Works in batches of ``limit`` rows until none is due or ``budget`` seconds have passed (the next scan
    continues), so a burst larger than one batch is not left for the next beat.
    """
    now = now or timezone.now()
    started = time.monotonic()
    sent = 0
    failed: set[int] = set()
    while time.monotonic() - started < budget:
        ids = list(
            ReminderState.objects.filter(state=ReminderState.State.PENDING, fire_at__lte=now)
            .exclude(id__in=failed)
            .order_by("fire_at")
            .values_list("id", flat=True)[:limit]
        )
        if not ids:
            break
        for row_id in ids:
            try:
                sent += _fire(row_id, now)
            except Exception:  # one bad row must not stop the others; it stays pending for the next scan
                logger.exception("kanban.reminder_failed row=%s", row_id)
                failed.add(row_id)
    return sent


def _users(user_ids: set[uuid.UUID]) -> list[UserData]:
    wanted = sorted(user_ids)
    found: list[UserData] = []
    for start in range(0, len(wanted), AccountService.MAX_BATCH):
        found.extend(account_service.get_users(user_ids=wanted[start : start + AccountService.MAX_BATCH]))
    return [u for u in found if u.is_active and u.email]


def local_time(moment: datetime, zone: str) -> str:
    """``2026-11-28 15:30 (Asia/Ho_Chi_Minh)``: ``moment`` in the time zone ``zone`` (UTC if unknown)."""
    try:
        tz = ZoneInfo(zone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        tz, zone = ZoneInfo("UTC"), "UTC"
    return f"{moment.astimezone(tz):%Y-%m-%d %H:%M} ({zone or 'UTC'})"


def _fire(row_id: int, now: datetime) -> int:
    with transaction.atomic():
        claimed = ReminderState.objects.filter(id=row_id, state=ReminderState.State.PENDING).update(
            state=ReminderState.State.SENT, done_at=now
        )
        if not claimed:  # another scanner took it
            return 0
        row = ReminderState.objects.select_related("task__project", "task__board", "task__column").get(id=row_id)
        task = row.task
        stale = task.due_at != row.due_at or (row.kind == ReminderKind.REMINDER and row.due_at <= now)
        finished = task.archived or task.completed_at is not None or task.column.is_done
        if stale or finished:
            ReminderState.objects.filter(id=row_id).update(state=ReminderState.State.SKIPPED)
            return 0
        assignees = set(TaskAssignee.objects.filter(task_id=task.id).values_list("user_id", flat=True))
        recipients = wanting(task_audience(task), NotificationKind.DUE)
        count = 0
        for user in _users(recipients):
            email_service.send(
                template="kanban/task_due",
                to=user.email,
                context={
                    "task_title": task.title,
                    "board_name": task.board.name,
                    "due_at": local_time(row.due_at, user.timezone),
                    "task_url": task_url(task.id),
                    "overdue": row.kind == ReminderKind.OVERDUE,
                    "reason": "assigned" if user.id in assignees else "watching",
                },
                idempotency_key=(f"kanban:due:{task.id}:{row.due_at.isoformat()}:{row.kind}:{row.offset}:{user.id}"),
                locale=user.locale,
            )
            count += 1
        ReminderState.objects.filter(id=row_id).update(recipients=count)
        return count
