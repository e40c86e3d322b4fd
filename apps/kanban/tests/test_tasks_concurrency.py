"""Concurrency on real threads and real PostgreSQL connections: numbers, positions and WIP limits."""

from __future__ import annotations

import random
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

import pytest
from django.db import IntegrityError, connection, connections

from apps.kanban.models import Activity, Project, Task
from apps.kanban.services import tasks as task_service
from apps.kanban.services.errors import KanbanConflictError, WipLimitError
from apps.kanban.services.tasks import Placement
from apps.kanban.tests.factories import make_board, make_column, make_project, make_task

pytestmark = pytest.mark.django_db(transaction=True)


def in_threads(count: int, jobs: list[Callable[[], Any]], *, workers: int) -> list[Any]:
    """Run ``jobs`` on ``workers`` real threads (each its own connection), started together."""
    barrier = threading.Barrier(min(workers, len(jobs)))

    def run(job: Callable[[], Any], index: int) -> Any:
        try:
            if index < workers:
                barrier.wait(timeout=30)
            try:
                return job()
            except Exception as exc:  # collected and asserted on by the test
                return exc
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(run, jobs, range(count)))


@pytest.fixture
def column() -> Any:
    assert connection.vendor == "postgresql"
    owner = uuid.uuid4()
    project = make_project(key="RACE", owner=owner)
    column = make_column(make_board(project))
    column.owner = owner  # type: ignore[attr-defined]
    return column


def test_twenty_concurrent_creates_get_twenty_distinct_numbers(column: Any) -> None:
    owner = column.owner

    def job(i: int) -> Callable[[], Any]:
        return lambda: task_service.task_create(
            user_id=owner, board_id=column.board_id, column_id=column.id, title=f"t{i}"
        )

    results = in_threads(20, [job(i) for i in range(20)], workers=20)
    errors = [r for r in results if isinstance(r, Exception)]
    assert errors == []
    numbers = sorted(Task.objects.filter(project_id=column.board.project_id).values_list("number", flat=True))
    assert numbers == list(range(1, 21))
    positions = list(Task.objects.filter(column=column).values_list("position", flat=True))
    assert len(set(positions)) == 20
    assert Project.objects.get(id=column.board.project_id).next_number == 21
    assert Activity.objects.filter(verb="task.created").count() == 20


def test_fifty_concurrent_moves_and_creates_keep_a_total_order(column: Any) -> None:
    owner = column.owner
    other = make_column(column.board, "Other")
    seeded = [make_task(column, f"seed{i}") for i in range(10)] + [make_task(other, f"o{i}") for i in range(10)]
    rng = random.Random(50)
    jobs: list[Callable[[], Any]] = []
    for i in range(50):
        kind = i % 3
        if kind == 0:
            jobs.append(
                partial(
                    task_service.task_create,
                    user_id=owner,
                    board_id=column.board_id,
                    column_id=column.id,
                    title=f"new{i}",
                )
            )
        else:
            moving = rng.choice(seeded)
            anchor = rng.choice([t for t in seeded[:10] if t.id != moving.id])
            placement = Placement(before_id=anchor.id) if kind == 1 else Placement(after_id=anchor.id)
            if rng.random() < 0.3:
                placement = Placement()
            jobs.append(
                partial(
                    task_service.task_move, user_id=owner, task_id=moving.id, column_id=column.id, placement=placement
                )
            )
    results = in_threads(50, jobs, workers=10)
    unexpected = [r for r in results if isinstance(r, Exception)]
    # A move may name an anchor that a concurrent move just took elsewhere: that is a clear 400, not a loss.
    assert all(getattr(e, "code", "") == "kanban.invalid" for e in unexpected), unexpected
    assert len(unexpected) < 10
    rows = list(Task.objects.filter(board_id=column.board_id).values_list("column_id", "position", "title"))
    assert len(rows) == 20 + 17  # every seeded task and all 17 creates: none lost
    per_column: dict[Any, list[str]] = {}
    for column_id, position, _ in rows:
        per_column.setdefault(column_id, []).append(position)
    for positions in per_column.values():
        assert len(positions) == len(set(positions)), "two tasks share a position"
    in_column = list(Task.objects.filter(column=column).order_by("position").values_list("position", flat=True))
    assert in_column == sorted(in_column)


def test_concurrent_creates_never_pass_the_wip_limit(column: Any) -> None:
    column.wip_limit = 3
    column.save()
    owner = column.owner
    jobs: list[Callable[[], Any]] = [
        partial(task_service.task_create, user_id=owner, board_id=column.board_id, column_id=column.id, title=str(i))
        for i in range(10)
    ]
    results = in_threads(10, jobs, workers=10)
    assert sum(isinstance(r, Task) for r in results) == 3
    assert sum(isinstance(r, WipLimitError) for r in results) == 7
    assert Task.objects.filter(column=column).count() == 3


def test_a_lost_position_race_is_retried_in_a_savepoint(column: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Force the first computed position to collide: the write retries and lands on a fresh key."""
    owner = column.owner
    existing = make_task(column, "existing")
    real = task_service.position_in
    calls = {"n": 0}

    def colliding(*args: Any, **kwargs: Any) -> str:
        calls["n"] += 1
        if calls["n"] == 1:
            return existing.position
        return real(*args, **kwargs)

    monkeypatch.setattr(task_service, "position_in", colliding)
    task = task_service.task_create(user_id=owner, board_id=column.board_id, column_id=column.id, title="new")
    assert calls["n"] == 2
    assert task.position > existing.position
    assert Task.objects.filter(column=column).count() == 2


def test_retry_gives_up_with_a_409_not_a_500(column: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    owner = column.owner
    existing = make_task(column, "existing")
    monkeypatch.setattr(task_service, "position_in", lambda *a, **k: existing.position)
    with pytest.raises(KanbanConflictError):
        task_service.task_create(user_id=owner, board_id=column.board_id, column_id=column.id, title="new")
    assert Task.objects.filter(column=column).count() == 1
    assert not Activity.objects.filter(verb="task.created").exists()


def test_other_integrity_errors_are_not_swallowed(column: Any) -> None:
    def broken() -> None:
        raise IntegrityError("duplicate key value violates unique constraint kanban_task_number_unique")

    with pytest.raises(IntegrityError):
        task_service.with_position_retry(broken)
