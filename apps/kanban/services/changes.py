"""The one write path's bookkeeping: every kanban change records its activity here, in its transaction.

Services call :func:`record` inside the ``transaction.atomic()`` that writes the change. It appends the
activity row, bumps the board's version (the board read's ETag) and, after commit, hands the event to
every subscriber registered with :func:`subscribe` (webhooks and live events plug in there), so no
change can skip activity, events or concurrency bookkeeping.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from apps.kanban.models import Activity, Board

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Event:
    """A committed change, as subscribers see it (plain data)."""

    id: int
    verb: str
    project_id: uuid.UUID
    board_id: uuid.UUID | None
    task_id: uuid.UUID | None
    actor_id: uuid.UUID | None
    data: dict[str, Any] = field(default_factory=dict)
    created_at: datetime = field(default_factory=timezone.now)


_SUBSCRIBERS: list[Callable[[Event], None]] = []

#: Handlers called INSIDE the change's transaction (outbox rows: notifications, reminders, webhooks).
_IN_TX_HOOKS: list[Callable[[Event], None]] = []


def register_in_transaction(handler: Callable[[Event], None]) -> None:
    """Call ``handler(event)`` inside the transaction of every recorded change (idempotent per handler).

    The handler writes its own rows in that transaction, so a rolled-back change leaves nothing behind;
    an exception it raises fails the change (keep handlers small and total).
    """
    if handler not in _IN_TX_HOOKS:
        _IN_TX_HOOKS.append(handler)


def subscribe(handler: Callable[[Event], None]) -> None:
    """Call ``handler(event)`` after the commit of every recorded change (idempotent per handler)."""
    if handler not in _SUBSCRIBERS:
        _SUBSCRIBERS.append(handler)


def _publish(event: Event) -> None:
    for handler in list(_SUBSCRIBERS):
        try:
            handler(event)
        except Exception:  # a subscriber must never undo or fail a committed change
            logger.exception("kanban event subscriber %r failed for %s", handler, event.verb)


def record(
    *,
    verb: str,
    project_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    board_id: uuid.UUID | None = None,
    task_id: uuid.UUID | None = None,
    data: dict[str, Any] | None = None,
    bump_board: bool = True,
) -> Activity:
    """Append one activity entry for a change made in the current transaction (must be inside ``atomic``).

    ``data`` must be JSON-ready (ids and datetimes as strings). ``task.updated`` carries
    ``{"changes": {field: {"from": …, "to": …}}}``. With ``bump_board`` the board's version advances.
    """
    conn = transaction.get_connection()
    if not conn.in_atomic_block:
        raise RuntimeError("kanban changes.record() must run inside the change's transaction")
    now = timezone.now()
    entry = Activity.objects.create(
        project_id=project_id,
        board_id=board_id,
        task_id=task_id,
        actor_id=actor_id,
        verb=verb,
        data=data or {},
        created_at=now,
    )
    if bump_board and board_id is not None:
        Board.objects.filter(id=board_id).update(version=F("version") + 1, updated_at=now)
    event = Event(
        id=entry.id,
        verb=verb,
        project_id=project_id,
        board_id=board_id,
        task_id=task_id,
        actor_id=actor_id,
        data=entry.data,
        created_at=now,
    )
    for hook in list(_IN_TX_HOOKS):
        hook(event)
    transaction.on_commit(lambda: _publish(event))
    return entry
