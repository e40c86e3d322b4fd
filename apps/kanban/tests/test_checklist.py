"""Checklist items: add in place, edit title/done, move, delete; each bumps the task version."""

from __future__ import annotations

from typing import Any

import pytest

from apps.kanban.models import Activity, ChecklistItem, Task
from apps.kanban.tests.factories import API, Team, make_task, make_team

pytestmark = pytest.mark.django_db


@pytest.fixture
def team() -> Team:
    return make_team()


def test_add_edit_move_delete(team: Team) -> None:
    task = make_task(team.todo)
    url = f"{API}/tasks/{task.id}/checklist"
    a = team.member.client.post(url, {"title": "a"})
    assert a.status_code == 201, a.content
    assert set(a.json()) == {"id", "title", "done", "position"}
    c = team.member.client.post(url, {"title": "c"}).json()
    b = team.member.client.post(url, {"title": "b", "before_id": c["id"]}).json()
    a = a.json()
    detail = team.viewer.client.get(f"{API}/tasks/{task.id}").json()
    assert [i["title"] for i in detail["checklist"]] == ["a", "b", "c"]
    assert detail["version"] == 4  # three additions

    done = team.member.client.patch(f"{API}/checklist-items/{b['id']}", {"done": True, "title": "B"})
    assert done.status_code == 200
    assert done.json() == {**b, "done": True, "title": "B"}
    moved = team.member.client.patch(f"{API}/checklist-items/{c['id']}", {"before_id": a["id"]})
    assert moved.status_code == 200
    titles = list(ChecklistItem.objects.filter(task=task).order_by("position").values_list("title", flat=True))
    assert titles == ["c", "a", "B"]
    board = team.viewer.client.get(f"{API}/boards/{team.board.id}").json()
    assert board["columns"][0]["tasks"][0]["checklist"] == {"done": 1, "total": 3}

    assert team.member.client.delete(f"{API}/checklist-items/{a['id']}").status_code == 204
    assert team.member.client.delete(f"{API}/checklist-items/{a['id']}").status_code == 404
    assert ChecklistItem.objects.filter(task=task).count() == 2
    verbs = list(Activity.objects.filter(task_id=task.id).order_by("id").values_list("verb", flat=True))
    assert verbs == ["checklist.item_added"] * 3 + ["checklist.item_updated"] * 2 + ["checklist.item_deleted"]
    assert Task.objects.get(id=task.id).version == 7


def test_bad_input(team: Team) -> None:
    task = make_task(team.todo)
    url = f"{API}/tasks/{task.id}/checklist"
    assert team.member.client.post(url, {"title": ""}).status_code == 400
    assert team.member.client.post(url, {"title": "x" * 501}).status_code == 400
    item: Any = team.member.client.post(url, {"title": "ok"}).json()
    other = make_task(team.todo, "other")
    foreign = team.member.client.post(f"{API}/tasks/{other.id}/checklist", {"title": "f"}).json()
    bad_anchor = team.member.client.post(url, {"title": "y", "after_id": foreign["id"]})
    assert bad_anchor.status_code == 400
    assert bad_anchor.json()["error"]["details"]["id"] == foreign["id"]
    assert team.member.client.patch(f"{API}/checklist-items/{item['id']}", {"done": "maybe"}).status_code == 400
    assert team.member.client.patch(f"{API}/checklist-items/{item['id']}", {"before_id": item["id"]}).status_code == 400
