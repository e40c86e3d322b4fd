"""Members: list with display names, role changes, removal and leaving; owners and the last-owner rule."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from apps.account.services import account_service
from apps.kanban.models import Activity, Board, Membership, Role, TaskAssignee
from apps.kanban.services import projects
from apps.kanban.tests.factories import API, ROLES, World, add_member, client_for, expected_status, make_task

pytestmark = pytest.mark.django_db


def members_url(world: World, user_id: uuid.UUID | None = None) -> str:
    base = f"{API}/projects/{world.project.id}/members"
    return base if user_id is None else f"{base}/{user_id}"


def role_of(world: World, name: str) -> str | None:
    row = Membership.objects.filter(project=world.project, user_id=world.users[name]).first()
    return row.role if row else None


def test_list_oldest_first_with_display_names_from_one_account_call(world: World) -> None:
    real = account_service.create_user(
        email=f"m{uuid.uuid4().hex[:8]}@example.com", password="x" * 20, display_name="Hoa"
    )
    add_member(world.project, Role.MEMBER, real.id)
    body = world.client("viewer").get(members_url(world)).json()
    assert [m["user_id"] for m in body["results"]][:1] == [str(world.users["owner"])]
    rows = {m["user_id"]: m for m in body["results"]}
    assert set(body["results"][0]) == {"user_id", "display_name", "role", "joined_at"}
    assert rows[str(real.id)]["display_name"] == "Hoa"
    assert rows[str(world.users["admin"])]["display_name"] == "Deleted user"  # ids without an account
    assert {m["role"] for m in body["results"]} == {"owner", "admin", "member", "viewer"}
    joined = [m["joined_at"] for m in body["results"]]
    assert joined == sorted(joined)


MEMBER_CASES = [
    ("get", False, None, "viewer", 200),
    ("patch", True, {"role": "viewer"}, "admin", 200),
    ("delete", True, None, "admin", 204),
]


@pytest.mark.parametrize("role", [*ROLES, "stranger"])
@pytest.mark.parametrize("case", MEMBER_CASES, ids=lambda c: f"{c[0]} {c[1]}")
def test_role_matrix(world: World, role: str, case: tuple[Any, ...]) -> None:
    method, on_member, body, needs, ok = case
    url = members_url(world, world.users["other"] if on_member else None)
    response = getattr(world.client(role), method)(url, body)
    assert response.status_code == expected_status(role, needs=needs, ok=ok), response.content
    if response.status_code >= 400:
        assert role_of(world, "other") == "member"


def test_admin_manages_members_below_owner(world: World) -> None:
    admin = world.client("admin")
    assert admin.patch(members_url(world, world.users["member"]), {"role": "admin"}).json()["role"] == "admin"
    assert admin.patch(members_url(world, world.users["viewer"]), {"role": "member"}).status_code == 200
    for target, body in (("owner", {"role": "admin"}), ("member", {"role": "owner"})):
        refused = admin.patch(members_url(world, world.users[target]), body)
        assert refused.status_code == 403
        assert refused.json()["error"]["code"] == "kanban.role_required"
    assert admin.delete(members_url(world, world.users["owner"])).status_code == 403
    assert role_of(world, "owner") == "owner"
    assert admin.patch(members_url(world, world.users["other"]), {"role": "boss"}).status_code == 400
    assert admin.patch(members_url(world, uuid.uuid4()), {"role": "viewer"}).status_code == 404
    change = Activity.objects.filter(verb="member.role_changed").order_by("id").first()
    assert change is not None
    assert change.data == {"user_id": str(world.users["member"]), "from": "member", "to": "admin"}


def test_members_cannot_manage_others_but_anyone_may_leave(world: World) -> None:
    member = world.client("member")
    assert member.delete(members_url(world, world.users["other"])).status_code == 403
    assert member.patch(members_url(world, world.users["member"]), {"role": "admin"}).status_code == 403
    task = make_task(world.todo)
    TaskAssignee.objects.create(task=task, user_id=world.users["viewer"])
    version = Board.objects.get(pk=world.board.id).version
    assert world.client("viewer").delete(members_url(world, world.users["viewer"])).status_code == 204
    assert role_of(world, "viewer") is None
    assert not TaskAssignee.objects.filter(user_id=world.users["viewer"]).exists()
    task.refresh_from_db()
    assert task.version == 2
    assert Board.objects.get(pk=world.board.id).version > version  # board reads list members
    left = Activity.objects.get(verb="member.removed")
    assert (left.actor_id, left.data["reason"], left.data["role"]) == (world.users["viewer"], "left", "viewer")
    assert world.client("viewer").get(f"{API}/projects/{world.project.id}").status_code == 404


def test_only_owners_make_owners_and_the_last_owner_stays(world: World) -> None:
    owner = world.client("owner")
    last = owner.patch(members_url(world, world.users["owner"]), {"role": "admin"})
    assert last.status_code == 409
    assert last.json()["error"]["code"] == "kanban.last_owner"
    leave = owner.delete(members_url(world, world.users["owner"]))
    assert leave.status_code == 409
    assert leave.json()["error"]["code"] == "kanban.last_owner"
    assert owner.patch(members_url(world, world.users["admin"]), {"role": "owner"}).status_code == 200
    # now two owners: the first may step down, and the new owner may remove the old one
    assert owner.patch(members_url(world, world.users["owner"]), {"role": "admin"}).status_code == 200
    assert role_of(world, "owner") == "admin"
    assert world.client("admin").delete(members_url(world, world.users["owner"])).status_code == 204
    assert list(Membership.objects.filter(project=world.project, role="owner").values_list("user_id", flat=True)) == [
        world.users["admin"]
    ]
    solo = world.client("admin").delete(members_url(world, world.users["admin"]))
    assert solo.status_code == 409


def test_owner_removes_another_owner(world: World) -> None:
    second = add_member(world.project, Role.OWNER)
    assert world.client("owner").delete(members_url(world, second)).status_code == 204
    assert not Membership.objects.filter(user_id=second).exists()
    assert client_for(second).get(members_url(world)).status_code == 404


def test_a_role_change_that_fails_after_recording_leaves_nothing(world: World, monkeypatch) -> None:
    def broken(**kwargs: object) -> None:
        raise RuntimeError("fails after record()")

    monkeypatch.setattr(projects, "bump_project_boards", broken)
    before = Activity.objects.count()
    with pytest.raises(RuntimeError):
        projects.member_update_role(
            actor_id=world.users["admin"], project_id=world.project.id, user_id=world.users["other"], role="viewer"
        )
    assert Activity.objects.count() == before
    assert role_of(world, "other") == "member"


@pytest.mark.django_db(transaction=True)
def test_two_owners_stepping_down_at_once_leave_one_owner() -> None:
    import threading

    from django.db import connection

    from apps.kanban.tests.factories import make_world

    world = make_world()
    second = add_member(world.project, Role.OWNER)
    owners = [world.users["owner"], second]
    barrier = threading.Barrier(2)
    results: list[str] = []

    def step_down(user_id: uuid.UUID) -> None:
        try:
            barrier.wait(timeout=10)
            projects.member_update_role(actor_id=user_id, project_id=world.project.id, user_id=user_id, role="admin")
            results.append("ok")
        except Exception as exc:  # the error is the result
            results.append(getattr(exc, "code", repr(exc)))
        finally:
            connection.close()

    threads = [threading.Thread(target=step_down, args=(u,)) for u in owners]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(results) == ["kanban.last_owner", "ok"]
    assert Membership.objects.filter(project=world.project, role="owner").count() == 1
