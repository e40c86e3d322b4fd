"""Columns (order keys, moves, WIP limit field, done flag, delete with and without moving tasks) and labels."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import pytest
from django.db import connection

from apps.kanban.models import Activity, Column, Label, Task, TaskLabel
from apps.kanban.services import boards
from apps.kanban.tests.factories import API, ROLES, World, expected_status, make_task, make_world

pytestmark = pytest.mark.django_db


def column_names(world: World) -> list[str]:
    return list(Column.objects.filter(board=world.board).order_by("position").values_list("name", flat=True))


# --- columns ------------------------------------------------------------------------------------


def test_create_last_by_default_or_before_after(world: World) -> None:
    admin = world.client("admin")
    url = f"{API}/boards/{world.board.id}/columns"
    last = admin.post(url, {"name": "Later", "wip_limit": 3})
    assert last.status_code == 201, last.json()
    body = last.json()
    assert set(body) == {"id", "board_id", "name", "position", "wip_limit", "is_done", "created_at", "updated_at"}
    assert (body["wip_limit"], body["is_done"]) == (3, False)
    assert admin.post(url, {"name": "First", "before_id": str(world.todo.id)}).status_code == 201
    assert admin.post(url, {"name": "Doing", "after_id": str(world.todo.id)}).status_code == 201
    assert column_names(world) == ["First", "To do", "Doing", "Done", "Later"]
    verbs = Activity.objects.filter(verb="column.created").count()
    assert verbs == 5  # two from the world, three here


@pytest.mark.parametrize(
    "body",
    [
        {"name": "x", "before_id": "{todo}", "after_id": "{done}"},
        {"name": "x", "before_id": "{missing}"},
        {"name": "x", "after_id": "{foreign}"},
        {"name": "x", "wip_limit": 0},
        {"name": ""},
        {"name": "x", "before_id": "not-a-uuid"},
    ],
)
def test_bad_column_input_is_400(world: World, body: dict[str, object]) -> None:
    other = make_world("Other")
    ids = {"todo": world.todo.id, "done": world.done.id, "missing": uuid.uuid4(), "foreign": other.todo.id}
    data = {k: v.format(**ids) if isinstance(v, str) else v for k, v in body.items()}
    response = world.client("admin").post(f"{API}/boards/{world.board.id}/columns", data)
    assert response.status_code == 400, response.json()
    assert response.json()["error"]["code"] in {"invalid_input", "kanban.invalid"}
    assert Column.objects.filter(board=world.board).count() == 2


def test_patch_fields_and_moves(world: World) -> None:
    admin = world.client("admin")
    doing = boards.column_create(user_id=world.users["admin"], board_id=world.board.id, name="Doing")
    url = f"{API}/columns/{doing.id}"
    moved = admin.patch(url, {"before_id": str(world.todo.id)})
    assert moved.status_code == 200
    assert column_names(world) == ["Doing", "To do", "Done"]
    assert admin.patch(url, {"after_id": str(world.done.id), "wip_limit": 2}).json()["wip_limit"] == 2
    assert column_names(world) == ["To do", "Done", "Doing"]
    assert admin.patch(url, {"wip_limit": None}).json()["wip_limit"] is None
    assert admin.patch(url, {"before_id": str(doing.id)}).status_code == 400
    assert admin.patch(url, {"name": "Review"}).json()["name"] == "Review"
    verbs = list(Activity.objects.filter(data__column_id=str(doing.id)).order_by("id").values_list("verb", flat=True))
    assert verbs == [
        "column.created",
        "column.moved",
        "column.updated",
        "column.moved",
        "column.updated",
        "column.updated",
    ]
    unchanged = Activity.objects.count()
    assert admin.patch(url, {"name": "Review"}).status_code == 200
    assert Activity.objects.count() == unchanged  # nothing changed, nothing recorded


def test_is_done_stamps_and_clears_completed_at(world: World) -> None:
    task = make_task(world.todo)
    admin = world.client("admin")
    assert admin.patch(f"{API}/columns/{world.todo.id}", {"is_done": True}).json()["is_done"] is True
    task.refresh_from_db()
    assert task.completed_at is not None
    assert task.version == 2
    admin.patch(f"{API}/columns/{world.todo.id}", {"is_done": False})
    task.refresh_from_db()
    assert task.completed_at is None
    assert task.version == 3


def test_delete_with_tasks_is_409_unless_moved(world: World) -> None:
    admin = world.client("admin")
    existing = make_task(world.done, "already done")
    moving = [make_task(world.todo, f"t{i}", archived=(i == 1)) for i in range(3)]
    refused = admin.delete(f"{API}/columns/{world.todo.id}")
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "kanban.conflict"
    assert refused.json()["error"]["details"] == {"tasks": 3}
    assert admin.delete(f"{API}/columns/{world.todo.id}?move_tasks_to={world.todo.id}").status_code == 400
    assert admin.delete(f"{API}/columns/{world.todo.id}?move_tasks_to={make_world('B').todo.id}").status_code == 400
    assert admin.delete(f"{API}/columns/{world.todo.id}?move_tasks_to=nope").status_code == 400

    response = admin.delete(f"{API}/columns/{world.todo.id}?move_tasks_to={world.done.id}")
    assert response.status_code == 204
    assert not Column.objects.filter(pk=world.todo.id).exists()
    order = list(Task.objects.filter(column=world.done).order_by("position").values_list("title", flat=True))
    assert order == ["already done", "t0", "t1", "t2"]
    moved = Task.objects.filter(pk__in=[t.id for t in moving])
    assert all(t.completed_at is not None and t.version == 2 for t in moved)  # now in a done column
    assert Task.objects.get(pk=existing.id).version == 1
    assert Activity.objects.filter(verb="task.moved").count() == 3
    entry = Activity.objects.get(verb="column.deleted")
    assert (entry.data["moved_tasks"], entry.data["moved_to"]) == (3, str(world.done.id))


def test_empty_column_deletes(world: World) -> None:
    assert world.client("admin").delete(f"{API}/columns/{world.todo.id}").status_code == 204
    assert column_names(world) == ["Done"]


def test_a_column_delete_that_fails_after_recording_leaves_nothing(world: World, monkeypatch) -> None:
    task = make_task(world.todo)

    def broken(self: Column, *args: object, **kwargs: object) -> None:
        raise RuntimeError("fails after record()")

    monkeypatch.setattr(Column, "delete", broken)
    before = Activity.objects.count()
    with pytest.raises(RuntimeError):
        boards.column_delete(user_id=world.users["admin"], column_id=world.todo.id, move_tasks_to=world.done.id)
    assert Activity.objects.count() == before
    task.refresh_from_db()
    assert (task.column_id, task.version) == (world.todo.id, 1)


@pytest.mark.django_db(transaction=True)
def test_concurrent_column_creates_get_distinct_keys() -> None:
    world = make_world()
    errors: list[BaseException] = []

    def add(i: int) -> None:
        try:
            boards.column_create(user_id=world.users["admin"], board_id=world.board.id, name=f"C{i}")
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=add, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    positions = list(Column.objects.filter(board=world.board).values_list("position", flat=True))
    assert len(positions) == len(set(positions)) == 10


# --- labels -------------------------------------------------------------------------------------


def test_labels_create_list_update_delete(world: World) -> None:
    admin = world.client("admin")
    url = f"{API}/boards/{world.board.id}/labels"
    created = admin.post(url, {"name": "feature", "color": "#00FF7f"})
    assert created.status_code == 201
    body = created.json()
    assert set(body) == {"id", "board_id", "name", "color", "created_at"}
    assert body["color"] == "#00ff7f"
    for color in ("00ff7f", "#0f0", "#gggggg", "", None):
        assert admin.post(url, {"name": "bad", "color": color}).status_code == 400
    listed = world.client("viewer").get(url).json()["results"]
    assert [label["name"] for label in listed] == ["bug", "feature"]
    patched = admin.patch(f"{API}/labels/{body['id']}", {"color": "#123456", "name": "feat"})
    assert (patched.json()["name"], patched.json()["color"]) == ("feat", "#123456")
    task = make_task(world.todo)
    TaskLabel.objects.create(task=task, label_id=body["id"])
    assert admin.delete(f"{API}/labels/{body['id']}").status_code == 204
    assert not TaskLabel.objects.exists()
    assert not Label.objects.filter(pk=body["id"]).exists()
    task.refresh_from_db()
    assert task.version == 2
    verbs = list(Activity.objects.filter(data__label_id=body["id"]).order_by("id").values_list("verb", flat=True))
    assert verbs == ["label.created", "label.updated", "label.deleted"]


COLUMN_LABEL_CASES = [
    ("post", "boards/{board}/columns", {"name": "New"}, "admin", 201),
    ("patch", "columns/{column}", {"name": "Renamed"}, "admin", 200),
    ("delete", "columns/{column}", None, "admin", 204),
    ("get", "boards/{board}/labels", None, "viewer", 200),
    ("post", "boards/{board}/labels", {"name": "x", "color": "#000000"}, "admin", 201),
    ("patch", "labels/{label}", {"name": "renamed"}, "admin", 200),
    ("delete", "labels/{label}", None, "admin", 204),
]


@pytest.mark.parametrize("role", [*ROLES, "stranger"])
@pytest.mark.parametrize("case", COLUMN_LABEL_CASES, ids=lambda c: f"{c[0]} {c[1]}")
def test_role_matrix(world: World, role: str, case: tuple[Any, ...]) -> None:
    method, path, body, needs, ok = case
    url = f"{API}/" + path.format(board=world.board.id, column=world.todo.id, label=world.label.id)
    before = Activity.objects.count()
    response = getattr(world.client(role), method)(url, body)
    assert response.status_code == expected_status(role, needs=needs, ok=ok), response.content
    if response.status_code >= 400:
        assert Activity.objects.count() == before
        assert column_names(world) == ["To do", "Done"]
        assert Label.objects.filter(pk=world.label.id, name="bug").exists()


@pytest.mark.parametrize("path", ["columns/{id}", "labels/{id}"])
def test_missing_ids_are_404(world: World, path: str) -> None:
    url = f"{API}/" + path.format(id=uuid.uuid4())
    assert world.client("owner").patch(url, {"name": "x"}).status_code == 404
    assert world.client("owner").delete(url).status_code == 404
    assert world.client("owner").get(f"{API}/boards/{uuid.uuid4()}/labels").status_code == 404
