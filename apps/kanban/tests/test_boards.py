"""Boards: create, list, rename, delete (with everything on them); the role matrix; activity."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from apps.kanban.models import Activity, Board, Column, Label, Task
from apps.kanban.services import boards, changes
from apps.kanban.tests.factories import API, ROLES, World, expected_status, make_task

pytestmark = pytest.mark.django_db


def test_create_list_rename(world: World) -> None:
    admin = world.client("admin")
    created = admin.post(f"{API}/projects/{world.project.id}/boards", {"name": "Sprint 2"})
    assert created.status_code == 201, created.json()
    body = created.json()
    assert set(body) == {"id", "project_id", "name", "created_at", "updated_at"}
    assert (body["project_id"], body["name"]) == (str(world.project.id), "Sprint 2")
    entry = Activity.objects.filter(verb="board.created", board_id=body["id"]).get()
    assert entry.actor_id == world.users["admin"]

    listed = world.client("viewer").get(f"{API}/projects/{world.project.id}/boards?page_size=1").json()
    assert [b["name"] for b in listed["results"]] == ["Main"]  # oldest first
    rest = world.client("viewer").get(listed["next"]).json()
    assert [b["name"] for b in rest["results"]] == ["Sprint 2"]

    version = Board.objects.get(pk=body["id"]).version
    renamed = admin.patch(f"{API}/boards/{body['id']}", {"name": "Sprint 3"})
    assert renamed.status_code == 200
    assert renamed.json()["name"] == "Sprint 3"
    assert Board.objects.get(pk=body["id"]).version == version + 1
    assert Activity.objects.get(verb="board.updated").data == {
        "changes": {"name": {"from": "Sprint 2", "to": "Sprint 3"}}
    }
    assert admin.patch(f"{API}/boards/{body['id']}", {"name": ""}).status_code == 400
    assert admin.patch(f"{API}/boards/{body['id']}", {}).status_code == 400


def test_delete_takes_columns_tasks_and_labels(world: World) -> None:
    make_task(world.todo, "a")
    make_task(world.done, "b", archived=True)
    response = world.client("admin").delete(f"{API}/boards/{world.board.id}")
    assert response.status_code == 204
    assert not Board.objects.exists()
    assert not Task.objects.exists()
    assert not Column.objects.exists()
    assert not Label.objects.exists()
    entry = Activity.objects.get(verb="board.deleted")
    assert (entry.board_id, entry.data["name"]) == (world.board.id, "Main")
    assert world.client("admin").patch(f"{API}/boards/{world.board.id}", {"name": "x"}).status_code == 404


BOARD_CASES = [
    ("get", "projects/{project}/boards", None, "viewer", 200),
    ("post", "projects/{project}/boards", {"name": "New"}, "admin", 201),
    ("patch", "boards/{board}", {"name": "Renamed"}, "admin", 200),
    ("delete", "boards/{board}", None, "admin", 204),
]


@pytest.mark.parametrize("role", [*ROLES, "stranger"])
@pytest.mark.parametrize("case", BOARD_CASES, ids=lambda c: f"{c[0]} {c[1]}")
def test_role_matrix(world: World, role: str, case: tuple[Any, ...]) -> None:
    method, path, body, needs, ok = case
    url = f"{API}/" + path.format(project=world.project.id, board=world.board.id)
    before = Activity.objects.count()
    response = getattr(world.client(role), method)(url, body)
    assert response.status_code == expected_status(role, needs=needs, ok=ok), response.content
    if response.status_code >= 400:
        assert Activity.objects.count() == before
        assert Board.objects.filter(pk=world.board.id, name="Main").exists()


def test_missing_board_is_404_like_a_strangers(world: World) -> None:
    stranger = world.client("stranger")
    missing = world.client("owner").patch(f"{API}/boards/{uuid.uuid4()}", {"name": "x"})
    hidden = stranger.patch(f"{API}/boards/{world.board.id}", {"name": "x"})
    assert missing.status_code == hidden.status_code == 404
    assert missing.json() == hidden.json()


def test_board_writes_publish_events_after_commit_only(world: World, django_capture_on_commit_callbacks) -> None:
    seen: list[changes.Event] = []
    changes.subscribe(seen.append)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            boards.board_update(user_id=world.users["admin"], board_id=world.board.id, name="Evented")
        assert [(e.verb, e.board_id) for e in seen] == [("board.updated", world.board.id)]
    finally:
        changes._SUBSCRIBERS.remove(seen.append)


def test_admin_browses_and_searches_read_only(world: World, django_user_model: Any) -> None:
    from django.test import Client

    make_task(world.todo, "Find me", priority="high")
    django_user_model.objects.create_superuser(email="root@example.com", password="correct horse battery")
    client = Client()
    assert client.login(username="root@example.com", password="correct horse battery")
    pages = {
        "/admin/kanban/project/?q=Apollo": b"Apollo",
        "/admin/kanban/board/?q=Main": b"Main",
        "/admin/kanban/task/?q=Find&priority__exact=high": b"Find me",
        "/admin/kanban/activity/?verb=board.created": b"board.created",
        f"/admin/kanban/project/{world.project.id}/change/": b"Apollo",
    }
    for path, text in pages.items():
        response = client.get(path)
        assert response.status_code == 200, path
        assert text in response.content, path
    assert b"Find me" not in client.get("/admin/kanban/task/?q=nothing-like-it").content
    assert client.get("/admin/kanban/task/add/").status_code == 403
    assert client.post(f"/admin/kanban/project/{world.project.id}/delete/").status_code == 403
