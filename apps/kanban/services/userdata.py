"""A user's kanban data: deletion and export (behind ``KanbanService``).

Deletion rules (idempotent; one transaction):
- every membership goes (recorded as ``member.removed`` with reason ``account_deleted``, no actor);
  a project whose only owner leaves passes to its oldest admin, else oldest member, else oldest viewer
  (``member.role_changed`` with reason ``owner_left``); a project with nobody left is deleted;
- task assignments go (the tasks get a new version); watches, pending notifications and notification
  preferences go;
- comments stay with ``author_id`` cleared; ``created_by`` / ``added_by`` stamps on projects, tasks,
  attachments, imports and webhooks are cleared; the user's activity entries stay with ``actor_id`` cleared;
- invitations the user sent stay valid (they are the project's decision) with ``invited_by`` cleared;
  invitations the user accepted keep their row with ``accepted_by`` cleared. Invitations are addressed
  to an email address, not an account, so pending ones to the user's address are not touched here.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import transaction
from django.db.models import F

from apps.kanban.models import (
    Activity,
    Attachment,
    BoardImport,
    BoardWatch,
    Comment,
    Invitation,
    Membership,
    Notification,
    NotificationPrefs,
    Project,
    Role,
    Task,
    TaskAssignee,
    TaskWatch,
    Webhook,
)
from apps.kanban.services import changes, people
from apps.kanban.services.projects import bump_project_boards, drop_member, project_purge

#: Who takes over a project whose only owner leaves, in this order (oldest first within a role).
SUCCESSION = (Role.ADMIN, Role.MEMBER, Role.VIEWER)


def task_number(key: str, number: int) -> str:
    """``TASK-0001``: the project key and the number, zero-padded to at least four digits."""
    return f"{key}-{number:04d}"


def _hand_over_or_purge(membership: Membership) -> bool:
    """The user is the project's only owner: promote a successor (True), or delete the project (False)."""
    others = Membership.objects.filter(project_id=membership.project_id).exclude(pk=membership.pk)
    for role in SUCCESSION:
        heir = others.filter(role=role).order_by("joined_at", "pk").first()
        if heir is not None:
            heir.role = Role.OWNER
            heir.save(update_fields=["role"])
            changes.record(
                verb="member.role_changed",
                project_id=membership.project_id,
                actor_id=None,
                data={"user_id": str(heir.user_id), "from": role, "to": Role.OWNER, "reason": "owner_left"},
            )
            bump_project_boards(project_id=membership.project_id)
            return True
    project_purge(project=membership.project, actor_id=None)
    return False


def delete_user_data(*, user_id: uuid.UUID) -> None:
    """Forget ``user_id`` in kanban (rules in the module docstring). Idempotent."""
    with transaction.atomic():
        memberships = list(
            Membership.objects.select_for_update(of=("self",))
            .select_related("project")
            .filter(user_id=user_id)
            .order_by("joined_at")
        )
        for membership in memberships:
            if membership.role == Role.OWNER:
                owners = Membership.objects.filter(project_id=membership.project_id, role=Role.OWNER).count()
                if owners <= 1 and not _hand_over_or_purge(membership):
                    continue  # the project and the membership are gone
            drop_member(membership=membership, actor_id=None, reason="account_deleted")
        assigned = TaskAssignee.objects.filter(user_id=user_id)
        Task.objects.filter(pk__in=assigned.values("task_id")).update(version=F("version") + 1)
        assigned.delete()
        Comment.objects.filter(author_id=user_id).update(author_id=None)
        Activity.objects.filter(actor_id=user_id).update(actor_id=None)
        Invitation.objects.filter(invited_by=user_id).update(invited_by=None)
        Invitation.objects.filter(accepted_by=user_id).update(accepted_by=None)
        # Authorship stamps: the rows are the project's, the pointer to the person goes.
        Project.objects.filter(created_by=user_id).update(created_by=None)
        Task.objects.filter(created_by=user_id).update(created_by=None)
        Attachment.objects.filter(added_by=user_id).update(added_by=None)
        BoardImport.objects.filter(created_by=user_id).update(created_by=None)
        Webhook.objects.filter(created_by=user_id).update(created_by=None)
        TaskWatch.objects.filter(user_id=user_id).delete()
        BoardWatch.objects.filter(user_id=user_id).delete()
        Notification.objects.filter(user_id=user_id).delete()
        NotificationPrefs.objects.filter(user_id=user_id).delete()
    people.forget(user_id)


def export_user_data(*, user_id: uuid.UUID) -> dict[str, Any]:
    """Kanban data about ``user_id``, JSON-ready: memberships, assigned tasks and comments."""
    memberships = [
        {
            "project_id": str(m.project_id),
            "project_name": m.project.name,
            "role": m.role,
            "joined_at": m.joined_at.isoformat(),
        }
        for m in Membership.objects.select_related("project").filter(user_id=user_id).order_by("joined_at", "pk")
    ]
    assigned = [
        {
            "task_id": str(a.task_id),
            "project_id": str(a.task.project_id),
            "board_id": str(a.task.board_id),
            "number": task_number(a.task.project.key, a.task.number),
            "title": a.task.title,
            "assigned_at": a.assigned_at.isoformat(),
        }
        for a in TaskAssignee.objects.select_related("task__project").filter(user_id=user_id).order_by("assigned_at")
    ]
    comments = [
        {"id": str(c.id), "task_id": str(c.task_id), "body": c.body, "created_at": c.created_at.isoformat()}
        for c in Comment.objects.filter(author_id=user_id).order_by("created_at", "pk")
    ]
    return {"memberships": memberships, "assigned_tasks": assigned, "comments": comments}
