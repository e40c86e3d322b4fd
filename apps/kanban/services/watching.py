"""Watching tasks and boards, and a user's notification preferences.

Watching needs only read access (viewer and up); a non-member gets 404 like for any other id. Watching is
a personal preference, not a change to the project: it records no activity and bumps no version.
"""

from __future__ import annotations

import uuid

from django.db import transaction
from django.utils import timezone

from apps.kanban.models import BoardWatch, NotificationKind, NotificationPrefs, TaskWatch
from apps.kanban.services.errors import KanbanInvalidError
from apps.kanban.services.tasks import board_access, task_access


def task_watch(*, user_id: uuid.UUID, task_id: uuid.UUID, watch: bool) -> bool:
    """Start (``watch``) or stop watching a task; idempotent. Returns whether the user now watches it."""
    task, _ = task_access(task_id=task_id, user_id=user_id)
    if watch:
        TaskWatch.objects.bulk_create([TaskWatch(task_id=task.id, user_id=user_id)], ignore_conflicts=True)
    else:
        TaskWatch.objects.filter(task_id=task.id, user_id=user_id).delete()
    return watch


def task_watching(*, user_id: uuid.UUID, task_id: uuid.UUID) -> bool:
    task, _ = task_access(task_id=task_id, user_id=user_id)
    return TaskWatch.objects.filter(task_id=task.id, user_id=user_id).exists()


def board_watch(*, user_id: uuid.UUID, board_id: uuid.UUID, watch: bool) -> bool:
    """Start (``watch``) or stop watching every task of a board; idempotent."""
    board, _ = board_access(board_id=board_id, user_id=user_id)
    if watch:
        BoardWatch.objects.bulk_create([BoardWatch(board_id=board.id, user_id=user_id)], ignore_conflicts=True)
    else:
        BoardWatch.objects.filter(board_id=board.id, user_id=user_id).delete()
    return watch


def board_watching(*, user_id: uuid.UUID, board_id: uuid.UUID) -> bool:
    board, _ = board_access(board_id=board_id, user_id=user_id)
    return BoardWatch.objects.filter(board_id=board.id, user_id=user_id).exists()


#: The kinds ``PATCH me/notifications`` can turn off.
PREF_KINDS: tuple[str, ...] = tuple(NotificationKind.values)


def prefs_get(*, user_id: uuid.UUID) -> dict[str, bool]:
    """``{assigned, mentioned, done, due}``: all on for a user who never changed them."""
    prefs = NotificationPrefs.objects.filter(user_id=user_id).first()
    return {kind: bool(getattr(prefs, kind)) if prefs else True for kind in PREF_KINDS}


def prefs_update(*, user_id: uuid.UUID, changes: dict[str, bool]) -> dict[str, bool]:
    """Turn kinds on or off; unknown kinds are a 400."""
    unknown = set(changes) - set(PREF_KINDS)
    if unknown:
        raise KanbanInvalidError("Unknown notification kinds.", fields={k: ["Unknown kind."] for k in sorted(unknown)})
    with transaction.atomic():
        prefs, _ = NotificationPrefs.objects.select_for_update().get_or_create(user_id=user_id)
        for kind, on in changes.items():
            setattr(prefs, kind, bool(on))
        prefs.updated_at = timezone.now()
        prefs.save()
    return prefs_get(user_id=user_id)
