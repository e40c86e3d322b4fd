"""GET boards/{id}: the whole board, in board order, in a constant number of queries, with an ETag."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.kanban.models import Column
from apps.kanban.tests.factories import (
    API,
    Team,
    add_checklist,
    add_comments,
    code,
    fill_board,
    make_column,
    make_task,
    make_team,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def team() -> Team:
    return make_team()


def test_board_read_shape_and_order(team: Team) -> None:
    bug, feature = team.labels
    late = make_column(team.board, "Later")
    Column.objects.filter(id=late.id).update(position="h1")  # before every other column
    a = make_task(team.todo, "a", labels=[bug, feature], assignees=[team.member.user_id], priority="urgent")
    b = make_task(team.todo, "b")
    make_task(team.todo, "archived", archived=True)
    c = make_task(team.done, "c")
    add_checklist(a, 3, done=1)
    add_comments(a, team.member.user_id, 2)
    response = team.viewer.client.get(f"{API}/boards/{team.board.id}")
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"id", "project_id", "name", "version", "columns", "labels", "members"}
    assert body["project_id"] == str(team.project.id)
    assert [col["name"] for col in body["columns"]] == ["Later", "To do", "Doing", "Done"]
    todo = body["columns"][1]
    assert set(todo) == {"id", "name", "position", "wip_limit", "is_done", "tasks"}
    assert [t["title"] for t in todo["tasks"]] == ["a", "b"]  # archived left out, board order
    summary = todo["tasks"][0]
    assert summary == {
        "id": str(a.id),
        "number": "TASK-0001",
        "title": "a",
        "position": a.position,
        "priority": "urgent",
        "due_at": None,
        "done": False,
        "labels": [str(bug.id), str(feature.id)],
        "assignees": [str(team.member.user_id)],
        "checklist": {"done": 1, "total": 3},
        "comments": 2,
        "attachments": 0,
        "version": 1,
    }
    assert todo["tasks"][1]["id"] == str(b.id)
    assert todo["tasks"][1]["checklist"] == {"done": 0, "total": 0}
    assert body["columns"][3]["tasks"][0]["id"] == str(c.id)
    assert body["columns"][3]["tasks"][0]["done"] is True
    assert body["labels"] == [
        {"id": str(bug.id), "name": "bug", "color": "#ff0000"},
        {"id": str(feature.id), "name": "feature", "color": "#00ff00"},
    ]
    members = {m["user_id"]: (m["display_name"], m["role"]) for m in body["members"]}
    assert members == {
        str(team.owner.user_id): ("Olive", "owner"),
        str(team.admin.user_id): ("Adam", "admin"),
        str(team.member.user_id): ("Mia", "member"),
        str(team.viewer.user_id): ("Vic", "viewer"),
    }


def _count_queries(client: Any, url: str) -> tuple[int, Any]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), response.json()


def test_constant_query_count_for_10_and_1000_tasks(team: Team) -> None:
    users = [team.owner.user_id, team.admin.user_id, team.member.user_id, team.viewer.user_id]
    columns = [team.todo, team.doing, team.done]
    fill_board(team.board, columns, 10, users=users, labels=team.labels)
    url = f"{API}/boards/{team.board.id}"
    team.viewer.client.get(url)  # warm per-process caches (signing key) so both runs do the same work
    small, body = _count_queries(team.viewer.client, url)
    assert sum(len(c["tasks"]) for c in body["columns"]) == 10
    fill_board(team.board, columns, 990, users=users, labels=team.labels)
    large, body = _count_queries(team.viewer.client, url)
    assert sum(len(c["tasks"]) for c in body["columns"]) == 1000
    assert large == small
    assert small <= 15, small
    task = body["columns"][0]["tasks"][0]
    assert task["checklist"] == {"done": 2, "total": 5}
    assert (task["comments"], task["attachments"], len(task["labels"]), len(task["assignees"])) == (3, 1, 2, 2)


def test_etag_and_if_none_match(team: Team) -> None:
    url = f"{API}/boards/{team.board.id}"
    first = team.viewer.client.get(url)
    etag = first["ETag"]
    assert etag.startswith('W/"')
    again = team.viewer.client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag
    assert team.viewer.client.get(url, HTTP_IF_NONE_MATCH=f'"x", {etag}').status_code == 304
    created = team.member.client.post(
        f"{API}/boards/{team.board.id}/tasks", {"column_id": str(team.todo.id), "title": "x"}
    )
    assert created.status_code == 201
    changed = team.viewer.client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert changed["ETag"] != etag
    # a stranger learns nothing, not even with a matching ETag
    stranger = team.stranger.client.get(url, HTTP_IF_NONE_MATCH=changed["ETag"])
    assert stranger.status_code == 404
    assert code(stranger) == "kanban.not_found"


@pytest.fixture
def account_calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The batch size of each ``account_service.get_users`` call made from here on."""
    from apps.account.services import account_service

    local: Any = account_service.target()  # type: ignore[attr-defined]  # the handle's local implementation
    real = local.get_users
    calls: list[int] = []

    def counting(*, user_ids: list[Any]) -> Any:
        calls.append(len(user_ids))
        return real(user_ids=user_ids)

    monkeypatch.setattr(local, "get_users", counting)
    return calls


def test_display_names_come_from_one_batched_account_call(team: Team, account_calls: list[int]) -> None:
    calls = account_calls
    users = [team.owner.user_id, team.admin.user_id, team.member.user_id, team.viewer.user_id]
    fill_board(team.board, [team.todo, team.doing], 40, users=users, labels=team.labels)
    body = team.viewer.client.get(f"{API}/boards/{team.board.id}").json()
    assert calls == [4]
    assert {m["display_name"] for m in body["members"]} == {"Olive", "Adam", "Mia", "Vic"}
    calls.clear()
    task_id = body["columns"][0]["tasks"][0]["id"]
    detail = team.viewer.client.get(f"{API}/tasks/{task_id}").json()
    assert calls == []  # the board read cached every name
    assert all(a["display_name"] in {"Olive", "Adam", "Mia", "Vic"} for a in detail["assignees"])


def test_name_cache_off_asks_every_time_and_deletion_forgets_at_once(
    team: Team, account_calls: list[int], settings: Any
) -> None:
    from apps.kanban.services import people, userdata

    calls = account_calls
    settings.KANBAN_NAME_CACHE_SECONDS = 0
    people.display_names([team.member.user_id])
    people.display_names([team.member.user_id])
    assert calls == [1, 1]

    settings.KANBAN_NAME_CACHE_SECONDS = 60
    calls.clear()
    assert people.display_names([team.member.user_id]) == {team.member.user_id: "Mia"}
    assert people.display_names([team.member.user_id]) == {team.member.user_id: "Mia"}
    assert calls == [1]
    userdata.delete_user_data(user_id=team.member.user_id)
    people.display_names([team.member.user_id])
    assert calls == [1, 1]  # forgotten: asked again, not served from the cache
