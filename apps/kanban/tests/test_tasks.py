"""Tasks through the API: create, numbers, validation, PATCH with If-Match, archive, move, WIP limit."""

from __future__ import annotations

from typing import Any

import pytest

from apps.kanban.models import Activity, Task
from apps.kanban.tests.factories import API, Team, code, make_board, make_column, make_label, make_task, make_team

pytestmark = pytest.mark.django_db


@pytest.fixture
def team() -> Team:
    return make_team()


def create(team: Team, client: Any | None = None, **body: Any) -> Any:
    body.setdefault("column_id", str(team.todo.id))
    body.setdefault("title", "Write the docs")
    return (client or team.member.client).post(f"{API}/boards/{team.board.id}/tasks", body)


def test_create_answers_the_task_with_number_labels_assignees_and_etag(team: Team) -> None:
    response = create(
        team,
        title="Fix login",
        description="It fails on Safari",
        priority="high",
        due_at="2026-05-01T09:00:00+02:00",
        assignee_ids=[str(team.member.user_id), str(team.viewer.user_id)],
        label_ids=[str(team.labels[0].id)],
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) >= {
        "id", "number", "board_id", "column_id", "title", "description", "priority", "due_at", "done",
        "completed_at", "position", "labels", "assignees", "checklist", "created_by", "created_at",
        "updated_at", "version",
    }  # fmt: skip
    assert body["number"] == "TASK-0001"
    assert body["board_id"] == str(team.board.id)
    assert body["column_id"] == str(team.todo.id)
    assert body["priority"] == "high"
    assert body["due_at"] == "2026-05-01T07:00:00Z"  # returned in UTC
    assert body["done"] is False
    assert body["completed_at"] is None
    assert body["labels"] == [{"id": str(team.labels[0].id), "name": "bug", "color": "#ff0000"}]
    assert body["assignees"] == [
        {"user_id": str(team.member.user_id), "display_name": "Mia"},
        {"user_id": str(team.viewer.user_id), "display_name": "Vic"},
    ]
    assert body["checklist"] == []
    assert body["created_by"] == str(team.member.user_id)
    assert body["version"] == 1
    assert response["ETag"] == '"1"'
    second = create(team, title="Second")
    assert second.json()["number"] == "TASK-0002"
    assert second.json()["position"] > body["position"]


def test_numbers_use_the_project_key_and_are_never_reused_after_delete(team: Team) -> None:
    team.project.key = "GAU"
    team.project.save()
    first = create(team).json()
    second = create(team).json()
    assert [first["number"], second["number"]] == ["GAU-0001", "GAU-0002"]
    assert team.member.client.delete(f"{API}/tasks/{second['id']}").status_code == 204
    assert create(team).json()["number"] == "GAU-0003"


def test_numbers_pad_to_at_least_four_digits(team: Team) -> None:
    team.project.next_number = 12345
    team.project.save()
    assert create(team).json()["number"] == "TASK-12345"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", ""),
        ("priority", "critical"),
        ("due_at", "2026-05-01T09:00:00"),  # no offset
        ("due_at", "tomorrow"),
        ("column_id", "not-a-uuid"),
        ("assignee_ids", ["nope"]),
        ("label_ids", "x"),
    ],
)
def test_bad_fields_are_400_in_the_error_shape(team: Team, field: str, value: Any) -> None:
    response = create(team, **{field: value})
    assert response.status_code == 400, response.content
    assert code(response) == "invalid_input"
    assert field in response.json()["error"]["details"]["fields"]


def test_assignees_must_be_members_and_labels_on_the_board_400_names_the_id(team: Team) -> None:
    response = create(team, assignee_ids=[str(team.member.user_id), str(team.stranger.user_id)])
    assert response.status_code == 400
    assert code(response) == "kanban.invalid"
    assert response.json()["error"]["details"] == {"field": "assignee_ids", "id": str(team.stranger.user_id)}
    other_label = make_label(make_board(team.project, "Other"))
    response = create(team, label_ids=[str(other_label.id)])
    assert response.status_code == 400
    assert response.json()["error"]["details"] == {"field": "label_ids", "id": str(other_label.id)}
    other_column = make_column(make_board(team.project, "Third"))
    response = create(team, column_id=str(other_column.id))
    assert response.status_code == 400
    assert response.json()["error"]["details"]["id"] == str(other_column.id)
    assert not Task.objects.exists()
    assert team.project.__class__.objects.get(id=team.project.id).next_number == 1  # nothing consumed


def test_create_before_and_after_a_sibling(team: Team) -> None:
    a = create(team, title="a").json()
    c = create(team, title="c").json()
    b = create(team, title="b", before_id=c["id"]).json()
    first = create(team, title="first", before_id=a["id"]).json()
    last = create(team, title="last", after_id=c["id"]).json()
    titles = list(Task.objects.filter(column=team.todo).order_by("position").values_list("title", flat=True))
    assert titles == ["first", "a", "b", "c", "last"]
    assert first["position"] < a["position"] < b["position"] < c["position"] < last["position"]
    both = create(team, before_id=a["id"], after_id=c["id"])
    assert both.status_code == 400
    elsewhere = make_task(team.doing)
    stray = create(team, before_id=str(elsewhere.id))
    assert stray.status_code == 400
    assert stray.json()["error"]["details"]["id"] == str(elsewhere.id)


def test_wip_limit_on_create_and_move_counts_live_tasks_only(team: Team) -> None:
    team.doing.wip_limit = 2
    team.doing.save()
    one = create(team, column_id=str(team.doing.id)).json()
    create(team, column_id=str(team.doing.id))
    full = create(team, column_id=str(team.doing.id))
    assert full.status_code == 409
    assert code(full) == "kanban.wip_limit"
    assert full.json()["error"]["details"]["wip_limit"] == 2
    todo_task = create(team).json()
    moved = team.member.client.post(f"{API}/tasks/{todo_task['id']}/move", {"column_id": str(team.doing.id)})
    assert moved.status_code == 409
    assert code(moved) == "kanban.wip_limit"
    # moving within the full column is fine
    within = team.member.client.post(f"{API}/tasks/{one['id']}/move", {"column_id": str(team.doing.id)})
    assert within.status_code == 200
    # an archived task no longer counts; bringing it back counts again
    assert team.member.client.patch(f"{API}/tasks/{one['id']}", {"archived": True}).status_code == 200
    assert (
        team.member.client.post(f"{API}/tasks/{todo_task['id']}/move", {"column_id": str(team.doing.id)}).status_code
        == 200
    )
    back = team.member.client.patch(f"{API}/tasks/{one['id']}", {"archived": False})
    assert back.status_code == 409
    assert code(back) == "kanban.wip_limit"


def test_get_patch_partial_null_clears_and_records_changes(team: Team) -> None:
    task = create(
        team, description="old", priority="low", due_at="2026-01-01T00:00:00Z", label_ids=[str(team.labels[0].id)]
    ).json()
    url = f"{API}/tasks/{task['id']}"
    got = team.viewer.client.get(url)
    assert got.status_code == 200
    assert got["ETag"] == '"1"'
    assert got.json()["title"] == "Write the docs"
    response = team.member.client.patch(
        url,
        {"title": "Write better docs", "description": None, "due_at": None, "priority": None, "label_ids": None},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["title"] == "Write better docs"
    assert body["description"] == ""
    assert body["due_at"] is None
    assert body["priority"] == "none"
    assert body["labels"] == []
    assert body["version"] == 2
    assert response["ETag"] == '"2"'
    entry = Activity.objects.filter(task_id=task["id"], verb="task.updated").get()
    assert entry.data["changes"]["title"] == {"from": "Write the docs", "to": "Write better docs"}
    assert entry.data["changes"]["due_at"] == {"from": "2026-01-01T00:00:00Z", "to": None}
    assert entry.data["changes"]["label_ids"] == {"from": [str(team.labels[0].id)], "to": []}
    assert entry.actor_id == team.member.user_id
    # nothing changes: no new version, no activity
    same = team.member.client.patch(url, {"title": "Write better docs"})
    assert same.json()["version"] == 2
    assert Activity.objects.filter(task_id=task["id"], verb="task.updated").count() == 1
    assert team.member.client.patch(url, {"title": None}).status_code == 400
    assignees = team.member.client.patch(url, {"assignee_ids": [str(team.admin.user_id)]}).json()["assignees"]
    assert assignees == [{"user_id": str(team.admin.user_id), "display_name": "Adam"}]


def test_if_match_stale_is_412_with_current_version_and_changes_nothing(team: Team) -> None:
    task = create(team).json()
    url = f"{API}/tasks/{task['id']}"
    assert team.member.client.patch(url, {"title": "v2"}, HTTP_IF_MATCH='"1"').status_code == 200
    stale = team.admin.client.patch(url, {"title": "lost update"}, HTTP_IF_MATCH='"1"')
    assert stale.status_code == 412
    assert code(stale) == "kanban.stale_version"
    assert stale.json()["error"]["details"] == {"current_version": 2}
    stale_move = team.admin.client.post(
        f"{API}/tasks/{task['id']}/move", {"column_id": str(team.done.id)}, HTTP_IF_MATCH="1"
    )
    assert stale_move.status_code == 412
    fresh = Task.objects.get(id=task["id"])
    assert (fresh.title, fresh.version, fresh.column_id) == ("v2", 2, team.todo.id)
    assert Activity.objects.filter(task_id=task["id"]).count() == 2  # created + one update
    ok = team.admin.client.patch(url, {"title": "v3"}, HTTP_IF_MATCH='W/"2"')
    assert ok.status_code == 200
    assert ok["ETag"] == '"3"'
    assert team.admin.client.patch(url, {"title": "last writer wins"}).status_code == 200  # no If-Match
    assert team.admin.client.patch(url, {"title": "x"}, HTTP_IF_MATCH='"garbage"').status_code == 412


def test_archived_tasks_leave_the_board_and_are_listed_with_archived_true(team: Team) -> None:
    keep = create(team, title="keep").json()
    gone = create(team, title="gone").json()
    assert team.member.client.patch(f"{API}/tasks/{gone['id']}", {"archived": True}).json()["archived"] is True
    board = team.viewer.client.get(f"{API}/boards/{team.board.id}").json()
    assert [t["id"] for t in board["columns"][0]["tasks"]] == [keep["id"]]
    listed = team.viewer.client.get(f"{API}/boards/{team.board.id}/tasks?archived=true").json()["results"]
    assert [t["id"] for t in listed] == [gone["id"]]
    live = team.viewer.client.get(f"{API}/boards/{team.board.id}/tasks").json()["results"]
    assert [t["id"] for t in live] == [keep["id"]]


def test_move_sets_done_and_completed_at_and_writes_one_row(team: Team) -> None:
    tasks = [create(team, title=str(i)).json() for i in range(4)]
    before = {t.id: (t.position, t.version) for t in Task.objects.all()}
    url = f"{API}/tasks/{tasks[3]['id']}/move"
    moved = team.member.client.post(url, {"column_id": str(team.todo.id), "before_id": tasks[1]["id"]})
    assert moved.status_code == 200, moved.content
    after = {t.id: (t.position, t.version) for t in Task.objects.all()}
    changed = [task_id for task_id in after if after[task_id] != before[task_id]]
    assert [str(c) for c in changed] == [tasks[3]["id"]]  # siblings never renumbered
    order = list(Task.objects.filter(column=team.todo).order_by("position").values_list("title", flat=True))
    assert order == ["0", "3", "1", "2"]
    done = team.member.client.post(url, {"column_id": str(team.done.id)}).json()
    assert done["done"] is True
    assert done["completed_at"] is not None
    assert done["column_id"] == str(team.done.id)
    back = team.member.client.post(url, {"column_id": str(team.doing.id)}).json()
    assert back["done"] is False
    assert back["completed_at"] is None
    assert back["version"] == 4
    entry = Activity.objects.filter(task_id=tasks[3]["id"], verb="task.moved").latest("id")
    assert entry.data["from"]["column_id"] == str(team.done.id)
    assert entry.data["to"] == {"column_id": str(team.doing.id), "position": back["position"]}
    to_self = team.member.client.post(url, {"column_id": str(team.doing.id), "after_id": tasks[3]["id"]})
    assert to_self.status_code == 400
    foreign = make_column(make_board(team.project, "Other"))
    assert team.member.client.post(url, {"column_id": str(foreign.id)}).status_code == 400
    assert team.member.client.post(url, {}).status_code == 400


def test_create_into_a_done_column_is_completed(team: Team) -> None:
    body = create(team, column_id=str(team.done.id)).json()
    assert body["done"] is True
    assert body["completed_at"] is not None


def test_delete_removes_the_task_and_records_it(team: Team) -> None:
    task = create(team).json()
    assert team.member.client.delete(f"{API}/tasks/{task['id']}").status_code == 204
    assert team.member.client.get(f"{API}/tasks/{task['id']}").status_code == 404
    assert team.member.client.delete(f"{API}/tasks/{task['id']}").status_code == 404
    entry = Activity.objects.get(task_id=task["id"], verb="task.deleted")
    assert entry.data == {"number": "TASK-0001", "title": "Write the docs"}


def test_list_due_filters_and_cursor_pages(team: Team) -> None:
    from datetime import UTC, datetime

    make_task(team.todo, "early", due_at=datetime(2026, 1, 1, tzinfo=UTC))
    make_task(team.todo, "late", due_at=datetime(2026, 6, 1, tzinfo=UTC))
    make_task(team.todo, "none")
    base = f"{API}/boards/{team.board.id}/tasks"

    def titles(query: str) -> list[str]:
        response = team.viewer.client.get(f"{base}?{query}")
        assert response.status_code == 200, response.content
        return [t["title"] for t in response.json()["results"]]

    assert titles("due_before=2026-03-01T00:00:00%2B00:00") == ["early"]
    assert titles("due_after=2026-03-01T00:00:00Z") == ["late"]
    assert titles("due_after=2025-01-01T00:00:00Z&due_before=2027-01-01T00:00:00Z") == ["early", "late"]
    naive = team.viewer.client.get(f"{base}?due_before=2026-03-01T00:00:00")
    assert naive.status_code == 400
    first = team.viewer.client.get(f"{base}?page_size=2").json()
    assert [t["title"] for t in first["results"]] == ["early", "late"]
    assert set(first["results"][0]) >= {"id", "number", "column_id", "checklist", "comments", "attachments", "version"}
    second = team.viewer.client.get(first["next"]).json()
    assert [t["title"] for t in second["results"]] == ["none"]
    assert second["next"] is None
    bogus = team.viewer.client.get(f"{base}?cursor=bogus")
    assert bogus.status_code == 400
    assert bogus.json()["error"]["code"] == "invalid_cursor"
