"""Boards, columns and labels: admins write them, every write records its activity in its transaction.

Column order uses fractional-index keys (:mod:`positions`); a column write locks its board row, so
two admins adding columns at once never compute the same key. Deleting a column that still holds
tasks (archived ones included) is a 409 unless ``move_tasks_to`` names another column of the board:
the tasks then go to its end in their order, each with a new key and version. That admin bulk move
ignores the target's WIP limit on purpose (a limit stops new work, not a reorganisation).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from apps.kanban.models import Board, Column, Label, Role, Task
from apps.kanban.services import changes
from apps.kanban.services.access import Access, project_access
from apps.kanban.services.errors import KanbanConflictError, KanbanInvalidError, KanbanNotFoundError
from apps.kanban.services.positions import key_between
from apps.kanban.services.projects import clean_name

COLOR_PATTERN = re.compile(r"^#[0-9a-fA-F]{6}$")
COLUMN_FIELDS = frozenset({"name", "wip_limit", "is_done", "before_id", "after_id"})
LABEL_FIELDS = frozenset({"name", "color"})
#: Attempts of a column delete that moves tasks, when a concurrent task write took a key first.
MOVE_ATTEMPTS = 3


def _invalid(field: str, message: str) -> KanbanInvalidError:
    return KanbanInvalidError(message, fields={field: [message]})


def board_access(*, board_id: uuid.UUID, user_id: uuid.UUID, role: str = Role.VIEWER) -> tuple[Board, Access]:
    """The board and the caller's access to its project (404 for strangers and missing ids alike)."""
    board = Board.objects.filter(pk=board_id).first()
    if board is None:
        raise KanbanNotFoundError()
    return board, project_access(project_id=board.project_id, user_id=user_id, role=role)


def _lock_board(board_id: uuid.UUID) -> None:
    list(Board.objects.select_for_update().filter(pk=board_id).values_list("pk", flat=True))


# --- boards -----------------------------------------------------------------------------------------


def board_create(*, user_id: uuid.UUID, project_id: uuid.UUID, name: str) -> Board:
    name = clean_name(name)
    with transaction.atomic():
        project_access(project_id=project_id, user_id=user_id, role=Role.ADMIN)
        now = timezone.now()
        board = Board.objects.create(project_id=project_id, name=name, created_at=now, updated_at=now)
        changes.record(
            verb="board.created", project_id=project_id, actor_id=user_id, board_id=board.id, data={"name": name}
        )
    board.refresh_from_db(fields=["version", "updated_at"])
    return board


def board_update(*, user_id: uuid.UUID, board_id: uuid.UUID, name: str) -> Board:
    name = clean_name(name)
    with transaction.atomic():
        board, _ = board_access(board_id=board_id, user_id=user_id, role=Role.ADMIN)
        if board.name != name:
            previous, board.name = board.name, name
            board.save(update_fields=["name"])
            changes.record(
                verb="board.updated",
                project_id=board.project_id,
                actor_id=user_id,
                board_id=board.id,
                data={"changes": {"name": {"from": previous, "to": name}}},
            )
    board.refresh_from_db(fields=["version", "updated_at"])
    return board


def board_delete(*, user_id: uuid.UUID, board_id: uuid.UUID) -> None:
    """Delete a board with its columns, tasks and labels (admins)."""
    with transaction.atomic():
        board, _ = board_access(board_id=board_id, user_id=user_id, role=Role.ADMIN)
        changes.record(
            verb="board.deleted",
            project_id=board.project_id,
            actor_id=user_id,
            board_id=board.id,
            data={"name": board.name},
            bump_board=False,
        )
        Task.objects.filter(board_id=board.id).delete()  # Task.column is PROTECT: tasks before columns
        board.delete()


# --- columns ----------------------------------------------------------------------------------------


def _slot(
    *, board_id: uuid.UUID, before_id: uuid.UUID | None, after_id: uuid.UUID | None, moving: uuid.UUID | None = None
) -> str:
    """A new key for a column placed before/after a sibling (default: last), ``moving`` left out."""
    if before_id is not None and after_id is not None:
        raise _invalid("before_id", "Give before_id or after_id, not both.")
    siblings = Column.objects.filter(board_id=board_id)
    if moving is not None:
        siblings = siblings.exclude(pk=moving)
    keys = siblings.order_by("position").values_list("position", flat=True)
    if before_id is not None or after_id is not None:
        field, anchor_id = ("before_id", before_id) if before_id is not None else ("after_id", after_id)
        assert anchor_id is not None
        anchor = siblings.filter(pk=anchor_id).values_list("position", flat=True).first()
        if anchor is None:
            raise _invalid(field, f"{anchor_id} is not another column of this board.")
        if before_id is not None:
            return key_between(keys.filter(position__lt=anchor).reverse().first(), anchor)
        return key_between(anchor, keys.filter(position__gt=anchor).first())
    return key_between(keys.reverse().first(), None)


def _clean_wip(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise _invalid("wip_limit", "wip_limit must be a positive integer or null.")
    return value


def column_create(
    *,
    user_id: uuid.UUID,
    board_id: uuid.UUID,
    name: str,
    wip_limit: int | None = None,
    is_done: bool = False,
    before_id: uuid.UUID | None = None,
    after_id: uuid.UUID | None = None,
) -> Column:
    name = clean_name(name)
    wip_limit = _clean_wip(wip_limit)
    with transaction.atomic():
        board, _ = board_access(board_id=board_id, user_id=user_id, role=Role.ADMIN)
        _lock_board(board.id)
        position = _slot(board_id=board.id, before_id=before_id, after_id=after_id)
        now = timezone.now()
        column = Column.objects.create(
            board=board,
            name=name,
            position=position,
            wip_limit=wip_limit,
            is_done=bool(is_done),
            created_at=now,
            updated_at=now,
        )
        changes.record(
            verb="column.created",
            project_id=board.project_id,
            actor_id=user_id,
            board_id=board.id,
            data={"column_id": str(column.id), "name": name, "position": position},
        )
    return column


def column_access(*, column_id: uuid.UUID, user_id: uuid.UUID, role: str = Role.VIEWER) -> tuple[Column, Access]:
    column = Column.objects.select_related("board").filter(pk=column_id).first()
    if column is None:
        raise KanbanNotFoundError()
    return column, project_access(project_id=column.board.project_id, user_id=user_id, role=role)


def column_update(*, user_id: uuid.UUID, column_id: uuid.UUID, fields: Mapping[str, Any]) -> Column:
    """Change name, wip_limit (null clears), is_done, or move with before_id/after_id (admins).

    Turning ``is_done`` on stamps ``completed_at`` on the column's tasks; turning it off clears it.
    A lower ``wip_limit`` than the tasks already there is accepted: the limit stops further entries.
    """
    unknown = set(fields) - COLUMN_FIELDS
    if unknown:
        raise KanbanInvalidError("Unknown fields.", fields={f: ["Unknown field."] for f in sorted(unknown)})
    clean: dict[str, Any] = {}
    if "name" in fields:
        clean["name"] = clean_name(fields["name"])
    if "wip_limit" in fields:
        clean["wip_limit"] = _clean_wip(fields["wip_limit"])
    if "is_done" in fields:
        if not isinstance(fields["is_done"], bool):
            raise _invalid("is_done", "is_done must be true or false.")
        clean["is_done"] = fields["is_done"]
    before_id, after_id = fields.get("before_id"), fields.get("after_id")
    with transaction.atomic():
        column, _ = column_access(column_id=column_id, user_id=user_id, role=Role.ADMIN)
        board = column.board
        _lock_board(board.id)
        if column_id in (before_id, after_id):
            field = "before_id" if before_id == column_id else "after_id"
            raise _invalid(field, "A column cannot move next to itself.")
        diff = {f: {"from": getattr(column, f), "to": v} for f, v in clean.items() if getattr(column, f) != v}
        moved: dict[str, str] | None = None
        if before_id is not None or after_id is not None:
            position = _slot(board_id=board.id, before_id=before_id, after_id=after_id, moving=column.id)
            moved = {"from": column.position, "to": position}
            column.position = position
        if not diff and moved is None:
            return column
        now = timezone.now()
        for f, change in diff.items():
            setattr(column, f, change["to"])
        column.updated_at = now
        column.save(update_fields=[*diff, *(["position"] if moved else []), "updated_at"])
        if "is_done" in diff:
            Task.objects.filter(column=column).update(
                completed_at=now if column.is_done else None, version=F("version") + 1, updated_at=now
            )
        base: dict[str, Any] = {"project_id": board.project_id, "actor_id": user_id, "board_id": board.id}
        if diff:
            changes.record(verb="column.updated", **base, data={"column_id": str(column.id), "changes": diff})
        if moved:
            changes.record(verb="column.moved", **base, data={"column_id": str(column.id), **moved})
    return column


def column_delete(*, user_id: uuid.UUID, column_id: uuid.UUID, move_tasks_to: uuid.UUID | None = None) -> None:
    """Delete a column; 409 while it holds tasks unless ``move_tasks_to`` names another column of the board."""
    for attempt in range(MOVE_ATTEMPTS):
        try:
            _column_delete(user_id=user_id, column_id=column_id, move_tasks_to=move_tasks_to)
            return
        except IntegrityError:
            # A task landed at the target's end while we moved tasks there: take fresh keys and retry.
            if attempt == MOVE_ATTEMPTS - 1:
                raise KanbanConflictError("The target column changed during the move; try again.") from None


def _column_delete(*, user_id: uuid.UUID, column_id: uuid.UUID, move_tasks_to: uuid.UUID | None) -> None:
    with transaction.atomic():
        column, _ = column_access(column_id=column_id, user_id=user_id, role=Role.ADMIN)
        board = column.board
        _lock_board(board.id)
        tasks = list(Task.objects.filter(column=column).order_by("position").only("id", "position", "completed_at"))
        base: dict[str, Any] = {"project_id": board.project_id, "actor_id": user_id, "board_id": board.id}
        target: Column | None = None
        if tasks:
            if move_tasks_to is None:
                raise KanbanConflictError(
                    "The column still holds tasks; move them first or pass move_tasks_to.", tasks=len(tasks)
                )
            target = Column.objects.filter(pk=move_tasks_to, board_id=board.id).exclude(pk=column.id).first()
            if target is None:
                raise _invalid("move_tasks_to", f"{move_tasks_to} is not another column of this board.")
            now = timezone.now()
            last = Task.objects.filter(column=target).order_by("-position").values_list("position", flat=True).first()
            for task in tasks:
                last = key_between(last, None)
                done_at = (task.completed_at or now) if target.is_done else None
                Task.objects.filter(pk=task.id).update(
                    column=target, position=last, completed_at=done_at, version=F("version") + 1, updated_at=now
                )
                changes.record(
                    verb="task.moved",
                    **base,
                    task_id=task.id,
                    data={"from_column": str(column.id), "to_column": str(target.id), "position": last},
                    bump_board=False,
                )
        changes.record(
            verb="column.deleted",
            **base,
            data={
                "column_id": str(column.id),
                "name": column.name,
                "moved_tasks": len(tasks),
                "moved_to": str(target.id) if target else None,
            },
        )
        column.delete()


# --- labels -----------------------------------------------------------------------------------------


def _clean_color(value: Any) -> str:
    if not isinstance(value, str) or not COLOR_PATTERN.match(value):
        raise _invalid("color", "color must be #rrggbb.")
    return value.lower()


def label_create(*, user_id: uuid.UUID, board_id: uuid.UUID, name: str, color: str) -> Label:
    name = clean_name(name, max_length=100)
    color = _clean_color(color)
    with transaction.atomic():
        board, _ = board_access(board_id=board_id, user_id=user_id, role=Role.ADMIN)
        label = Label.objects.create(board=board, name=name, color=color)
        changes.record(
            verb="label.created",
            project_id=board.project_id,
            actor_id=user_id,
            board_id=board.id,
            data={"label_id": str(label.id), "name": name, "color": color},
        )
    return label


def label_access(*, label_id: uuid.UUID, user_id: uuid.UUID, role: str = Role.VIEWER) -> tuple[Label, Access]:
    label = Label.objects.select_related("board").filter(pk=label_id).first()
    if label is None:
        raise KanbanNotFoundError()
    return label, project_access(project_id=label.board.project_id, user_id=user_id, role=role)


def label_update(*, user_id: uuid.UUID, label_id: uuid.UUID, fields: Mapping[str, Any]) -> Label:
    unknown = set(fields) - LABEL_FIELDS
    if unknown:
        raise KanbanInvalidError("Unknown fields.", fields={f: ["Unknown field."] for f in sorted(unknown)})
    clean: dict[str, str] = {}
    if "name" in fields:
        clean["name"] = clean_name(fields["name"], max_length=100)
    if "color" in fields:
        clean["color"] = _clean_color(fields["color"])
    with transaction.atomic():
        label, _ = label_access(label_id=label_id, user_id=user_id, role=Role.ADMIN)
        diff = {f: {"from": getattr(label, f), "to": v} for f, v in clean.items() if getattr(label, f) != v}
        if diff:
            for f, v in clean.items():
                setattr(label, f, v)
            label.save(update_fields=list(clean))
            changes.record(
                verb="label.updated",
                project_id=label.board.project_id,
                actor_id=user_id,
                board_id=label.board_id,
                data={"label_id": str(label.id), "changes": diff},
            )
    return label


def label_delete(*, user_id: uuid.UUID, label_id: uuid.UUID) -> None:
    """Delete a label; the tasks carrying it lose it (and get a new version)."""
    with transaction.atomic():
        label, _ = label_access(label_id=label_id, user_id=user_id, role=Role.ADMIN)
        Task.objects.filter(label_links__label=label).update(version=F("version") + 1)
        changes.record(
            verb="label.deleted",
            project_id=label.board.project_id,
            actor_id=user_id,
            board_id=label.board_id,
            data={"label_id": str(label.id), "name": label.name},
        )
        label.delete()
