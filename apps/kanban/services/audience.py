"""Who hears about a task: its assignees, its watchers and its board's watchers, still project members."""

from __future__ import annotations

import uuid

from django.db.models import Q

from apps.kanban.models import (
    BoardWatch,
    Membership,
    NotificationKind,
    NotificationPrefs,
    Task,
    TaskAssignee,
    TaskWatch,
)


def task_audience(task: Task) -> set[uuid.UUID]:
    """Assignees, task watchers and board watchers of ``task`` who are still members of its project (one
    query: the membership rows filtered by three subqueries)."""
    return set(
        Membership.objects.filter(project_id=task.project_id)
        .filter(
            Q(user_id__in=TaskAssignee.objects.filter(task_id=task.id).values("user_id"))
            | Q(user_id__in=TaskWatch.objects.filter(task_id=task.id).values("user_id"))
            | Q(user_id__in=BoardWatch.objects.filter(board_id=task.board_id).values("user_id"))
        )
        .values_list("user_id", flat=True)
    )


def members_among(project_id: uuid.UUID, user_ids: set[uuid.UUID]) -> set[uuid.UUID]:
    """The subset of ``user_ids`` who are members of ``project_id``."""
    if not user_ids:
        return set()
    return set(Membership.objects.filter(project_id=project_id, user_id__in=user_ids).values_list("user_id", flat=True))


def wanting(user_ids: set[uuid.UUID], kind: str) -> set[uuid.UUID]:
    """The subset of ``user_ids`` who did not turn ``kind`` off (``PATCH me/notifications``)."""
    if not user_ids:
        return set()
    assert kind in NotificationKind.values
    off = set(NotificationPrefs.objects.filter(user_id__in=user_ids, **{kind: False}).values_list("user_id", flat=True))
    return user_ids - off
