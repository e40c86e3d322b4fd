"""Activity: every change recorded once, in its own transaction, and read newest first with a cursor."""

from __future__ import annotations

from typing import Any

import pytest

from apps.kanban.models import Activity, Board, Project, Task
from apps.kanban.services import changes
from apps.kanban.services import tasks as task_service
from apps.kanban.tests.factories import API, Team, make_task, make_team

pytestmark = pytest.mark.django_db


@pytest.fixture
def team() -> Team:
    return make_team()


def test_board_and_task_activity_newest_first(team: Team) -> None:
    client = team.member.client
    task = client.post(f"{API}/boards/{team.board.id}/tasks", {"column_id": str(team.todo.id), "title": "t"}).json()
    client.patch(f"{API}/tasks/{task['id']}", {"title": "t2"})
    client.post(f"{API}/tasks/{task['id']}/move", {"column_id": str(team.done.id)})
    client.post(f"{API}/tasks/{task['id']}/comments", {"body": "hi"})
    other = make_task(team.todo, "other")
    client.delete(f"{API}/tasks/{other.id}")

    board = team.viewer.client.get(f"{API}/boards/{team.board.id}/activity")
    assert board.status_code == 200
    entries = board.json()["results"]
    assert [e["verb"] for e in entries] == [
        "task.deleted",
        "comment.created",
        "task.moved",
        "task.updated",
        "task.created",
    ]
    assert set(entries[0]) == {"id", "actor_id", "verb", "task_id", "data", "created_at"}
    assert entries[3]["data"] == {"changes": {"title": {"from": "t", "to": "t2"}}}
    assert all(e["actor_id"] == str(team.member.user_id) for e in entries)
    assert entries[0]["task_id"] == str(other.id)  # history of a deleted task stays

    page = team.viewer.client.get(f"{API}/tasks/{task['id']}/activity?page_size=2").json()
    assert [e["verb"] for e in page["results"]] == ["comment.created", "task.moved"]
    rest = team.viewer.client.get(page["next"]).json()
    assert [e["verb"] for e in rest["results"]] == ["task.updated", "task.created"]
    # each change exactly once
    assert Activity.objects.filter(task_id=task["id"]).count() == 4


def test_every_change_bumps_the_board_version(team: Team) -> None:
    before = Board.objects.get(id=team.board.id).version
    team.member.client.post(f"{API}/boards/{team.board.id}/tasks", {"column_id": str(team.todo.id), "title": "t"})
    assert Board.objects.get(id=team.board.id).version == before + 1


def test_a_change_that_fails_after_record_leaves_no_activity(team: Team, monkeypatch: pytest.MonkeyPatch) -> None:
    real = changes.record
    recorded: list[Any] = []

    def record_then_fail(**kwargs: Any) -> Any:
        recorded.append(real(**kwargs))
        raise RuntimeError("the change fails after its activity was written")

    task = make_task(team.todo, "stays")
    version = Board.objects.get(id=team.board.id).version
    monkeypatch.setattr(changes, "record", record_then_fail)
    with pytest.raises(RuntimeError):
        task_service.task_create(
            user_id=team.member.user_id, board_id=team.board.id, column_id=team.todo.id, title="rolled back"
        )
    with pytest.raises(RuntimeError):
        task_service.task_update(user_id=team.member.user_id, task_id=task.id, fields={"title": "rolled back"})
    with pytest.raises(RuntimeError):
        task_service.task_move(user_id=team.member.user_id, task_id=task.id, column_id=team.done.id)
    with pytest.raises(RuntimeError):
        task_service.task_delete(user_id=team.member.user_id, task_id=task.id)
    assert len(recorded) == 4  # record() did run, inside each transaction
    assert not Activity.objects.exists()
    assert list(Task.objects.values_list("title", "column_id", "version")) == [("stays", team.todo.id, 1)]
    assert Board.objects.get(id=team.board.id).version == version
    assert Project.objects.get(id=team.project.id).next_number == 2  # the number taken was rolled back too
