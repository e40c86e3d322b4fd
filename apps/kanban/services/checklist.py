"""Checklist items of a task: add, edit (title, done, place), delete. Each change bumps the task's version."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import transaction
from django.utils import timezone

from apps.kanban import selectors
from apps.kanban.models import ChecklistItem, Role
from apps.kanban.services import changes
from apps.kanban.services.access import project_access
from apps.kanban.services.errors import KanbanInvalidError, KanbanNotFoundError
from apps.kanban.services.tasks import Placement, position_in, task_access, task_bump, with_position_retry


def checklist_item_access(*, item_id: uuid.UUID, user_id: uuid.UUID, role: str = Role.VIEWER) -> ChecklistItem:
    """The item, if the caller's role allows: 404 for a missing item or a non-member, 403 below ``role``."""
    item = selectors.checklist_item_lookup(item_id=item_id)
    if item is None:
        raise KanbanNotFoundError()
    project_access(project_id=item.task.project_id, user_id=user_id, role=role)
    return item


def checklist_item_create(
    *, user_id: uuid.UUID, task_id: uuid.UUID, title: str, placement: Placement | None = None
) -> ChecklistItem:
    """Add an item to a task's checklist (last unless placed); records ``checklist.item_added``."""
    task, _ = task_access(task_id=task_id, user_id=user_id, role=Role.MEMBER)
    placement = placement or Placement()
    with transaction.atomic():
        now = timezone.now()

        def insert() -> ChecklistItem:
            position = position_in(ChecklistItem.objects.filter(task_id=task.id), placement, kind="checklist item")
            return ChecklistItem.objects.create(task_id=task.id, title=title, position=position, created_at=now)

        item = with_position_retry(insert)
        task_bump(task.id, now)
        changes.record(
            verb="checklist.item_added",
            project_id=task.project_id,
            board_id=task.board_id,
            task_id=task.id,
            actor_id=user_id,
            data={"item_id": str(item.id), "title": title},
        )
    return item


def checklist_item_update(
    *,
    user_id: uuid.UUID,
    item_id: uuid.UUID,
    fields: dict[str, Any],
    placement: Placement | None = None,
) -> ChecklistItem:
    """Change an item's ``title`` and/or ``done``, or move it; records ``checklist.item_updated``."""
    item = checklist_item_access(item_id=item_id, user_id=user_id, role=Role.MEMBER)
    task = item.task
    if "title" in fields and not fields["title"]:
        raise KanbanInvalidError("A checklist item needs a title.", field="title")
    with transaction.atomic():
        item = ChecklistItem.objects.select_for_update().filter(id=item_id).first() or _gone()
        diff: dict[str, dict[str, Any]] = {}
        for name in ("title", "done"):
            if name in fields and fields[name] is not None and getattr(item, name) != fields[name]:
                diff[name] = {"from": getattr(item, name), "to": fields[name]}
                setattr(item, name, fields[name])
        if placement is not None and (placement.before_id or placement.after_id):
            old = item.position

            def write() -> None:
                item.position = position_in(
                    ChecklistItem.objects.filter(task_id=task.id), placement, exclude_id=item.id, kind="checklist item"
                )
                item.save(update_fields=["position"])

            with_position_retry(write)
            diff["position"] = {"from": old, "to": item.position}
        if diff:
            item.save(update_fields=["title", "done"])
            task_bump(task.id)
            changes.record(
                verb="checklist.item_updated",
                project_id=task.project_id,
                board_id=task.board_id,
                task_id=task.id,
                actor_id=user_id,
                data={"item_id": str(item.id), "changes": diff},
            )
    return item


def checklist_item_delete(*, user_id: uuid.UUID, item_id: uuid.UUID) -> None:
    """Remove an item; records ``checklist.item_deleted``."""
    item = checklist_item_access(item_id=item_id, user_id=user_id, role=Role.MEMBER)
    task = item.task
    with transaction.atomic():
        deleted, _ = ChecklistItem.objects.filter(id=item.id).delete()
        if not deleted:
            _gone()
        task_bump(task.id)
        changes.record(
            verb="checklist.item_deleted",
            project_id=task.project_id,
            board_id=task.board_id,
            task_id=task.id,
            actor_id=user_id,
            data={"item_id": str(item.id), "title": item.title},
        )


def _gone() -> ChecklistItem:
    raise KanbanNotFoundError()
