"""Read queries of the kanban app (HackSoft style: selectors read, services write)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import datetime
from typing import Any
from uuid import UUID

from django.db import connection
from django.db.models import Count, Max, OuterRef, Q, QuerySet, Subquery

from apps.kanban.models import (
    Activity,
    Attachment,
    Board,
    ChecklistItem,
    Column,
    Comment,
    Label,
    Membership,
    Project,
    Task,
    TaskAssignee,
    TaskLabel,
)

# --- projects, members, boards, labels ---------------------------------------------------------------


def project_list_for_user(*, user_id: UUID) -> QuerySet[Project]:
    """The projects ``user_id`` is a member of, each annotated with ``role`` (the caller's role)."""
    role = Membership.objects.filter(project=OuterRef("pk"), user_id=user_id).values("role")[:1]
    return Project.objects.filter(memberships__user_id=user_id).annotate(role=Subquery(role))


def membership_list(*, project_id: UUID) -> QuerySet[Membership]:
    return Membership.objects.filter(project_id=project_id)


def board_list(*, project_id: UUID) -> QuerySet[Board]:
    return Board.objects.filter(project_id=project_id)


def label_list(*, board_id: UUID) -> QuerySet[Label]:
    return Label.objects.filter(board_id=board_id)


# =====================================================================================================
# The board read, tasks, comments, checklists, attachments and activity.
# Selectors return plain data keyed by ids; the API layer adds display names (one batched account call).
# =====================================================================================================


def iso(value: datetime | None) -> str | None:
    """A datetime as ISO 8601 in UTC with ``Z`` (what DRF's DateTimeField renders), or None."""
    if value is None:
        return None
    return value.isoformat().replace("+00:00", "Z")


def task_number(key: str, number: int) -> str:
    """``TASK-0001``: the project key and the number zero-padded to at least 4 digits."""
    return f"{key}-{number:04d}"


def is_postgresql() -> bool:
    return connection.vendor == "postgresql"


def board_lookup(*, board_id: uuid.UUID) -> Board | None:
    return Board.objects.filter(id=board_id).first()


def task_lookup(*, task_id: uuid.UUID) -> Task | None:
    return Task.objects.select_related("column", "project").filter(id=task_id).first()


def project_last_activity(*, project_id: uuid.UUID) -> int:
    """The id of the project's newest activity entry (0 if none): part of the board read's ETag."""
    found = Activity.objects.filter(project_id=project_id).aggregate(last=Max("id"))["last"]
    return int(found or 0)


def board_read(*, board: Board) -> dict[str, Any]:
    """The whole board as JSON-ready data, in a fixed number of queries whatever its size.

    Columns and tasks come in board order (position); archived tasks are left out. ``members`` carry
    ``user_id`` and ``role`` only: the caller adds display names in one batched call.

    The per-task rows (labels, assignees, counts) are joined in Python on the task *number* (unique in the
    project, and an int: hashing ``uuid.UUID`` keys in pure Python was the read's biggest cost).
    """
    key = board.project.key
    columns = list(
        Column.objects.filter(board_id=board.id)
        .order_by("position")
        .values_list("id", "name", "position", "wip_limit", "is_done")
    )
    live = Q(task__board_id=board.id, task__archived=False)
    labels_of: dict[int, list[uuid.UUID]] = defaultdict(list)
    for number, label_id in TaskLabel.objects.filter(live).order_by("id").values_list("task__number", "label_id"):
        labels_of[number].append(label_id)
    assignees_of: dict[int, list[uuid.UUID]] = defaultdict(list)
    for number, user_id in TaskAssignee.objects.filter(live).order_by("id").values_list("task__number", "user_id"):
        assignees_of[number].append(user_id)
    checklist_of = {
        number: {"done": done, "total": total}
        for number, total, done in ChecklistItem.objects.filter(live)
        .order_by()
        .values("task__number")
        .annotate(total=Count("id"), done=Count("id", filter=Q(done=True)))
        .values_list("task__number", "total", "done")
    }
    comments_of: dict[int, int] = dict(
        Comment.objects.filter(live)
        .order_by()
        .values("task__number")
        .annotate(n=Count("id"))
        .values_list("task__number", "n")
    )
    attachments_of: dict[int, int] = dict(
        Attachment.objects.filter(live)
        .order_by()
        .values("task__number")
        .annotate(n=Count("id"))
        .values_list("task__number", "n")
    )
    tasks_of: dict[uuid.UUID, list[dict[str, Any]]] = {c[0]: [] for c in columns}
    done_columns = {c[0] for c in columns if c[4]}
    no_checklist = {"done": 0, "total": 0}
    no_ids: list[uuid.UUID] = []
    current_column: uuid.UUID | None = None
    bucket: list[dict[str, Any]] = []
    done = False
    # Ordered by column, then position: consecutive rows share a column (one dict lookup per column).
    for task_id, column_id, number, title, position, priority, due_at, version in (
        Task.objects.filter(board_id=board.id, archived=False)
        .order_by("column_id", "position")
        .values_list("id", "column_id", "number", "title", "position", "priority", "due_at", "version")
    ):
        if column_id != current_column:
            current_column, bucket, done = column_id, tasks_of[column_id], column_id in done_columns
        bucket.append(
            {
                "id": task_id,
                "number": f"{key}-{number:04d}",
                "title": title,
                "position": position,
                "priority": priority,
                "due_at": iso(due_at) if due_at is not None else None,
                "done": done,
                "labels": labels_of.get(number, no_ids),
                "assignees": assignees_of.get(number, no_ids),
                "checklist": checklist_of.get(number, no_checklist),
                "comments": comments_of.get(number, 0),
                "attachments": attachments_of.get(number, 0),
                "version": version,
            }
        )
    return {
        "id": board.id,
        "project_id": board.project_id,
        "name": board.name,
        "version": board.version,
        "columns": [
            {
                "id": column_id,
                "name": name,
                "position": position,
                "wip_limit": wip_limit,
                "is_done": is_done,
                "tasks": tasks_of[column_id],
            }
            for column_id, name, position, wip_limit, is_done in columns
        ],
        "labels": [
            {"id": i, "name": n, "color": c}
            for i, n, c in Label.objects.filter(board_id=board.id)
            .order_by("name", "id")
            .values_list("id", "name", "color")
        ],
        "members": [
            {"user_id": u, "role": r}
            for u, r in Membership.objects.filter(project_id=board.project_id)
            .order_by("joined_at", "id")
            .values_list("user_id", "role")
        ],
    }


def task_detail(*, task: Task) -> dict[str, Any]:
    """One task as JSON-ready data; ``assignees`` hold ``user_id`` only (the caller adds display names)."""
    labels = [
        {"id": i, "name": n, "color": c}
        for i, n, c in Label.objects.filter(task_links__task_id=task.id)
        .order_by("task_links__id")
        .values_list("id", "name", "color")
    ]
    assignees = [
        {"user_id": u}
        for u in TaskAssignee.objects.filter(task_id=task.id).order_by("id").values_list("user_id", flat=True)
    ]
    checklist = [
        {"id": i, "title": t, "done": d, "position": p}
        for i, t, d, p in ChecklistItem.objects.filter(task_id=task.id)
        .order_by("position")
        .values_list("id", "title", "done", "position")
    ]
    return {
        "id": task.id,
        "number": task_number(task.project.key, task.number),
        "board_id": task.board_id,
        "column_id": task.column_id,
        "title": task.title,
        "description": task.description,
        "priority": task.priority,
        "due_at": iso(task.due_at),
        "reminders": task.reminders,
        "done": task.column.is_done,
        "completed_at": iso(task.completed_at),
        "archived": task.archived,
        "position": task.position,
        "labels": labels,
        "assignees": assignees,
        "checklist": checklist,
        "created_by": task.created_by,
        "created_at": iso(task.created_at),
        "updated_at": iso(task.updated_at),
        "version": task.version,
    }


def task_list(
    *,
    board: Board,
    q: str | None = None,
    column_id: uuid.UUID | None = None,
    assignee: uuid.UUID | None = None,
    label_id: uuid.UUID | None = None,
    priority: str | None = None,
    due_before: datetime | None = None,
    due_after: datetime | None = None,
    done: bool | None = None,
    archived: bool = False,
) -> QuerySet[Task]:
    """The board's tasks matching every filter given (``archived`` lists archived tasks instead).

    ``q`` is PostgreSQL full-text search over title and description (websearch syntax) on PostgreSQL,
    and a case-insensitive substring match on other databases.
    """
    qs = Task.objects.filter(board_id=board.id, archived=archived).select_related("column", "project")
    if q:
        if is_postgresql():
            from django.contrib.postgres.search import SearchQuery, SearchVector

            qs = qs.annotate(search=SearchVector("title", "description", config="simple")).filter(
                search=SearchQuery(q, search_type="websearch", config="simple")
            )
        else:
            qs = qs.filter(Q(title__icontains=q) | Q(description__icontains=q))
    if column_id is not None:
        qs = qs.filter(column_id=column_id)
    if assignee is not None:
        qs = qs.filter(assignees__user_id=assignee)
    if label_id is not None:
        qs = qs.filter(label_links__label_id=label_id)
    if priority is not None:
        qs = qs.filter(priority=priority)
    if due_before is not None:
        qs = qs.filter(due_at__lt=due_before)
    if due_after is not None:
        qs = qs.filter(due_at__gt=due_after)
    if done is not None:
        qs = qs.filter(column__is_done=done)
    return qs


def task_summaries(*, tasks: list[Task]) -> list[dict[str, Any]]:
    """Summaries (the board read's task shape plus ``column_id``) of a page of tasks, in fixed queries."""
    ids = [t.id for t in tasks]
    labels_of: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for task_id, label_id in (
        TaskLabel.objects.filter(task_id__in=ids).order_by("id").values_list("task_id", "label_id")
    ):
        labels_of[task_id].append(label_id)
    assignees_of: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for task_id, user in TaskAssignee.objects.filter(task_id__in=ids).order_by("id").values_list("task_id", "user_id"):
        assignees_of[task_id].append(user)
    checklist_of = {
        task_id: {"done": done, "total": total}
        for task_id, total, done in ChecklistItem.objects.filter(task_id__in=ids)
        .order_by()
        .values("task_id")
        .annotate(total=Count("id"), done=Count("id", filter=Q(done=True)))
        .values_list("task_id", "total", "done")
    }
    comments_of = dict(
        Comment.objects.filter(task_id__in=ids)
        .order_by()
        .values("task_id")
        .annotate(n=Count("id"))
        .values_list("task_id", "n")
    )
    attachments_of = dict(
        Attachment.objects.filter(task_id__in=ids)
        .order_by()
        .values("task_id")
        .annotate(n=Count("id"))
        .values_list("task_id", "n")
    )
    return [
        {
            "id": t.id,
            "number": task_number(t.project.key, t.number),
            "column_id": t.column_id,
            "title": t.title,
            "position": t.position,
            "priority": t.priority,
            "due_at": iso(t.due_at),
            "done": t.column.is_done,
            "archived": t.archived,
            "labels": labels_of.get(t.id, []),
            "assignees": assignees_of.get(t.id, []),
            "checklist": checklist_of.get(t.id, {"done": 0, "total": 0}),
            "comments": comments_of.get(t.id, 0),
            "attachments": attachments_of.get(t.id, 0),
            "version": t.version,
        }
        for t in tasks
    ]


def comment_list(*, task_id: uuid.UUID) -> QuerySet[Comment]:
    return Comment.objects.filter(task_id=task_id)


def comment_lookup(*, comment_id: uuid.UUID) -> Comment | None:
    return Comment.objects.select_related("task").filter(id=comment_id).first()


def checklist_item_lookup(*, item_id: uuid.UUID) -> ChecklistItem | None:
    return ChecklistItem.objects.select_related("task").filter(id=item_id).first()


def attachment_lookup(*, attachment_id: uuid.UUID) -> Attachment | None:
    return Attachment.objects.select_related("task").filter(id=attachment_id).first()


def attachment_list(*, task_id: uuid.UUID) -> list[Attachment]:
    return list(Attachment.objects.filter(task_id=task_id).order_by("created_at", "id"))


def activity_for_board(*, board_id: uuid.UUID) -> QuerySet[Activity]:
    return Activity.objects.filter(board_id=board_id)


def activity_for_task(*, task_id: uuid.UUID) -> QuerySet[Activity]:
    return Activity.objects.filter(task_id=task_id)
