"""Comments: members write, oldest first with a cursor, the author edits, the author or an admin deletes."""

from __future__ import annotations

from typing import Any

import pytest

from apps.kanban.models import Activity, Comment, Role
from apps.kanban.tests.factories import API, Team, actor, add_member, code, make_task, make_team

pytestmark = pytest.mark.django_db


@pytest.fixture
def team() -> Team:
    return make_team()


@pytest.fixture
def task(team: Team) -> Any:
    return make_task(team.todo, "commented")


def post(team: Team, task: Any, body: str, client: Any | None = None) -> Any:
    return (client or team.member.client).post(f"{API}/tasks/{task.id}/comments", {"body": body})


def test_create_and_list_oldest_first_with_cursor(team: Team, task: Any) -> None:
    created = post(team, task, "first")
    assert created.status_code == 201, created.content
    body = created.json()
    assert set(body) == {"id", "task_id", "author_id", "body", "created_at", "edited_at"}
    assert body["task_id"] == str(task.id)
    assert body["author_id"] == str(team.member.user_id)
    assert body["edited_at"] is None
    for i in range(4):
        post(team, task, f"more {i}", client=team.admin.client)
    page = team.viewer.client.get(f"{API}/tasks/{task.id}/comments?page_size=3").json()
    assert [c["body"] for c in page["results"]] == ["first", "more 0", "more 1"]
    rest = team.viewer.client.get(page["next"]).json()
    assert [c["body"] for c in rest["results"]] == ["more 2", "more 3"]
    assert rest["next"] is None
    assert Activity.objects.filter(task_id=task.id, verb="comment.created").count() == 5


def test_body_limits(team: Team, task: Any) -> None:
    assert post(team, task, "x" * 10_000).status_code == 201
    too_long = post(team, task, "x" * 10_001)
    assert too_long.status_code == 400
    assert code(too_long) == "invalid_input"
    assert post(team, task, "").status_code == 400
    assert team.member.client.post(f"{API}/tasks/{task.id}/comments", {}).status_code == 400


def test_only_the_author_edits(team: Team, task: Any) -> None:
    comment = post(team, task, "typo").json()
    url = f"{API}/comments/{comment['id']}"
    by_admin = team.admin.client.patch(url, {"body": "hijacked"})
    assert by_admin.status_code == 403
    assert code(by_admin) == "kanban.role_required"
    edited = team.member.client.patch(url, {"body": "fixed"})
    assert edited.status_code == 200
    assert edited.json()["body"] == "fixed"
    assert edited.json()["edited_at"] is not None
    assert Comment.objects.get(id=comment["id"]).body == "fixed"
    assert Activity.objects.filter(verb="comment.updated").count() == 1


def test_author_or_admin_deletes(team: Team, task: Any) -> None:
    mine = post(team, task, "mine").json()
    theirs = post(team, task, "theirs").json()
    second = actor("Sam")  # a member who is not the author
    add_member(team.project, Role.MEMBER, second.user_id)
    refused = second.client.delete(f"{API}/comments/{mine['id']}")
    assert refused.status_code == 403
    assert team.member.client.delete(f"{API}/comments/{mine['id']}").status_code == 204
    assert team.admin.client.delete(f"{API}/comments/{theirs['id']}").status_code == 204
    assert not Comment.objects.exists()
    assert Activity.objects.filter(verb="comment.deleted").count() == 2
    assert team.member.client.delete(f"{API}/comments/{mine['id']}").status_code == 404
