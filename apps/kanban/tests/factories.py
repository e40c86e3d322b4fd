"""Test data for the kanban tests: users, clients, rows and two ready-made set-ups.

- ``World`` / :func:`make_world` (the ``world`` fixture): a project made through the services with one
  *id* per role (no account behind them), a board with two columns and a label; its clients are forced
  principals (:func:`client_for`, optionally an API key's scopes).
- ``Team`` / :func:`make_team`: real accounts per role (display names come from the account interface)
  with real bearer tokens (:func:`bearer_client`), and a board of three columns made as rows.
- Rows straight through the ORM (test data, not the write path): :func:`make_project`, :func:`make_board`,
  :func:`make_column`, :func:`make_label`, :func:`make_task`, :func:`add_member`, :func:`add_checklist`,
  :func:`add_comments`, :func:`make_invitation`, :func:`fill_board` (big boards in bulk).

Nothing here depends on the suite's ``conftest.py`` fixtures, so modules built on it can also run on
SQLite with ``pytest --noconftest`` (see ``test_tasks_sqlite.py``).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import F
from django.utils import timezone
from rest_framework.test import APIClient

from apps.authz.services import PrincipalData
from apps.kanban.models import (
    ROLE_RANK,
    Board,
    ChecklistItem,
    Column,
    Comment,
    Invitation,
    Label,
    Membership,
    Project,
    Role,
    Task,
    TaskAssignee,
    TaskLabel,
)
from apps.kanban.services import boards, projects
from apps.kanban.services.positions import key_between

API = "/api/v2/kanban"
ROLES = ("viewer", "member", "admin", "owner")


# --- users and clients ------------------------------------------------------------------------------


def client_for(user_id: uuid.UUID, *, scopes: frozenset[str] | None = None) -> Any:
    """A JSON API client acting as ``user_id`` (a session, or an API key with ``scopes``), authenticated
    with a ``PrincipalData`` as the bearer-token authentication would set it (no token is checked)."""
    client = APIClient()
    client.default_format = "json"
    kind = "user" if scopes is None else "api_key"
    client.force_authenticate(user=PrincipalData(user_id=user_id, kind=kind, scopes=scopes))  # type: ignore[arg-type]
    return client


def bearer_client(user_id: uuid.UUID) -> Any:
    """An API client with a real bearer token for ``user_id`` (JSON by default)."""
    from apps.authz.services import authz_service

    client = APIClient()
    client.default_format = "json"
    tokens = authz_service.issue_tokens(user_id=user_id, user_agent="pytest", ip="127.0.0.1")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens.access_token}")
    return client


def api_key_client(user_id: uuid.UUID, *scopes: str) -> Any:
    """An API client using an API key of ``user_id`` limited to ``scopes``."""
    from apps.authz.services import authz_service

    created = authz_service.create_api_key(user_id=user_id, name="kanban test", scopes=frozenset(scopes))
    client = APIClient()
    client.default_format = "json"
    client.credentials(HTTP_X_API_KEY=created.key)
    return client


def make_user(display_name: str = "Test") -> uuid.UUID:
    """A real account user (display names come from the account interface)."""
    from apps.account.services import account_service

    email = f"k-{uuid.uuid4().hex[:12]}@example.com"
    return account_service.create_user(
        email=email, password="correct horse battery staple", display_name=display_name
    ).id


def expected_status(role: str, *, needs: str, ok: int) -> int:
    """What a caller with ``role`` (or ``"stranger"``) gets from an endpoint needing ``needs``."""
    if role == "stranger":
        return 404
    return ok if ROLE_RANK[role] >= ROLE_RANK[needs] else 403


# --- rows -------------------------------------------------------------------------------------------


def add_member(project: Project, role: str, user_id: uuid.UUID | None = None, **fields: Any) -> uuid.UUID:
    """A membership of ``user_id`` (a new id when None) with ``role``; returns the user id."""
    user_id = user_id or uuid.uuid4()
    Membership.objects.create(project=project, user_id=user_id, role=role, **fields)
    return user_id


def make_project(*, key: str = "TASK", name: str = "Project", owner: uuid.UUID | None = None) -> Project:
    project = Project.objects.create(name=name, key=key, created_by=owner)
    if owner is not None:
        add_member(project, Role.OWNER, owner)
    return project


def make_board(project: Project, name: str = "Board") -> Board:
    return Board.objects.create(project=project, name=name)


def make_column(board: Board, name: str = "To do", *, wip_limit: int | None = None, is_done: bool = False) -> Column:
    last = Column.objects.filter(board=board).order_by("-position").values_list("position", flat=True).first()
    return Column.objects.create(
        board=board, name=name, position=key_between(last, None), wip_limit=wip_limit, is_done=is_done
    )


def make_label(board: Board, name: str = "bug", color: str = "#ff0000") -> Label:
    return Label.objects.create(board=board, name=name, color=color)


def make_task(
    column: Column,
    title: str = "A task",
    *,
    labels: Sequence[Label] = (),
    assignees: Sequence[uuid.UUID] = (),
    **fields: Any,
) -> Task:
    """A task appended to ``column`` with the project's next number, straight through the ORM; ``fields``
    are Task fields (``description``, ``priority``, ``due_at``, ``archived``...). In a done column it is
    completed now unless ``completed_at`` is given."""
    board = column.board
    Project.objects.filter(id=board.project_id).update(next_number=F("next_number") + 1)
    number = Project.objects.values_list("next_number", flat=True).get(id=board.project_id) - 1
    last = Task.objects.filter(column=column).order_by("-position").values_list("position", flat=True).first()
    fields.setdefault("completed_at", timezone.now() if column.is_done else None)
    task = Task.objects.create(
        project_id=board.project_id,
        board=board,
        column=column,
        number=number,
        title=title,
        position=key_between(last, None),
        **fields,
    )
    TaskLabel.objects.bulk_create([TaskLabel(task=task, label=lab) for lab in labels])
    TaskAssignee.objects.bulk_create([TaskAssignee(task=task, user_id=u) for u in assignees])
    return task


def add_checklist(task: Task, count: int, *, done: int = 0) -> None:
    position: str | None = None
    items = []
    for i in range(count):
        position = key_between(position, None)
        items.append(ChecklistItem(task=task, title=f"item {i}", position=position, done=i < done))
    ChecklistItem.objects.bulk_create(items)


def add_comments(task: Task, author: uuid.UUID, count: int) -> None:
    Comment.objects.bulk_create([Comment(task=task, author_id=author, body=f"comment {i}") for i in range(count)])


# --- set-ups ----------------------------------------------------------------------------------------


@dataclass
class Actor:
    """A user with a signed-in API client."""

    user_id: uuid.UUID
    client: Any
    name: str


def actor(name: str) -> Actor:
    user_id = make_user(name)
    return Actor(user_id=user_id, client=bearer_client(user_id), name=name)


@dataclass
class Team:
    """A project with one user per role plus a stranger, a board with three columns (the last is done)."""

    project: Project
    board: Board
    todo: Column
    doing: Column
    done: Column
    owner: Actor
    admin: Actor
    member: Actor
    viewer: Actor
    stranger: Actor
    labels: list[Label] = field(default_factory=list)

    def by_role(self) -> dict[str, Actor]:
        return {
            "owner": self.owner,
            "admin": self.admin,
            "member": self.member,
            "viewer": self.viewer,
            "stranger": self.stranger,
        }


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


def make_team(*, key: str = "TASK") -> Team:
    owner, admin, member, viewer, stranger = (actor(n) for n in ("Olive", "Adam", "Mia", "Vic", "Stan"))
    project = make_project(key=key, owner=owner.user_id)
    add_member(project, Role.ADMIN, admin.user_id)
    add_member(project, Role.MEMBER, member.user_id)
    add_member(project, Role.VIEWER, viewer.user_id)
    board = make_board(project)
    todo = make_column(board, "To do")
    doing = make_column(board, "Doing")
    done = make_column(board, "Done", is_done=True)
    labels = [make_label(board, "bug", "#ff0000"), make_label(board, "feature", "#00ff00")]
    return Team(project, board, todo, doing, done, owner, admin, member, viewer, stranger, labels)


def code(response: Any) -> str:
    """The error code of an error response."""
    return str(response.json()["error"]["code"])


def fill_board(board: Board, columns: list[Column], tasks: int, *, users: list[uuid.UUID], labels: list[Label]) -> None:
    """``tasks`` tasks spread over ``columns`` with 2 labels, 2 assignees, 5 checklist items (2 done), 3
    comments and 1 attachment each, in a few bulk inserts (for big boards)."""
    from apps.kanban.models import Attachment

    start = Project.objects.values_list("next_number", flat=True).get(id=board.project_id)
    rows: list[Task] = []
    last: dict[uuid.UUID, str | None] = {
        c.id: Task.objects.filter(column=c).order_by("-position").values_list("position", flat=True).first()
        for c in columns
    }
    for i in range(tasks):
        column = columns[i % len(columns)]
        last[column.id] = key_between(last[column.id], None)
        rows.append(
            Task(
                project_id=board.project_id,
                board=board,
                column=column,
                number=start + i,
                title=f"Task {i}",
                position=last[column.id] or "",
                priority="medium",
                due_at=timezone.now(),
            )
        )
    Task.objects.bulk_create(rows, batch_size=2000)
    Project.objects.filter(id=board.project_id).update(next_number=start + tasks)
    TaskLabel.objects.bulk_create(
        [TaskLabel(task=t, label=labels[(i + k) % len(labels)]) for i, t in enumerate(rows) for k in range(2)],
        batch_size=5000,
    )
    TaskAssignee.objects.bulk_create(
        [TaskAssignee(task=t, user_id=users[(i + k) % len(users)]) for i, t in enumerate(rows) for k in range(2)],
        batch_size=5000,
    )
    keys: list[str] = []
    key: str | None = None
    for _ in range(5):
        key = key_between(key, None)
        keys.append(key)
    ChecklistItem.objects.bulk_create(
        [ChecklistItem(task=t, title=f"step {k}", position=keys[k], done=k < 2) for t in rows for k in range(5)],
        batch_size=5000,
    )
    Comment.objects.bulk_create(
        [Comment(task=t, author_id=users[k % len(users)], body=f"comment {k}") for t in rows for k in range(3)],
        batch_size=5000,
    )
    Attachment.objects.bulk_create(
        [Attachment(task=t, file_id=uuid.uuid4(), filename="a.txt", content_type="text/plain", size=1) for t in rows],
        batch_size=5000,
    )


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
