"""Tasks: create, edit, move, archive, delete — the one write path for task rows.

Every change runs in one ``transaction.atomic()`` that checks the caller's role, writes the rows and calls
:func:`apps.kanban.services.changes.record` (activity, board version, events after commit).

Concurrency:
- ``number``: ``Project.next_number`` is advanced with one ``UPDATE … SET next_number = next_number + 1``
  (the row stays locked until commit) and read back in the same transaction, so concurrent creates get
  distinct numbers and a deleted task's number is never handed out again.
- ``position``: a fractional-index key between the neighbours (:mod:`positions`); one row is written per
  move. The target column row is locked (``SELECT … FOR UPDATE``, a no-op on SQLite where writers are
  serialised anyway) so the WIP-limit count and the neighbours are read after the previous writer
  committed; the unique ``(column, position)`` constraint plus a retry in a savepoint is the safety net.
- ``version``: a PATCH or move with ``If-Match`` locks the task row and compares versions (412 if older).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from apps.kanban import selectors
from apps.kanban.models import (
    Board,
    Column,
    Label,
    Membership,
    Priority,
    Project,
    Role,
    Task,
    TaskAssignee,
    TaskLabel,
)
from apps.kanban.services import changes
from apps.kanban.services.access import Access, project_access
from apps.kanban.services.errors import (
    KanbanConflictError,
    KanbanInvalidError,
    KanbanNotFoundError,
    StaleVersionError,
    WipLimitError,
)
from apps.kanban.services.positions import key_between
from apps.kanban.services.reminders import clean_reminders

#: How often a write is retried after losing a race for a position.
POSITION_ATTEMPTS = 20


# --- lookups with the access rule -----------------------------------------------------------------


def board_access(*, board_id: uuid.UUID, user_id: uuid.UUID, role: str = Role.VIEWER) -> tuple[Board, Access]:
    """The board and the caller's access: 404 for a missing board or a non-member, 403 below ``role``."""
    board = selectors.board_lookup(board_id=board_id)
    if board is None:
        raise KanbanNotFoundError()
    access = project_access(project_id=board.project_id, user_id=user_id, role=role)
    board.project = access.project
    return board, access


def task_access(*, task_id: uuid.UUID, user_id: uuid.UUID, role: str = Role.VIEWER) -> tuple[Task, Access]:
    """The task and the caller's access: 404 for a missing task or a non-member, 403 below ``role``."""
    task = selectors.task_lookup(task_id=task_id)
    if task is None:
        raise KanbanNotFoundError()
    return task, project_access(project_id=task.project_id, user_id=user_id, role=role)


# --- positions ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Placement:
    """Where to put something in an ordered container: before or after a sibling, else at the end."""

    before_id: uuid.UUID | None = None
    after_id: uuid.UUID | None = None

    def __post_init__(self) -> None:
        if self.before_id is not None and self.after_id is not None:
            raise KanbanInvalidError("Give before_id or after_id, not both.", field="before_id")


def position_in(siblings: Any, placement: Placement, *, exclude_id: uuid.UUID | None = None, kind: str = "task") -> str:
    """A fresh key in ``siblings`` (a queryset of rows with ``id`` and ``position``) for ``placement``.

    Reads the neighbours at the time of the call; the caller writes in a savepoint and retries on a
    position conflict (see :func:`with_position_retry`).
    """
    others = siblings.exclude(id=exclude_id) if exclude_id is not None else siblings
    anchor_id = placement.before_id or placement.after_id
    if anchor_id is None:
        last = others.order_by("-position").values_list("position", flat=True).first()
        return key_between(last, None)
    field = "before_id" if placement.before_id else "after_id"
    if anchor_id == exclude_id:
        raise KanbanInvalidError(f"A {kind} cannot be placed next to itself.", field=field, id=str(anchor_id))
    anchor = others.filter(id=anchor_id).values_list("position", flat=True).first()
    if anchor is None:
        raise KanbanInvalidError(
            f"{field} {anchor_id} is not a {kind} in the same place.", field=field, id=str(anchor_id)
        )
    if placement.before_id:
        prev = others.filter(position__lt=anchor).order_by("-position").values_list("position", flat=True).first()
        return key_between(prev, anchor)
    nxt = others.filter(position__gt=anchor).order_by("position").values_list("position", flat=True).first()
    return key_between(anchor, nxt)


def is_position_conflict(exc: IntegrityError) -> bool:
    text = str(exc)
    return "position" in text


def with_position_retry[T](write: Callable[[], T]) -> T:
    """Run ``write`` (which computes a position and writes it) in a savepoint, retrying lost races."""
    for _attempt in range(POSITION_ATTEMPTS):
        try:
            with transaction.atomic():
                return write()
        except IntegrityError as exc:
            if not is_position_conflict(exc):
                raise
    raise KanbanConflictError("Too many concurrent changes in this place; try again.")


# --- validation helpers ---------------------------------------------------------------------------


def _check_members(project_id: uuid.UUID, user_ids: Iterable[uuid.UUID]) -> list[uuid.UUID]:
    wanted = list(dict.fromkeys(user_ids))
    found = set(Membership.objects.filter(project_id=project_id, user_id__in=wanted).values_list("user_id", flat=True))
    for user_id in wanted:
        if user_id not in found:
            raise KanbanInvalidError(
                f"User {user_id} is not a member of this project.", field="assignee_ids", id=str(user_id)
            )
    return wanted


def _check_labels(board_id: uuid.UUID, label_ids: Iterable[uuid.UUID]) -> list[uuid.UUID]:
    wanted = list(dict.fromkeys(label_ids))
    found = set(Label.objects.filter(board_id=board_id, id__in=wanted).values_list("id", flat=True))
    for label_id in wanted:
        if label_id not in found:
            raise KanbanInvalidError(f"Label {label_id} is not on this board.", field="label_ids", id=str(label_id))
    return wanted


def _column_of_board(board_id: uuid.UUID, column_id: uuid.UUID, *, lock: bool) -> Column:
    qs = Column.objects.filter(id=column_id, board_id=board_id)
    if lock:
        qs = qs.select_for_update()
    column = qs.first()
    if column is None:
        raise KanbanInvalidError(f"Column {column_id} is not on this board.", field="column_id", id=str(column_id))
    return column


def _check_wip(column: Column, *, entering: int = 1) -> None:
    """409 ``kanban.wip_limit`` if ``entering`` more live tasks would pass the column's limit (column locked)."""
    if column.wip_limit is None:
        return
    count = Task.objects.filter(column_id=column.id, archived=False).count()
    if count + entering > column.wip_limit:
        raise WipLimitError(
            f"Column {column.name!r} is at its work-in-progress limit of {column.wip_limit}.",
            column_id=str(column.id),
            wip_limit=column.wip_limit,
            count=count,
        )


def _check_version(task: Task, if_match: int | None) -> None:
    if if_match is not None and if_match != task.version:
        raise StaleVersionError(current_version=task.version)


def _json(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return selectors.iso(value)
    if isinstance(value, list):
        return [_json(v) for v in value]
    return value


def _locked_task(task_id: uuid.UUID) -> Task:
    task = Task.objects.select_for_update().filter(id=task_id).first()
    if task is None:  # deleted since the lookup
        raise KanbanNotFoundError()
    return task


def _touch(task: Task, now: datetime) -> None:
    task.version = F("version") + 1
    task.updated_at = now


def _refresh(task: Task) -> Task:
    fresh = selectors.task_lookup(task_id=task.id)
    assert fresh is not None
    return fresh


# --- writes -----------------------------------------------------------------------------------------


def task_create(
    *,
    user_id: uuid.UUID,
    board_id: uuid.UUID,
    column_id: uuid.UUID,
    title: str,
    description: str = "",
    priority: str = Priority.NONE,
    due_at: datetime | None = None,
    assignee_ids: Iterable[uuid.UUID] = (),
    label_ids: Iterable[uuid.UUID] = (),
    placement: Placement | None = None,
    reminders: Iterable[int] | None = None,
) -> Task:
    """Create a task in ``column_id`` (a member's right); 409 ``kanban.wip_limit`` at the column's limit.

    ``reminders`` (minutes before ``due_at``) ``None`` means the project's ``default_reminders``.
    """
    board, access = board_access(board_id=board_id, user_id=user_id, role=Role.MEMBER)
    assignees = _check_members(board.project_id, assignee_ids)
    labels = _check_labels(board.id, label_ids)
    placement = placement or Placement()
    with transaction.atomic():
        column = _column_of_board(board.id, column_id, lock=True)
        _check_wip(column)
        Project.objects.filter(id=board.project_id).update(next_number=F("next_number") + 1)
        number = Project.objects.filter(id=board.project_id).values_list("next_number", flat=True).get() - 1
        now = timezone.now()

        def insert() -> Task:
            return Task.objects.create(
                project_id=board.project_id,
                board_id=board.id,
                column_id=column.id,
                number=number,
                title=title,
                description=description,
                priority=priority,
                due_at=due_at,
                reminders=clean_reminders(reminders),
                completed_at=now if column.is_done else None,
                position=position_in(Task.objects.filter(column_id=column.id), placement),
                created_by=user_id,
                created_at=now,
                updated_at=now,
            )

        task = with_position_retry(insert)
        TaskLabel.objects.bulk_create([TaskLabel(task=task, label_id=label) for label in labels])
        TaskAssignee.objects.bulk_create([TaskAssignee(task=task, user_id=u, assigned_at=now) for u in assignees])
        changes.record(
            verb="task.created",
            project_id=board.project_id,
            board_id=board.id,
            task_id=task.id,
            actor_id=user_id,
            data={
                "number": selectors.task_number(access.project.key, number),
                "title": title,
                "column_id": str(column.id),
            },
        )
    return _refresh(task)


#: Fields a PATCH may set directly, with what ``null`` clears them to.
_CLEARS: dict[str, Any] = {"description": "", "priority": Priority.NONE, "due_at": None, "archived": False}


def task_update(*, user_id: uuid.UUID, task_id: uuid.UUID, fields: dict[str, Any], if_match: int | None = None) -> Task:
    """Apply a partial update (``None`` clears a field); 412 when ``if_match`` is not the current version.

    ``fields`` may hold ``title``, ``description``, ``priority``, ``due_at``, ``archived``, ``reminders``
    (``None``: back to the project default), ``assignee_ids`` and ``label_ids``. Records ``task.updated``
    with each changed field's from/to.
    """
    task, _access = task_access(task_id=task_id, user_id=user_id, role=Role.MEMBER)
    if "title" in fields and not fields["title"]:
        raise KanbanInvalidError("A task needs a title.", field="title")
    assignees = _check_members(task.project_id, fields["assignee_ids"] or []) if "assignee_ids" in fields else None
    labels = _check_labels(task.board_id, fields["label_ids"] or []) if "label_ids" in fields else None
    with transaction.atomic():
        task = _locked_task(task_id)
        _check_version(task, if_match)
        now = timezone.now()
        diff: dict[str, dict[str, Any]] = {}
        for name in ("title", "description", "priority", "due_at", "archived"):
            if name not in fields:
                continue
            value = fields[name]
            if value is None:
                value = _CLEARS.get(name)
            old = getattr(task, name)
            if old != value:
                diff[name] = {"from": _json(old), "to": _json(value)}
                setattr(task, name, value)
        if "reminders" in fields:
            new_reminders = clean_reminders(fields["reminders"])
            if task.reminders != new_reminders:
                diff["reminders"] = {"from": task.reminders, "to": new_reminders}
                task.reminders = new_reminders
        if diff.get("archived", {}).get("to") is False:  # back on the board: it enters its column again
            _check_wip(Column.objects.select_for_update().get(id=task.column_id))
        if assignees is not None:
            old_assignees = list(
                TaskAssignee.objects.filter(task_id=task.id).order_by("id").values_list("user_id", flat=True)
            )
            if set(old_assignees) != set(assignees):
                TaskAssignee.objects.filter(task_id=task.id).exclude(user_id__in=assignees).delete()
                TaskAssignee.objects.bulk_create(
                    [
                        TaskAssignee(task_id=task.id, user_id=u, assigned_at=now)
                        for u in assignees
                        if u not in old_assignees
                    ]
                )
                diff["assignee_ids"] = {"from": _json(old_assignees), "to": _json(assignees)}
        if labels is not None:
            old_labels = list(
                TaskLabel.objects.filter(task_id=task.id).order_by("id").values_list("label_id", flat=True)
            )
            if set(old_labels) != set(labels):
                TaskLabel.objects.filter(task_id=task.id).exclude(label_id__in=labels).delete()
                TaskLabel.objects.bulk_create(
                    [TaskLabel(task_id=task.id, label_id=lab) for lab in labels if lab not in old_labels]
                )
                diff["label_ids"] = {"from": _json(old_labels), "to": _json(labels)}
        if diff:
            _touch(task, now)
            task.save()
            changes.record(
                verb="task.updated",
                project_id=task.project_id,
                board_id=task.board_id,
                task_id=task.id,
                actor_id=user_id,
                data={"changes": diff},
            )
    return _refresh(task)


def task_move(
    *,
    user_id: uuid.UUID,
    task_id: uuid.UUID,
    column_id: uuid.UUID,
    placement: Placement | None = None,
    if_match: int | None = None,
) -> Task:
    """Move a task to ``column_id`` (before/after a sibling, else last): one task row is written.

    409 ``kanban.wip_limit`` when entering a column at its limit; 412 on a stale ``if_match``. Sets
    ``completed_at`` when the task enters a done column and clears it when it leaves one.
    """
    task, _access = task_access(task_id=task_id, user_id=user_id, role=Role.MEMBER)
    placement = placement or Placement()
    with transaction.atomic():
        task = _locked_task(task_id)
        _check_version(task, if_match)
        source = Column.objects.get(id=task.column_id)
        target = _column_of_board(task.board_id, column_id, lock=True)
        if target.id != source.id and not task.archived:
            _check_wip(target)
        now = timezone.now()
        old_position = task.position

        def write() -> str:
            position = position_in(Task.objects.filter(column_id=target.id), placement, exclude_id=task.id)
            Task.objects.filter(id=task.id).update(
                column_id=target.id,
                position=position,
                completed_at=(task.completed_at or now) if target.is_done else None,
                version=F("version") + 1,
                updated_at=now,
            )
            return position

        new_position = with_position_retry(write)
        changes.record(
            verb="task.moved",
            project_id=task.project_id,
            board_id=task.board_id,
            task_id=task.id,
            actor_id=user_id,
            data={
                "from": {"column_id": str(source.id), "position": old_position},
                "to": {"column_id": str(target.id), "position": new_position},
            },
        )
    return _refresh(task)


def task_delete(*, user_id: uuid.UUID, task_id: uuid.UUID) -> None:
    """Delete a task and everything on it; its number is never reused. Records ``task.deleted``."""
    task, access = task_access(task_id=task_id, user_id=user_id, role=Role.MEMBER)
    with transaction.atomic():
        task = _locked_task(task_id)
        changes.record(
            verb="task.deleted",
            project_id=task.project_id,
            board_id=task.board_id,
            task_id=task.id,
            actor_id=user_id,
            data={"number": selectors.task_number(access.project.key, task.number), "title": task.title},
        )
        task.delete()


def task_bump(task_id: uuid.UUID, now: datetime | None = None) -> None:
    """Advance a task's version (a change to its checklist); the caller is inside the change's atomic."""
    Task.objects.filter(id=task_id).update(version=F("version") + 1, updated_at=now or timezone.now())
