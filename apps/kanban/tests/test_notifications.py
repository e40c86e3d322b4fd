"""Watching and notifications: squashed into one email per user per 5 minutes, never for one's own
actions, only for kinds left on, recorded in the change's transaction; the watch endpoints' role rules."""

from __future__ import annotations

import time
from datetime import timedelta
from email.message import EmailMessage
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from apps.kanban.models import Notification, TaskWatch
from apps.kanban.services import comments, notifications
from apps.kanban.tests.factories import API, Team, code, make_task, make_team

ME = "/api/v2/account/me"


def _body(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def _email(actor: Any) -> str:
    return str(actor.client.get(ME).json()["email"])


def _later(minutes: float) -> Any:
    return timezone.now() + timedelta(minutes=minutes)


@pytest.mark.django_db(transaction=True)
def test_two_changes_within_five_minutes_make_one_email_listing_both(smtp: Any) -> None:
    team = make_team()
    assert team.member.client.patch(ME, {"username": "mia_k"}).status_code == 200
    a = make_task(team.todo, "Write the launch post")
    b = make_task(team.todo, "Fix the login bug")
    own = make_task(team.todo, "Her own task", assignees=[team.member.user_id])
    owner = team.owner.client
    # 1: the owner assigns Mia; 2: the owner mentions her; 3: Mia's own move is not news to her.
    assert owner.patch(f"{API}/tasks/{a.id}", {"assignee_ids": [str(team.member.user_id)]}).status_code == 200
    assert owner.post(f"{API}/tasks/{b.id}/comments", {"body": "@MIA_K can you look? cc @nobody."}).status_code == 201
    assert team.member.client.post(f"{API}/tasks/{own.id}/move", {"column_id": str(team.done.id)}).status_code == 200
    assert TaskWatch.objects.filter(task=a, user_id=team.member.user_id).exists()  # assignees watch

    assert notifications.flush(now=_later(1)) == 0  # the first change waits for company
    assert notifications.flush(now=_later(5.1)) == 1
    assert notifications.flush(now=_later(5.2)) == 0
    [message] = smtp.wait_for(1)
    time.sleep(0.3)
    assert len(smtp.messages()) == 1
    assert message["To"] == _email(team.member)
    assert message["Subject"] == "2 updates on your tasks"
    body = _body(message)
    assert "Olive assigned it to you" in body
    assert "Write the launch post" in body
    assert "Olive mentioned you: “@MIA_K can you look? cc @nobody.”" in body
    assert "Fix the login bug" in body
    assert "Her own task" not in body
    assert f"http://testserver/kanban/tasks/{a.id}" in body

    # The next change waits for the next window: no second email within 5 minutes of the first.
    assert owner.post(f"{API}/tasks/{a.id}/move", {"column_id": str(team.done.id)}).status_code == 200
    assert Notification.objects.filter(user_id=team.member.user_id, sent_at=None, kind="done").count() == 1


@pytest.mark.django_db(transaction=True)
def test_at_most_one_email_per_user_per_window(smtp: Any) -> None:
    team = make_team()
    task = make_task(team.todo, "Watched")
    assert team.viewer.client.post(f"{API}/tasks/{task.id}/watch").json() == {"watching": True}
    owner = team.owner.client
    assert owner.post(f"{API}/tasks/{task.id}/move", {"column_id": str(team.done.id)}).status_code == 200
    first = timezone.now()
    assert notifications.flush(now=first + timedelta(minutes=5, seconds=1)) == 1
    assert owner.post(f"{API}/tasks/{task.id}/move", {"column_id": str(team.todo.id)}).status_code == 200
    assert owner.post(f"{API}/tasks/{task.id}/move", {"column_id": str(team.done.id)}).status_code == 200
    Notification.objects.filter(sent_at=None).update(created_at=first)  # pretend it came right after
    assert notifications.flush(now=first + timedelta(minutes=8)) == 0  # 3 min after the last email
    assert notifications.flush(now=first + timedelta(minutes=10, seconds=2)) == 1
    messages = smtp.wait_for(2)
    assert all(m["To"] == _email(team.viewer) for m in messages)
    assert "Olive moved it to Done" in _body(messages[1])


@pytest.mark.django_db(transaction=True)
def test_board_watchers_hear_of_done_moves_and_kinds_can_be_turned_off(smtp: Any) -> None:
    team = make_team()
    task = make_task(team.todo, "Board-wide")
    assert team.viewer.client.post(f"{API}/boards/{team.board.id}/watch").status_code == 200
    assert team.admin.client.post(f"{API}/boards/{team.board.id}/watch").status_code == 200
    off = team.admin.client.patch(f"{API}/me/notifications", {"done": False})
    assert off.status_code == 200
    assert off.json() == {"assigned": True, "mentioned": True, "done": False, "due": True}
    assert team.member.client.post(f"{API}/tasks/{task.id}/move", {"column_id": str(team.doing.id)}).status_code == 200
    assert not Notification.objects.exists()  # not a done column
    assert team.member.client.post(f"{API}/tasks/{task.id}/move", {"column_id": str(team.done.id)}).status_code == 200
    assert list(Notification.objects.values_list("user_id", "kind")) == [(team.viewer.user_id, "done")]
    assert team.viewer.client.delete(f"{API}/boards/{team.board.id}/watch").status_code == 204
    assert team.viewer.client.get(f"{API}/boards/{team.board.id}/watch").json() == {"watching": False}


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_comment_notifies_nobody() -> None:
    team = make_team()
    assert team.member.client.patch(ME, {"username": "mia_k"}).status_code == 200
    task = make_task(team.todo, "Quiet")
    with pytest.raises(RuntimeError), transaction.atomic():  # noqa: PT012 - the change, then a failure
        comments.comment_create(user_id=team.owner.user_id, task_id=task.id, body="@mia_k look")
        assert Notification.objects.count() == 1  # recorded in the change's transaction...
        raise RuntimeError("the request failed")
    assert Notification.objects.count() == 0  # ...and gone with it


@pytest.mark.django_db(transaction=True)
def test_mentions_of_strangers_and_removed_members_are_not_sent(smtp: Any) -> None:
    team: Team = make_team()
    assert team.stranger.client.patch(ME, {"username": "stan_x"}).status_code == 200
    assert team.viewer.client.patch(ME, {"username": "vic_v"}).status_code == 200
    task = make_task(team.todo, "Private")
    assert team.owner.client.post(f"{API}/tasks/{task.id}/comments", {"body": "@stan_x @vic_v hi"}).status_code == 201
    assert list(Notification.objects.values_list("user_id", flat=True)) == [team.viewer.user_id]
    assert (
        team.owner.client.delete(f"{API}/projects/{team.project.id}/members/{team.viewer.user_id}").status_code == 204
    )
    assert notifications.flush(now=_later(6)) == 0  # no longer a member: dropped
    assert Notification.objects.get().sent_at is not None


@pytest.mark.django_db
def test_watch_endpoints_roles() -> None:
    team = make_team()
    task = make_task(team.todo, "Roles")
    for name, who in team.by_role().items():
        for path in (f"{API}/tasks/{task.id}/watch", f"{API}/boards/{team.board.id}/watch"):
            post, get, delete = who.client.post(path), who.client.get(path), who.client.delete(path)
            if name == "stranger":
                assert (post.status_code, get.status_code, delete.status_code) == (404, 404, 404)
                assert code(post) == code(get) == code(delete) == "kanban.not_found"
            else:
                assert (post.status_code, get.status_code, delete.status_code) == (200, 200, 204), name
    missing = team.owner.client.post(f"{API}/tasks/00000000-0000-0000-0000-000000000000/watch")
    assert missing.status_code == 404
    from rest_framework.test import APIClient

    assert APIClient().post(f"{API}/tasks/{task.id}/watch").status_code == 401
    assert APIClient().get(f"{API}/me/notifications").status_code == 401


@pytest.mark.django_db
def test_notification_prefs_validation() -> None:
    team = make_team()
    client = team.member.client
    assert client.get(f"{API}/me/notifications").json() == {
        "assigned": True,
        "mentioned": True,
        "done": True,
        "due": True,
    }
    unknown = client.patch(f"{API}/me/notifications", {"birthdays": False})
    assert unknown.status_code == 400
    assert code(unknown) == "kanban.invalid"
    bad = client.patch(f"{API}/me/notifications", {"due": "sometimes"})
    assert bad.status_code == 400
    assert "error" in bad.json()
    assert client.patch(f"{API}/me/notifications", {"due": False}).json()["due"] is False
    assert team.owner.client.get(f"{API}/me/notifications").json()["due"] is True  # per user


def test_mention_parsing() -> None:
    assert notifications.mentioned_usernames("hi @ana, and @Bo_b. mail a@b.com @xy") == {"ana", "bo_b.", "bo_b"}


def test_watch_and_notification_endpoints_are_documented_with_their_errors() -> None:
    from drf_spectacular.generators import SchemaGenerator

    from apps.kanban.api import urls_notify

    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]  # type: ignore[no-untyped-call]
    for pattern in urls_notify.urlpatterns:
        route = "/api/v2/kanban/" + str(pattern.pattern).replace("<uuid:", "{").replace(">", "}")
        for method, operation in paths[route].items():
            responses = set(operation["responses"])
            assert operation["operationId"].startswith("kanban_"), (route, method)
            assert {"401", "403"} <= responses, (route, method)
            assert "me/" in route or "404" in responses, (route, method)
            if method == "patch":
                assert "400" in responses
