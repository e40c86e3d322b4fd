"""Comments on tasks: members write, the author edits, the author or an admin deletes."""

from __future__ import annotations

import uuid

from django.db import transaction
from django.utils import timezone

from apps.kanban import selectors
from apps.kanban.models import Comment, Role
from apps.kanban.services import changes
from apps.kanban.services.access import project_access
from apps.kanban.services.errors import KanbanNotFoundError, RoleRequiredError
from apps.kanban.services.tasks import task_access

#: Longest comment body, in characters.
MAX_BODY = 10_000


def comment_access(*, comment_id: uuid.UUID, user_id: uuid.UUID, role: str = Role.VIEWER) -> tuple[Comment, str]:
    """The comment and the caller's role: 404 for a missing comment or a non-member, 403 below ``role``."""
    comment = selectors.comment_lookup(comment_id=comment_id)
    if comment is None:
        raise KanbanNotFoundError()
    access = project_access(project_id=comment.task.project_id, user_id=user_id, role=role)
    return comment, access.role


def comment_create(*, user_id: uuid.UUID, task_id: uuid.UUID, body: str) -> Comment:
    """Comment on a task (a member's right); records ``comment.created``."""
    task, _ = task_access(task_id=task_id, user_id=user_id, role=Role.MEMBER)
    with transaction.atomic():
        comment = Comment.objects.create(task_id=task.id, author_id=user_id, body=body, created_at=timezone.now())
        changes.record(
            verb="comment.created",
            project_id=task.project_id,
            board_id=task.board_id,
            task_id=task.id,
            actor_id=user_id,
            data={"comment_id": str(comment.id)},
        )
    return comment


def comment_update(*, user_id: uuid.UUID, comment_id: uuid.UUID, body: str) -> Comment:
    """Edit a comment: its author only (and still a member); records ``comment.updated``."""
    comment, _role = comment_access(comment_id=comment_id, user_id=user_id, role=Role.MEMBER)
    if comment.author_id != user_id:
        raise RoleRequiredError("Only the author can edit a comment.", required="author")
    with transaction.atomic():
        now = timezone.now()
        updated = Comment.objects.filter(id=comment.id).update(body=body, edited_at=now)
        if not updated:
            raise KanbanNotFoundError()
        changes.record(
            verb="comment.updated",
            project_id=comment.task.project_id,
            board_id=comment.task.board_id,
            task_id=comment.task_id,
            actor_id=user_id,
            data={"comment_id": str(comment.id)},
        )
    comment.body, comment.edited_at = body, now
    return comment


def comment_delete(*, user_id: uuid.UUID, comment_id: uuid.UUID) -> None:
    """Delete a comment: its author (a member) or a project admin; records ``comment.deleted``."""
    comment, role = comment_access(comment_id=comment_id, user_id=user_id, role=Role.MEMBER)
    if comment.author_id != user_id and role not in {Role.ADMIN, Role.OWNER}:
        raise RoleRequiredError("Only the author or a project admin can delete a comment.", required=Role.ADMIN)
    with transaction.atomic():
        Comment.objects.filter(id=comment.id).delete()
        changes.record(
            verb="comment.deleted",
            project_id=comment.task.project_id,
            board_id=comment.task.board_id,
            task_id=comment.task_id,
            actor_id=user_id,
            data={"comment_id": str(comment.id), "author_id": str(comment.author_id) if comment.author_id else None},
        )
