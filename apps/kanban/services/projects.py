"""Projects, members and invitations: every write checks the caller's role and records its activity.

Role rules: ``admin`` edits the project and manages members below owner; only an ``owner`` deletes the
project, makes someone an owner or changes/removes another owner; anyone may leave. A project always
keeps one owner (:class:`LastOwnerError`). Membership changes lock the project row, so two owners
demoting each other at once cannot leave it without one.

Invitations: the link is ``PUBLIC_BASE_URL`` + :data:`INVITATION_PATH` + ``?token=…``, valid
:data:`INVITATION_TTL`, single use; only the token's SHA-256 is stored. Creating one answers the same
whatever the address (no account lookup at all); accepting needs a signed-in user whose *verified*
email is the invited address. Other apps (account, email) are called outside the transactions.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from apps.account.services import account_service
from apps.email.services import email_service
from apps.kanban.models import ROLE_RANK, Board, Invitation, Membership, Project, Role, Task, TaskAssignee
from apps.kanban.services import changes
from apps.kanban.services.access import Access, project_access
from apps.kanban.services.errors import (
    InvitationInvalidError,
    KanbanInvalidError,
    KanbanNotFoundError,
    LastOwnerError,
    RoleRequiredError,
)
from apps.kanban.services.people import display_names
from apps.kanban.services.reminders import clean_reminders
from gau.rpc import RateLimitedError

KEY_PATTERN = re.compile(r"^[A-Z][A-Z0-9]{1,9}$")
DEFAULT_KEY = "TASK"
#: Path of the web app's page that accepts an invitation (it POSTs the token to ``invitations/accept``).
INVITATION_PATH = "/kanban/invitations/accept"
INVITATION_TTL = timedelta(days=7)
INVITATION_TEMPLATE = "kanban/board_invitation"
#: Invitations a project may send per day: admins cannot turn Gau into a mail cannon.
INVITATIONS_PER_DAY = 100
PROJECT_FIELDS = frozenset({"name", "key", "description", "default_reminders"})


def bump_project_boards(*, project_id: uuid.UUID) -> None:
    """Advance every board version of the project (board reads show members; their ETags must change)."""
    Board.objects.filter(project_id=project_id).update(version=F("version") + 1, updated_at=timezone.now())


def lock_project(*, project_id: uuid.UUID, user_id: uuid.UUID, role: str) -> Access:
    """Inside ``atomic``: lock the project row (serialises membership changes), then check the caller."""
    list(Project.objects.select_for_update().filter(pk=project_id).values_list("pk", flat=True))
    return project_access(project_id=project_id, user_id=user_id, role=role)


def clean_name(value: Any, *, field: str = "name", max_length: int = 200) -> str:
    name = str(value or "").strip()
    if not name or len(name) > max_length:
        raise KanbanInvalidError(f"{field} must be 1 to {max_length} characters.", fields={field: ["Not valid."]})
    return name


def _clean_key(value: Any) -> str:
    key = str(value)
    if not KEY_PATTERN.match(key):
        raise KanbanInvalidError(
            "key must be 2 to 10 capital letters or digits, starting with a letter.",
            fields={"key": ["2 to 10 capital letters or digits, starting with a letter."]},
        )
    return key


# --- projects ---------------------------------------------------------------------------------


def project_create(*, user_id: uuid.UUID, name: str, key: str | None = None, description: str = "") -> Access:
    """Create a project with ``user_id`` as its owner; returns the creator's access (project + role)."""
    name = clean_name(name)
    key = _clean_key(key) if key is not None else DEFAULT_KEY
    with transaction.atomic():
        now = timezone.now()
        project = Project.objects.create(
            name=name, key=key, description=description or "", created_by=user_id, created_at=now, updated_at=now
        )
        Membership.objects.create(project=project, user_id=user_id, role=Role.OWNER, joined_at=now)
        changes.record(verb="project.created", project_id=project.id, actor_id=user_id, data={"name": name, "key": key})
    return Access(project=project, user_id=user_id, role=Role.OWNER)


def project_update(*, user_id: uuid.UUID, project_id: uuid.UUID, fields: Mapping[str, Any]) -> Access:
    """Change ``name``, ``key``, ``description`` and/or ``default_reminders`` (admin or owner); records the
    changed fields."""
    unknown = set(fields) - PROJECT_FIELDS
    if unknown:
        raise KanbanInvalidError("Unknown fields.", fields={f: ["Unknown field."] for f in sorted(unknown)})
    clean: dict[str, Any] = {}
    if "name" in fields:
        clean["name"] = clean_name(fields["name"])
    if "key" in fields:
        clean["key"] = _clean_key(fields["key"])
    if "description" in fields:
        clean["description"] = str(fields["description"] or "")
    if "default_reminders" in fields:
        clean["default_reminders"] = clean_reminders(fields["default_reminders"] or [])
    with transaction.atomic():
        access = lock_project(project_id=project_id, user_id=user_id, role=Role.ADMIN)
        project = access.project
        diff = {f: {"from": getattr(project, f), "to": v} for f, v in clean.items() if getattr(project, f) != v}
        if diff:
            for f, v in clean.items():
                setattr(project, f, v)
            project.updated_at = timezone.now()
            project.save(update_fields=[*clean, "updated_at"])
            changes.record(verb="project.updated", project_id=project.id, actor_id=user_id, data={"changes": diff})
            if "key" in diff:
                bump_project_boards(project_id=project.id)  # task numbers on every board read change
    return access


def project_delete(*, user_id: uuid.UUID, project_id: uuid.UUID) -> None:
    """Delete the project and everything in it (owners only)."""
    with transaction.atomic():
        access = lock_project(project_id=project_id, user_id=user_id, role=Role.OWNER)
        project_purge(project=access.project, actor_id=user_id)


def project_purge(*, project: Project, actor_id: uuid.UUID | None) -> None:
    """Inside ``atomic``: record ``project.deleted`` (subscribers see it) and delete every row of the project.

    Tasks go first: their column is PROTECTed, which would stop the cascade from the project.
    """
    changes.record(verb="project.deleted", project_id=project.id, actor_id=actor_id, data={"name": project.name})
    Task.objects.filter(project_id=project.id).delete()
    project.delete()


# --- members --------------------------------------------------------------------------------------


def _owner_count(project_id: uuid.UUID) -> int:
    return Membership.objects.filter(project_id=project_id, role=Role.OWNER).count()


def _target(project_id: uuid.UUID, user_id: uuid.UUID) -> Membership:
    membership = Membership.objects.filter(project_id=project_id, user_id=user_id).first()
    if membership is None:
        raise KanbanNotFoundError("No such member.")
    return membership


def member_update_role(*, actor_id: uuid.UUID, project_id: uuid.UUID, user_id: uuid.UUID, role: str) -> Membership:
    """Change a member's role: admins for roles below owner; owners for anything touching ``owner``."""
    if role not in ROLE_RANK:
        raise KanbanInvalidError("Unknown role.", fields={"role": ["Unknown role."]})
    with transaction.atomic():
        access = lock_project(project_id=project_id, user_id=actor_id, role=Role.ADMIN)
        target = _target(project_id, user_id)
        if target.role == role:
            return target
        if Role.OWNER in (target.role, role) and access.role != Role.OWNER:
            raise RoleRequiredError("Only an owner can make or change an owner.", required=Role.OWNER)
        if target.role == Role.OWNER and _owner_count(project_id) <= 1:
            raise LastOwnerError()
        previous = target.role
        target.role = role
        target.save(update_fields=["role"])
        changes.record(
            verb="member.role_changed",
            project_id=project_id,
            actor_id=actor_id,
            data={"user_id": str(user_id), "from": previous, "to": role},
        )
        bump_project_boards(project_id=project_id)
    return target


def drop_member(*, membership: Membership, actor_id: uuid.UUID | None, reason: str) -> None:
    """Inside ``atomic``: delete a membership and the member's assignments in the project, and record it."""
    project_id, user_id = membership.project_id, membership.user_id
    assigned = TaskAssignee.objects.filter(task__project_id=project_id, user_id=user_id)
    Task.objects.filter(pk__in=assigned.values("task_id")).update(version=F("version") + 1)
    assigned.delete()
    membership.delete()
    changes.record(
        verb="member.removed",
        project_id=project_id,
        actor_id=actor_id,
        data={"user_id": str(user_id), "role": membership.role, "reason": reason},
    )
    bump_project_boards(project_id=project_id)


def member_remove(*, actor_id: uuid.UUID, project_id: uuid.UUID, user_id: uuid.UUID) -> None:
    """Remove a member (admins remove others below owner; owners remove owners) or leave (anyone)."""
    leaving = actor_id == user_id
    with transaction.atomic():
        access = lock_project(project_id=project_id, user_id=actor_id, role=Role.VIEWER if leaving else Role.ADMIN)
        target = _target(project_id, user_id)
        if target.role == Role.OWNER:
            if not leaving and access.role != Role.OWNER:
                raise RoleRequiredError("Only an owner can remove an owner.", required=Role.OWNER)
            if _owner_count(project_id) <= 1:
                raise LastOwnerError()
        drop_member(membership=target, actor_id=actor_id, reason="left" if leaving else "removed")


# --- invitations ------------------------------------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_link(token: str, lang: str = "") -> str:
    """The emailed link: the hosted page (``api/pages.py``), in the email's language when it has one."""
    link = f"{settings.PUBLIC_BASE_URL.rstrip('/')}{INVITATION_PATH}?token={token}"
    return f"{link}&lang={lang}" if lang else link


def invitation_peek(*, token: str) -> Invitation | None:
    """The live (unused, unexpired) invitation of ``token`` with its project, or ``None``; spends nothing."""
    if not token:
        return None
    return (
        Invitation.objects.select_related("project")
        .filter(token_hash=_token_hash(token), accepted_at__isnull=True, expires_at__gt=timezone.now())
        .first()
    )


def invitation_create(*, actor_id: uuid.UUID, project_id: uuid.UUID, email: str, role: str) -> Invitation:
    """Invite ``email`` with ``role`` (admins; an owner invitation needs an owner) and email the link.

    The answer never depends on whether the address has an account. The email is queued after the
    invitation commits, idempotent per invitation.
    """
    if role not in ROLE_RANK:
        raise KanbanInvalidError("Unknown role.", fields={"role": ["Unknown role."]})
    email = email.strip()
    access = project_access(project_id=project_id, user_id=actor_id, role=Role.ADMIN)
    if role == Role.OWNER and access.role != Role.OWNER:
        raise RoleRequiredError("Only an owner can invite an owner.", required=Role.OWNER)
    inviter = display_names([actor_id])[actor_id]
    # The invitee may have no account yet (and none is looked up), so the email and its page speak the
    # inviter's language.
    inviter_user = account_service.get_user(user_id=actor_id)
    locale = inviter_user.locale if inviter_user is not None else ""
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        now = timezone.now()
        lock_project(project_id=project_id, user_id=actor_id, role=Role.ADMIN)  # counts below stay honest
        sent = Invitation.objects.filter(project_id=project_id, created_at__gte=now - timedelta(days=1)).count()
        if sent >= INVITATIONS_PER_DAY:
            raise RateLimitedError(
                f"This project sent {INVITATIONS_PER_DAY} invitations in the last day; try again later.",
                retry_after=3600,
            )
        invitation = Invitation.objects.create(
            project_id=project_id,
            email=email,
            role=role,
            token_hash=_token_hash(token),
            invited_by=actor_id,
            created_at=now,
            expires_at=now + INVITATION_TTL,
        )
        changes.record(
            verb="invitation.created",
            project_id=project_id,
            actor_id=actor_id,
            data={"invitation_id": str(invitation.id), "role": role},
        )
    email_service.send(
        template=INVITATION_TEMPLATE,
        to=email,
        context={
            "inviter_name": inviter,
            "board_name": access.project.name,
            "accept_url": invitation_link(token, locale.replace("_", "-").split("-")[0].lower()),
        },
        idempotency_key=f"kanban:invitation:{invitation.id}",
        locale=locale or None,
    )
    return invitation


def invitation_accept(*, user_id: uuid.UUID, token: str) -> Membership:
    """Join the project of a valid invitation addressed to the caller's verified email.

    Unknown, used, expired or someone else's invitation: one :class:`InvitationInvalidError`. A member
    already in the project keeps the higher of their role and the invited one.
    """
    user = account_service.get_user(user_id=user_id)
    with transaction.atomic():
        invitation = Invitation.objects.select_for_update().filter(token_hash=_token_hash(token)).first()
        now = timezone.now()
        if (
            invitation is None
            or invitation.accepted_at is not None
            or invitation.expires_at <= now
            or user is None
            or not user.is_active
            or not user.email_verified
            or user.email.casefold() != invitation.email.casefold()
        ):
            raise InvitationInvalidError()
        project_id = invitation.project_id
        list(Project.objects.select_for_update().filter(pk=project_id).values_list("pk", flat=True))
        invitation.accepted_at, invitation.accepted_by = now, user_id
        invitation.save(update_fields=["accepted_at", "accepted_by"])
        membership = Membership.objects.filter(project_id=project_id, user_id=user_id).first()
        via = {"invitation_id": str(invitation.id)}
        if membership is None:
            membership = Membership.objects.create(project_id=project_id, user_id=user_id, role=invitation.role)
            data = {"user_id": str(user_id), "role": invitation.role, **via}
            changes.record(verb="member.added", project_id=project_id, actor_id=user_id, data=data)
            bump_project_boards(project_id=project_id)
        elif ROLE_RANK[invitation.role] > ROLE_RANK[membership.role]:
            data = {"user_id": str(user_id), "from": membership.role, "to": invitation.role, **via}
            membership.role = invitation.role
            membership.save(update_fields=["role"])
            changes.record(verb="member.role_changed", project_id=project_id, actor_id=user_id, data=data)
            bump_project_boards(project_id=project_id)
    return membership
