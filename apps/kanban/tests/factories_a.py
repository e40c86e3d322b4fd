"""Test data for the kanban projects part: a project with one user per role, clients acting as them.

Users are plain ids unless a test needs a real account (then ``account_service.create_user``); clients
are DRF clients authenticated with a ``PrincipalData`` as the bearer-token authentication would set it.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import F
from django.utils import timezone
from rest_framework.test import APIClient

from apps.authz.services import PrincipalData
from apps.kanban.models import ROLE_RANK, Board, Column, Invitation, Label, Membership, Project, Role, Task
from apps.kanban.services import boards, projects
from apps.kanban.services.positions import key_between

API = "/api/v2/kanban"
ROLES = ("viewer", "member", "admin", "owner")


def client_for(user_id: uuid.UUID, *, scopes: frozenset[str] | None = None) -> Any:
    """A JSON API client acting as ``user_id`` (a session, or an API key with ``scopes``)."""
    client = APIClient()
    client.default_format = "json"
    kind = "user" if scopes is None else "api_key"
    client.force_authenticate(user=PrincipalData(user_id=user_id, kind=kind, scopes=scopes))  # type: ignore[arg-type]
    return client


def expected_status(role: str, *, needs: str, ok: int) -> int:
    """What a caller with ``role`` (or ``"stranger"``) gets from an endpoint needing ``needs``."""
    if role == "stranger":
        return 404
    return ok if ROLE_RANK[role] >= ROLE_RANK[needs] else 403


def add_member(project: Project, role: str, user_id: uuid.UUID | None = None, **fields: Any) -> uuid.UUID:
    user_id = user_id or uuid.uuid4()
    Membership.objects.create(project=project, user_id=user_id, role=role, **fields)
    return user_id


def make_task(board: Board, column: Column, title: str = "Task", **fields: Any) -> Task:
    """A task row at the end of ``column`` with the project's next number (test data, not the write path)."""
    Project.objects.filter(pk=board.project_id).update(next_number=F("next_number") + 1)
    number = Project.objects.get(pk=board.project_id).next_number - 1
    last = Task.objects.filter(column=column).order_by("-position").values_list("position", flat=True).first()
    return Task.objects.create(
        project_id=board.project_id,
        board=board,
        column=column,
        number=number,
        title=title,
        position=key_between(last, None),
        **fields,
    )


def make_invitation(
    project: Project,
    email: str,
    *,
    role: str = Role.MEMBER,
    token: str | None = None,
    expires_at: datetime | None = None,
) -> str:
    """An invitation row for ``email``; returns its token."""
    token = token or uuid.uuid4().hex
    Invitation.objects.create(
        project=project,
        email=email,
        role=role,
        token_hash=hashlib.sha256(token.encode()).hexdigest(),
        expires_at=expires_at or timezone.now() + timedelta(days=7),
    )
    return token


@dataclass
class World:
    """A project with one user per role, an extra member, a stranger, a board with two columns and a label."""

    project: Project
    board: Board
    todo: Column
    done: Column
    label: Label
    users: dict[str, uuid.UUID] = field(default_factory=dict)

    def client(self, role: str, *, scopes: frozenset[str] | None = None) -> Any:
        return client_for(self.users[role], scopes=scopes)


def make_world(name: str = "Apollo") -> World:
    owner = uuid.uuid4()
    project = projects.project_create(user_id=owner, name=name, key="APO").project
    users = {"owner": owner, "stranger": uuid.uuid4()}
    for role in ("viewer", "member", "admin"):
        users[role] = add_member(project, role)
    users["other"] = add_member(project, Role.MEMBER)
    board = boards.board_create(user_id=owner, project_id=project.id, name="Main")
    todo = boards.column_create(user_id=owner, board_id=board.id, name="To do")
    done = boards.column_create(user_id=owner, board_id=board.id, name="Done", is_done=True)
    label = boards.label_create(user_id=owner, board_id=board.id, name="bug", color="#ff0000")
    return World(project=project, board=board, todo=todo, done=done, label=label, users=users)
