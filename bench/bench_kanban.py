"""Kanban board read benchmark (real PostgreSQL and Redis, in one process).

``GET /api/v2/kanban/boards/{id}`` through the whole stack (Django test client: middleware, bearer-token
authentication, DRF view, access check, the board selector, one batched account call for display names,
orjson rendering) for a board of 20 columns and 1,000 tasks (``BENCH_KANBAN_TASKS``), each task with 2
labels, 2 assignees, 5 checklist items and 3 comments; against the *raw* read of the same rows: one raw
SQL query per table (board, columns, tasks, label links, assignees, checklist items, comments,
attachments, labels, members) serialised with orjson. Both run in this process, interleaved (ABBA),
medians compared.

Printed: the query count of one API read, both medians, and ``ratio = raw / api`` with target >= 0.33,
i.e. the API read takes at most 3x the raw read.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import lib

TARGET = 1 / 3
COLUMNS = 20
USERS = 10
LABELS = 12
PROJECT_KEY = "BENCH"


def setup_django() -> None:
    env = lib.server_env(services=True)
    lib.migrate(env)
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "gau.settings"
    import django

    django.setup()


def drop_bench_projects() -> None:
    """Delete earlier bench boards (tasks first: ``Task.column`` is PROTECT, so a cascade would refuse)."""
    from apps.kanban.models import Project, Task

    stale = Project.objects.filter(key=PROJECT_KEY, name="bench kanban")
    Task.objects.filter(project__in=stale).delete()
    stale.delete()


def seed(tasks: int) -> tuple[Any, str]:
    """A fresh bench project and board (an earlier run's is deleted); returns (board, bearer token)."""
    from django.db import transaction
    from django.utils import timezone

    from apps.account.models import User
    from apps.authz.services import authz_service
    from apps.kanban.models import (
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
    from apps.kanban.services.positions import key_between

    drop_bench_projects()
    users = []
    for i in range(USERS):
        email = f"bench-kanban-{i}@example.com"
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User(email=email, display_name=f"Bench User {i}", is_active=True, email_verified=True)
            user.set_unusable_password()
            user.save()
        users.append(user.id)
    with transaction.atomic():
        project = Project.objects.create(name="bench kanban", key=PROJECT_KEY, created_by=users[0])
        Membership.objects.bulk_create(
            [Membership(project=project, user_id=u, role="owner" if i == 0 else "member") for i, u in enumerate(users)]
        )
        board = Board.objects.create(project=project, name="bench")
        position: str | None = None
        columns = []
        for i in range(COLUMNS):
            position = key_between(position, None)
            columns.append(Column(board=board, name=f"Column {i}", position=position, is_done=i == COLUMNS - 1))
        Column.objects.bulk_create(columns)
        labels = Label.objects.bulk_create(
            [Label(board=board, name=f"label {i}", color=f"#{i:02x}{i:02x}{i:02x}") for i in range(LABELS)]
        )
        last: dict[Any, str | None] = {c.id: None for c in columns}
        rows = []
        now = timezone.now()
        for i in range(tasks):
            column = columns[i % COLUMNS]
            last[column.id] = key_between(last[column.id], None)
            rows.append(
                Task(
                    project=project,
                    board=board,
                    column=column,
                    number=i + 1,
                    title=f"Task number {i} with a realistic title",
                    description="Some description text " * 5,
                    priority=("none", "low", "medium", "high", "urgent")[i % 5],
                    due_at=now if i % 3 == 0 else None,
                    position=last[column.id] or "",
                )
            )
        Task.objects.bulk_create(rows, batch_size=2000)
        Project.objects.filter(id=project.id).update(next_number=tasks + 1)
        TaskLabel.objects.bulk_create(
            [TaskLabel(task=t, label=labels[(i + k) % LABELS]) for i, t in enumerate(rows) for k in range(2)],
            batch_size=5000,
        )
        TaskAssignee.objects.bulk_create(
            [TaskAssignee(task=t, user_id=users[(i + k) % USERS]) for i, t in enumerate(rows) for k in range(2)],
            batch_size=5000,
        )
        keys: list[str] = []
        key: str | None = None
        for _ in range(5):
            key = key_between(key, None)
            keys.append(key)
        ChecklistItem.objects.bulk_create(
            [ChecklistItem(task=t, title=f"Step {k}", position=keys[k], done=k < 2) for t in rows for k in range(5)],
            batch_size=5000,
        )
        Comment.objects.bulk_create(
            [
                Comment(task=t, author_id=users[k], body=f"A comment of a few words, number {k}.")
                for t in rows
                for k in range(3)
            ],
            batch_size=5000,
        )
    token = authz_service.issue_tokens(user_id=users[0], user_agent="bench", ip="127.0.0.1").access_token
    return board, token


RAW_QUERIES = [
    ("board", "SELECT id, project_id, name, version, created_at, updated_at FROM kanban_board WHERE id = %(b)s"),
    (
        "columns",
        "SELECT id, name, position, wip_limit, is_done FROM kanban_column WHERE board_id = %(b)s ORDER BY position",
    ),
    (
        "tasks",
        "SELECT id, column_id, number, title, position, priority, due_at, version FROM kanban_task "
        "WHERE board_id = %(b)s AND NOT archived ORDER BY position",
    ),
    (
        "task_labels",
        "SELECT tl.task_id, tl.label_id FROM kanban_tasklabel tl JOIN kanban_task t ON t.id = tl.task_id "
        "WHERE t.board_id = %(b)s AND NOT t.archived",
    ),
    (
        "assignees",
        "SELECT a.task_id, a.user_id FROM kanban_taskassignee a JOIN kanban_task t ON t.id = a.task_id "
        "WHERE t.board_id = %(b)s AND NOT t.archived",
    ),
    (
        "checklist",
        "SELECT c.task_id, c.done FROM kanban_checklistitem c JOIN kanban_task t ON t.id = c.task_id "
        "WHERE t.board_id = %(b)s AND NOT t.archived",
    ),
    (
        "comments",
        "SELECT c.task_id FROM kanban_comment c JOIN kanban_task t ON t.id = c.task_id "
        "WHERE t.board_id = %(b)s AND NOT t.archived",
    ),
    (
        "attachments",
        "SELECT a.task_id FROM kanban_attachment a JOIN kanban_task t ON t.id = a.task_id "
        "WHERE t.board_id = %(b)s AND NOT t.archived",
    ),
    ("labels", "SELECT id, name, color FROM kanban_label WHERE board_id = %(b)s"),
    ("members", "SELECT user_id, role FROM kanban_membership WHERE project_id = %(p)s"),
]


def raw_read(board: Any) -> bytes:
    """The same rows, one raw query per table, serialised with orjson (no joining, no shaping)."""
    import orjson
    from django.db import connection

    out: dict[str, Any] = {}
    with connection.cursor() as cursor:
        for name, sql in RAW_QUERIES:
            cursor.execute(sql, {"b": board.id, "p": board.project_id})
            out[name] = cursor.fetchall()
    return orjson.dumps(out)


def timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def main() -> int:
    tasks = int(lib.knob("kanban_tasks", 1000))
    rounds = max(3, int(lib.knob("rounds", 3)) * 5)
    setup_django()
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    print(f"kanban: seeding a board of {COLUMNS} columns x {tasks} tasks ...", flush=True)
    board, token = seed(tasks)
    client = Client(HTTP_HOST="localhost")
    url = f"/api/v2/kanban/boards/{board.id}"
    auth = f"Bearer {token}"

    def api() -> bytes:
        response = client.get(url, HTTP_AUTHORIZATION=auth)
        if response.status_code != 200:
            raise lib.BenchError(f"GET {url} answered {response.status_code}: {response.content[:300]!r}")
        return bytes(response.content)

    import orjson

    body = orjson.loads(api())
    served = sum(len(c["tasks"]) for c in body["columns"])
    if served != tasks or len(body["columns"]) != COLUMNS:
        raise lib.BenchError(f"the board read served {served} tasks in {len(body['columns'])} columns")
    with CaptureQueriesContext(connection) as ctx:
        api()
    queries = len(ctx.captured_queries)
    reset_queries()
    raw_read(board)  # warm
    api_times: list[float] = []
    raw_times: list[float] = []
    for i in range(rounds):
        order = [("api", api), ("raw", lambda: raw_read(board))]
        if i % 2:
            order.reverse()
        for label, fn in order:
            (api_times if label == "api" else raw_times).append(timed(fn))
    api_ms = statistics.median(api_times) * 1000
    raw_ms = statistics.median(raw_times) * 1000
    ratio = raw_ms / api_ms if api_ms else 0.0
    print(f"kanban: {rounds} rounds each, api {[round(t * 1000, 1) for t in api_times]} ms", flush=True)
    print(f"kanban: raw {[round(t * 1000, 1) for t in raw_times]} ms", flush=True)
    figures = (
        f"raw={raw_ms:.1f}ms; api={api_ms:.1f}ms (GET boards/{{id}} {COLUMNS} columns x {tasks} tasks, "
        f"api/raw={api_ms / raw_ms:.2f}x, target <= 3x) queries={queries} bytes={len(api())};"
    )
    print(lib.bench_line("kanban", figures, ratio, round(TARGET, 2)), flush=True)
    drop_bench_projects()
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except lib.BenchError as exc:
        print(f"kanban: error: {exc}", file=sys.stderr)
        sys.exit(2)
