"""Projects: create, list, read, edit, delete; the role matrix; API keys; activity in the same transaction."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from apps.kanban.models import Activity, Board, Column, Membership, Project, Task
from apps.kanban.services import projects
from apps.kanban.services.errors import KanbanInvalidError
from apps.kanban.tests.factories import API, ROLES, World, client_for, expected_status, make_task

pytestmark = pytest.mark.django_db


def test_create_defaults_key_and_makes_the_creator_owner() -> None:
    me = uuid.uuid4()
    response = client_for(me).post(f"{API}/projects", {"name": "  Rocket  "})
    assert response.status_code == 201, response.json()
    body = response.json()
    assert set(body) == {"id", "name", "key", "description", "default_reminders", "role", "created_at", "updated_at"}
    assert (body["name"], body["key"], body["description"], body["role"]) == ("Rocket", "TASK", "", "owner")
    assert Membership.objects.get(project_id=body["id"]).user_id == me
    assert list(Activity.objects.filter(project_id=body["id"]).values_list("verb", "actor_id")) == [
        ("project.created", me)
    ]


@pytest.mark.parametrize("key", ["A", "ab", "1AB", "ABCDEFGHIJK", "AB-C", "ÄB"])
def test_bad_keys_are_400(key: str) -> None:
    response = client_for(uuid.uuid4()).post(f"{API}/projects", {"name": "x", "key": key})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_input"
    assert "key" in response.json()["error"]["details"]["fields"]
    with pytest.raises(KanbanInvalidError):  # the service checks too (admin, commands)
        projects.project_create(user_id=uuid.uuid4(), name="x", key=key)


@pytest.mark.parametrize("key", ["AB", "Q1", "ABCDEFGHIJ"])
def test_good_keys(key: str) -> None:
    response = client_for(uuid.uuid4()).post(f"{API}/projects", {"name": "x", "key": key})
    assert response.status_code == 201
    assert response.json()["key"] == key


def test_blank_name_and_malformed_json_are_400() -> None:
    client = client_for(uuid.uuid4())
    assert client.post(f"{API}/projects", {"name": "   "}).status_code == 400
    assert client.post(f"{API}/projects", {}).status_code == 400
    bad = client.post(f"{API}/projects", data="{nope", content_type="application/json")
    assert bad.status_code == 400
    assert "error" in bad.json()


def test_list_shows_only_the_callers_projects_with_their_role_paginated(world: World) -> None:
    viewer = world.users["viewer"]
    mine = [projects.project_create(user_id=viewer, name=f"P{i}").project.id for i in range(3)]
    page = client_for(viewer).get(f"{API}/projects?page_size=2").json()
    assert len(page["results"]) == 2
    rest = client_for(viewer).get(page["next"]).json()
    listed = page["results"] + rest["results"]
    assert {p["id"] for p in listed} == {str(i) for i in [*mine, world.project.id]}
    roles = {p["id"]: p["role"] for p in listed}
    assert roles[str(world.project.id)] == "viewer"
    assert {roles[str(i)] for i in mine} == {"owner"}
    created = [p["created_at"] for p in listed]
    assert created == sorted(created, reverse=True)  # newest first
    assert world.client("stranger").get(f"{API}/projects").json()["results"] == []


def test_read_edit_and_activity(world: World) -> None:
    url = f"{API}/projects/{world.project.id}"
    got = world.client("viewer").get(url).json()
    assert (got["name"], got["key"], got["role"]) == ("Apollo", "APO", "viewer")
    version = Board.objects.get(pk=world.board.id).version
    changed = world.client("admin").patch(url, {"name": "Apollo 11", "key": "AP11", "description": "moon"})
    assert changed.status_code == 200, changed.json()
    assert (changed.json()["name"], changed.json()["key"], changed.json()["role"]) == ("Apollo 11", "AP11", "admin")
    entry = Activity.objects.filter(verb="project.updated").get()
    assert entry.actor_id == world.users["admin"]
    assert entry.data["changes"]["key"] == {"from": "APO", "to": "AP11"}
    assert Board.objects.get(pk=world.board.id).version > version  # task numbers on the board changed
    assert world.client("admin").patch(url, {"key": "ap"}).status_code == 400
    assert world.client("admin").patch(url, {"name": ""}).status_code == 400


def test_delete_removes_everything_including_tasks(world: World) -> None:
    make_task(world.todo, "one")
    make_task(world.done, "two")
    response = world.client("owner").delete(f"{API}/projects/{world.project.id}")
    assert response.status_code == 204
    assert not Project.objects.filter(pk=world.project.id).exists()
    assert not Task.objects.exists()
    assert not Column.objects.exists()
    assert not Membership.objects.filter(project_id=world.project.id).exists()
    assert world.client("owner").get(f"{API}/projects/{world.project.id}").status_code == 404


PROJECT_CASES = [
    ("get", "", None, "viewer", 200),
    ("patch", "", {"description": "new"}, "admin", 200),
    ("delete", "", None, "owner", 204),
]


@pytest.mark.parametrize("role", [*ROLES, "stranger"])
@pytest.mark.parametrize("case", PROJECT_CASES, ids=lambda c: f"{c[0]} {c[1]}")
def test_role_matrix(world: World, role: str, case: tuple[Any, ...]) -> None:
    method, suffix, body, needs, ok = case
    url = f"{API}/projects/{world.project.id}{suffix}"
    response = getattr(world.client(role), method)(url, body)
    assert response.status_code == expected_status(role, needs=needs, ok=ok), response.content
    if response.status_code >= 400:
        code = response.json()["error"]["code"]
        assert code == ("kanban.not_found" if role == "stranger" else "kanban.role_required")
        assert Project.objects.get(pk=world.project.id).description == ""


def test_stranger_and_missing_id_get_the_same_answer(world: World) -> None:
    stranger = world.client("stranger")
    real = stranger.get(f"{API}/projects/{world.project.id}")
    missing = stranger.get(f"{API}/projects/{uuid.uuid4()}")
    assert real.status_code == missing.status_code == 404
    assert real.json() == missing.json()
    assert stranger.get(f"{API}/projects/not-a-uuid").status_code == 404


def test_unauthenticated_is_401(api_client) -> None:
    response = api_client.get(f"{API}/projects")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
    assert response["WWW-Authenticate"]


def test_real_api_keys_hold_their_scopes(api_client, world: World) -> None:
    from apps.authz.services import authz_service

    owner = world.users["owner"]
    keys = {
        scope: authz_service.create_api_key(user_id=owner, name=scope, scopes=frozenset({scope})).key
        for scope in ("kanban:read", "kanban:write", "upload:write")
    }
    url = f"{API}/projects/{world.project.id}"
    api_client.credentials(HTTP_X_API_KEY=keys["kanban:read"])
    assert api_client.get(url).json()["role"] == "owner"
    assert api_client.patch(url, {"name": "via read key"}, format="json").status_code == 403
    api_client.credentials(HTTP_X_API_KEY=keys["kanban:write"])
    assert api_client.patch(url, {"name": "via write key"}, format="json").status_code == 200
    assert api_client.get(f"{API}/projects/{world.project.id}/boards").status_code == 200
    api_client.credentials(HTTP_X_API_KEY=keys["upload:write"])
    assert api_client.get(url).status_code == 403
    assert api_client.post(f"{API}/projects", {"name": "x"}, format="json").status_code == 403
    assert Project.objects.get(pk=world.project.id).name == "via write key"


def test_real_bearer_token(api_client, user_client) -> None:
    created = user_client.client.post(f"{API}/projects", {"name": "Mine"})
    assert created.status_code == 201
    listed = user_client.client.get(f"{API}/projects").json()["results"]
    assert [p["id"] for p in listed] == [created.json()["id"]]


def test_a_change_that_fails_after_recording_leaves_no_activity(world: World, monkeypatch) -> None:
    def broken(**kwargs: object) -> None:
        raise RuntimeError("fails after record()")

    monkeypatch.setattr(projects, "bump_project_boards", broken)
    before = Activity.objects.count()
    with pytest.raises(RuntimeError):
        projects.project_update(user_id=world.users["admin"], project_id=world.project.id, fields={"key": "NEW"})
    assert Activity.objects.count() == before
    assert Project.objects.get(pk=world.project.id).key == "APO"


def test_every_projects_part_operation_is_in_the_schema_with_its_errors() -> None:
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)  # type: ignore[no-untyped-call]
    operations = {
        op["operationId"]: op
        for path, item in schema["paths"].items()
        if path.startswith("/api/v2/kanban/")
        for op in item.values()
        if isinstance(op, dict) and "operationId" in op
    }
    ours = {
        "kanban_projects_list", "kanban_projects_create", "kanban_projects_retrieve",
        "kanban_projects_partial_update", "kanban_projects_destroy", "kanban_members_list",
        "kanban_members_partial_update", "kanban_members_destroy", "kanban_invitations_create",
        "kanban_invitations_accept", "kanban_boards_list", "kanban_boards_create", "kanban_boards_partial_update",
        "kanban_boards_destroy", "kanban_columns_create", "kanban_columns_partial_update", "kanban_columns_destroy",
        "kanban_labels_list", "kanban_labels_create", "kanban_labels_partial_update", "kanban_labels_destroy",
    }  # fmt: skip
    assert ours <= set(operations)
    for op_id in ours - {"kanban_projects_list", "kanban_projects_create", "kanban_invitations_accept"}:
        assert {"401", "403", "404", "500"} <= set(operations[op_id]["responses"]), op_id
    assert "409" in operations["kanban_members_destroy"]["responses"]
    assert "409" in operations["kanban_columns_destroy"]["responses"]
    ref = operations["kanban_members_destroy"]["responses"]["409"]["content"]["application/json"]["schema"]["$ref"]
    assert ref.endswith("/Error")
    assert "202" in operations["kanban_invitations_create"]["responses"]
