"""kanban_service.delete_user_data / export_user_data behave the same in-process and over the signed RPC
endpoint: memberships go, sole-owner projects pass on (admin, else member, else viewer) or are deleted,
assignments go, comments stay anonymised; idempotent; the export is JSON-ready."""

from __future__ import annotations

import json
import uuid

import pytest

from apps.kanban.models import Activity, Comment, Invitation, Membership, Project, Role, Task, TaskAssignee
from apps.kanban.services import KanbanService, kanban_service, projects
from apps.kanban.tests.factories import World, add_member, make_invitation, make_task, make_world
from gau.rpc.testing import transport_modes

pytestmark = pytest.mark.django_db

mode = transport_modes("kanban")


def test_handle_resolves_to_the_transport(mode) -> None:
    target = kanban_service.target()  # type: ignore[attr-defined]
    assert isinstance(target, KanbanService)
    assert type(target).__name__ == ("LocalKanbanService" if mode is None else "RemoteKanbanService")


def roles(project: Project) -> dict[uuid.UUID, str]:
    return dict(Membership.objects.filter(project=project).values_list("user_id", "role"))


@pytest.mark.parametrize("heir_role", ["admin", "member", "viewer"])
def test_sole_owner_hands_over_to_the_oldest_of_the_highest_role(mode, heir_role: str) -> None:
    owner = uuid.uuid4()
    project = projects.project_create(user_id=owner, name="Solo").project
    ranks = ["viewer", "member", "admin"]
    lower = ranks[: ranks.index(heir_role)]
    for role in lower:
        add_member(project, role)
    oldest = add_member(project, heir_role)
    add_member(project, heir_role)
    kanban_service.delete_user_data(user_id=owner)
    assert roles(project)[oldest] == "owner"
    assert owner not in roles(project)
    assert list(Membership.objects.filter(project=project, role="owner").values_list("user_id", flat=True)) == [oldest]
    handover = Activity.objects.get(verb="member.role_changed")
    assert handover.data == {"user_id": str(oldest), "from": heir_role, "to": "owner", "reason": "owner_left"}
    removed = Activity.objects.get(verb="member.removed")
    assert (removed.actor_id, removed.data["reason"]) == (None, "account_deleted")
    if mode is not None:
        assert mode.calls == ["/internal/rpc/kanban/delete_user_data/"]


def test_a_project_with_nobody_left_is_deleted_and_co_owned_ones_stay(mode) -> None:
    world = make_world()
    me = uuid.uuid4()
    alone = projects.project_create(user_id=me, name="Alone").project
    board_world = make_world("Alone's tasks")  # a second world to prove only `alone` goes
    make_task(board_world.todo)
    shared = world.project
    add_member(shared, Role.OWNER, me)
    kanban_service.delete_user_data(user_id=me)
    assert not Project.objects.filter(pk=alone.id).exists()
    assert roles(shared)[world.users["owner"]] == "owner"
    assert me not in roles(shared)
    assert Task.objects.filter(project=board_world.project).count() == 1


def test_assignments_go_comments_stay_anonymised_idempotent(mode, world: World) -> None:
    me = world.users["member"]
    task = make_task(world.todo, "Mine")
    Task.objects.filter(pk=task.pk).update(created_by=me)
    TaskAssignee.objects.create(task=task, user_id=me)
    TaskAssignee.objects.create(task=task, user_id=world.users["admin"])
    comment = Comment.objects.create(task=task, author_id=me, body="hello")
    kept = Comment.objects.create(task=task, author_id=world.users["admin"], body="hi")
    token = make_invitation(world.project, "friend@example.com")
    Invitation.objects.update(invited_by=me)
    kanban_service.delete_user_data(user_id=me)
    kanban_service.delete_user_data(user_id=me)  # idempotent: nothing more to do, no error
    assert list(TaskAssignee.objects.values_list("user_id", flat=True)) == [world.users["admin"]]
    comment.refresh_from_db()
    assert (comment.author_id, comment.body) == (None, "hello")
    assert Comment.objects.get(pk=kept.pk).author_id == world.users["admin"]
    assert me not in roles(world.project)
    assert not Activity.objects.filter(actor_id=me).exists()
    invitation = Invitation.objects.get()
    assert invitation.invited_by is None
    assert invitation.accepted_at is None
    assert token
    assert Activity.objects.filter(verb="member.removed").count() == 1
    assert Task.objects.get(pk=task.pk).created_by is None


def test_export(mode, world: World) -> None:
    me = world.users["admin"]
    task = make_task(world.todo, "Ship it")
    TaskAssignee.objects.create(task=task, user_id=me)
    comment = Comment.objects.create(task=task, author_id=me, body="on it")
    Comment.objects.create(task=task, author_id=world.users["owner"], body="not mine")
    exported = kanban_service.export_user_data(user_id=me)
    json.dumps(exported)  # JSON-ready
    assert exported["memberships"] == [
        {
            "project_id": str(world.project.id),
            "project_name": "Apollo",
            "role": "admin",
            "joined_at": Membership.objects.get(user_id=me).joined_at.isoformat(),
        }
    ]
    (assigned,) = exported["assigned_tasks"]
    assert (assigned["task_id"], assigned["number"], assigned["title"]) == (str(task.id), "APO-0001", "Ship it")
    assert exported["comments"] == [
        {"id": str(comment.id), "task_id": str(task.id), "body": "on it", "created_at": comment.created_at.isoformat()}
    ]
    assert kanban_service.export_user_data(user_id=uuid.uuid4()) == {
        "memberships": [],
        "assigned_tasks": [],
        "comments": [],
    }
