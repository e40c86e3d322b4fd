"""Kanban task API tests that run on PostgreSQL (with the suite) AND on SQLite (``make run``'s default).

The suite's ``conftest.py`` stops unless the database is PostgreSQL, so on SQLite run this module without
it (it needs none of its fixtures; data comes from ``factories``)::

    DATABASE_URL=sqlite:///var/kanban-test.sqlite3 REDIS_URL= CELERY_BROKER_URL= \\
        .venv/bin/pytest --noconftest -p no:cacheprovider apps/kanban/tests/test_tasks_sqlite.py

On SQLite ``select_for_update`` is a no-op (writers are serialised by the database) and ``q`` falls back
to a case-insensitive substring match; everything else behaves the same.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import connection

from apps.kanban.models import Activity, Task
from apps.kanban.tests.factories import API, Team, code, make_task, make_team

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_authz_caches() -> Iterator[None]:
    """authz keeps its signing key in process memory; each test's rows are rolled back."""
    from apps.authz.services import clear_local_caches

    clear_local_caches()
    yield
    clear_local_caches()


@pytest.fixture
def team() -> Team:
    return make_team()


def test_runs_on_the_configured_database() -> None:
    assert connection.vendor in {"postgresql", "sqlite"}


def test_task_lifecycle(team: Team) -> None:
    client = team.member.client
    created = client.post(
        f"{API}/boards/{team.board.id}/tasks",
        {"column_id": str(team.todo.id), "title": "Ship it", "due_at": "2026-03-01T10:00:00+01:00"},
    )
    assert created.status_code == 201, created.content
    task = created.json()
    assert task["number"] == "TASK-0001"
    assert task["due_at"] == "2026-03-01T09:00:00Z"
    second = client.post(f"{API}/boards/{team.board.id}/tasks", {"column_id": str(team.todo.id), "title": "Two"})
    assert second.json()["number"] == "TASK-0002"
    url = f"{API}/tasks/{task['id']}"
    patched = client.patch(url, {"description": "with notes", "priority": "high"}, HTTP_IF_MATCH='"1"')
    assert patched.status_code == 200
    assert patched["ETag"] == '"2"'
    stale = client.patch(url, {"title": "lost"}, HTTP_IF_MATCH='"1"')
    assert stale.status_code == 412
    assert stale.json()["error"]["details"] == {"current_version": 2}
    moved = client.post(f"{API}/tasks/{task['id']}/move", {"column_id": str(team.done.id)})
    assert moved.status_code == 200
    assert moved.json()["done"] is True
    before = client.post(
        f"{API}/tasks/{second.json()['id']}/move", {"column_id": str(team.done.id), "before_id": task["id"]}
    )
    assert before.status_code == 200
    order = list(Task.objects.filter(column=team.done).order_by("position").values_list("title", flat=True))
    assert order == ["Two", "Ship it"]
    assert client.delete(url).status_code == 204
    third = client.post(f"{API}/boards/{team.board.id}/tasks", {"column_id": str(team.todo.id), "title": "Three"})
    assert third.json()["number"] == "TASK-0003"
    verbs = set(Activity.objects.values_list("verb", flat=True))
    assert {"task.created", "task.updated", "task.moved", "task.deleted"} <= verbs


def test_board_read_etag_and_wip(team: Team) -> None:
    team.doing.wip_limit = 1
    team.doing.save()
    make_task(team.doing, "busy")
    url = f"{API}/boards/{team.board.id}"
    first = team.viewer.client.get(url)
    assert first.status_code == 200
    assert [len(c["tasks"]) for c in first.json()["columns"]] == [0, 1, 0]
    assert team.viewer.client.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    full = team.member.client.post(
        f"{API}/boards/{team.board.id}/tasks", {"column_id": str(team.doing.id), "title": "x"}
    )
    assert full.status_code == 409
    assert code(full) == "kanban.wip_limit"
    assert team.stranger.client.get(url).status_code == 404
    assert (
        team.viewer.client.post(
            f"{API}/boards/{team.board.id}/tasks", {"column_id": str(team.todo.id), "title": "x"}
        ).status_code
        == 403
    )


def test_search_and_filters(team: Team) -> None:
    bug = team.labels[0]
    make_task(team.todo, "Login fails on Safari", description="the password form", labels=[bug], priority="high")
    make_task(team.todo, "Dark mode", description="a new theme", assignees=[team.member.user_id])
    make_task(team.done, "Release notes")
    base = f"{API}/boards/{team.board.id}/tasks"

    def titles(query: str) -> list[str]:
        response = team.viewer.client.get(f"{base}?{query}")
        assert response.status_code == 200, response.content
        return [t["title"] for t in response.json()["results"]]

    assert titles("q=safari") == ["Login fails on Safari"]
    assert titles("q=password") == ["Login fails on Safari"]
    assert titles("q=theme") == ["Dark mode"]
    assert titles(f"label={bug.id}") == ["Login fails on Safari"]
    assert titles("priority=high") == ["Login fails on Safari"]
    assert titles(f"column={team.done.id}") == ["Release notes"]
    assert titles("done=true") == ["Release notes"]
    assert titles("done=false") == ["Login fails on Safari", "Dark mode"]
    assert team.member.client.get(f"{base}?assignee=me").json()["results"][0]["title"] == "Dark mode"
    assert titles(f"assignee={team.owner.user_id}") == []
    for bad in ("priority=critical", "done=maybe", "due_before=soon", "column=x", "assignee=someone", "label=1"):
        response = team.viewer.client.get(f"{base}?{bad}")
        assert response.status_code == 400, bad
        assert code(response) == "invalid_input"


def test_comments_and_checklist(team: Team) -> None:
    task = make_task(team.todo)
    comment = team.member.client.post(f"{API}/tasks/{task.id}/comments", {"body": "hello"})
    assert comment.status_code == 201
    assert team.viewer.client.get(f"{API}/tasks/{task.id}/comments").json()["results"][0]["body"] == "hello"
    item = team.member.client.post(f"{API}/tasks/{task.id}/checklist", {"title": "step"})
    assert item.status_code == 201
    assert team.member.client.patch(f"{API}/checklist-items/{item.json()['id']}", {"done": True}).json()["done"]
    summary = team.viewer.client.get(f"{API}/boards/{team.board.id}").json()["columns"][0]["tasks"][0]
    assert (summary["comments"], summary["checklist"]) == (1, {"done": 1, "total": 1})
    activity = team.viewer.client.get(f"{API}/tasks/{task.id}/activity").json()["results"]
    assert activity[0]["verb"] == "checklist.item_updated"
