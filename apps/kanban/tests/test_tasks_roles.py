"""The role matrix for every endpoint of the task part: viewers read, members write, strangers get 404 for
every id exactly as for a missing one, viewers 403 on writes; API keys by scope; no credentials 401."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from rest_framework.test import APIClient

from apps.kanban.models import Attachment, ChecklistItem, Comment
from apps.kanban.tests.factories import API, Actor, Team, api_key_client, code, make_task, make_team
from apps.upload.services import upload_service

pytestmark = pytest.mark.django_db

ROLES = ["viewer", "member", "admin", "owner"]
RANK = {r: i for i, r in enumerate(ROLES)}


@dataclass(frozen=True)
class Endpoint:
    """``build(team, actor)`` makes fresh target rows and returns (url, body); ``ok`` is the success status."""

    name: str
    method: str
    build: Callable[[Team, Actor], tuple[str, dict[str, Any] | None]]
    min_role: str
    ok: int = 200

    def call(self, client: Any, url: str, body: dict[str, Any] | None) -> Any:
        return getattr(client, self.method)(url, body) if body is not None else getattr(client, self.method)(url)


def _task(team: Team) -> Any:
    return make_task(team.todo, "target")


def _item(team: Team) -> ChecklistItem:
    return ChecklistItem.objects.create(task=_task(team), title="item", position="i1")


def _comment(team: Team, author: Actor) -> Comment:
    return Comment.objects.create(task=_task(team), author_id=author.user_id, body="hello")


def _attachment(team: Team) -> Attachment:
    return Attachment.objects.create(
        task=_task(team), file_id=uuid.uuid4(), filename="a.txt", content_type="text/plain", size=1
    )


def _file(actor: Actor) -> str:
    return str(upload_service.create_file(owner_id=actor.user_id, purpose="attachment", filename="a.txt", data=b"x").id)


ENDPOINTS = [
    Endpoint("board read", "get", lambda t, a: (f"{API}/boards/{t.board.id}", None), "viewer"),
    Endpoint("task list", "get", lambda t, a: (f"{API}/boards/{t.board.id}/tasks", None), "viewer"),
    Endpoint(
        "task create",
        "post",
        lambda t, a: (f"{API}/boards/{t.board.id}/tasks", {"column_id": str(t.todo.id), "title": "x"}),
        "member",
        201,
    ),
    Endpoint("board activity", "get", lambda t, a: (f"{API}/boards/{t.board.id}/activity", None), "viewer"),
    Endpoint("task read", "get", lambda t, a: (f"{API}/tasks/{_task(t).id}", None), "viewer"),
    Endpoint("task update", "patch", lambda t, a: (f"{API}/tasks/{_task(t).id}", {"title": "y"}), "member"),
    Endpoint("task delete", "delete", lambda t, a: (f"{API}/tasks/{_task(t).id}", None), "member", 204),
    Endpoint(
        "task move",
        "post",
        lambda t, a: (f"{API}/tasks/{_task(t).id}/move", {"column_id": str(t.doing.id)}),
        "member",
    ),
    Endpoint("task activity", "get", lambda t, a: (f"{API}/tasks/{_task(t).id}/activity", None), "viewer"),
    Endpoint(
        "checklist create", "post", lambda t, a: (f"{API}/tasks/{_task(t).id}/checklist", {"title": "c"}), "member", 201
    ),
    Endpoint(
        "checklist update", "patch", lambda t, a: (f"{API}/checklist-items/{_item(t).id}", {"done": True}), "member"
    ),
    Endpoint("checklist delete", "delete", lambda t, a: (f"{API}/checklist-items/{_item(t).id}", None), "member", 204),
    Endpoint("comment list", "get", lambda t, a: (f"{API}/tasks/{_task(t).id}/comments", None), "viewer"),
    Endpoint(
        "comment create", "post", lambda t, a: (f"{API}/tasks/{_task(t).id}/comments", {"body": "b"}), "member", 201
    ),
    Endpoint("comment update", "patch", lambda t, a: (f"{API}/comments/{_comment(t, a).id}", {"body": "e"}), "member"),
    Endpoint("comment delete", "delete", lambda t, a: (f"{API}/comments/{_comment(t, a).id}", None), "member", 204),
    Endpoint("attachment list", "get", lambda t, a: (f"{API}/tasks/{_task(t).id}/attachments", None), "viewer"),
    Endpoint(
        "attachment create",
        "post",
        lambda t, a: (f"{API}/tasks/{_task(t).id}/attachments", {"file_id": _file(a)}),
        "member",
        201,
    ),
    Endpoint(
        "attachment delete", "delete", lambda t, a: (f"{API}/attachments/{_attachment(t).id}", None), "member", 204
    ),
]


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.name)
def test_role_matrix(endpoint: Endpoint) -> None:
    team = make_team()
    for role, who in team.by_role().items():
        url, body = endpoint.build(team, who)
        response = endpoint.call(who.client, url, body)
        if role == "stranger":
            expected = 404
        elif RANK[role] >= RANK[endpoint.min_role]:
            expected = endpoint.ok
        else:
            expected = 403
        assert response.status_code == expected, (endpoint.name, role, response.content)
        if expected == 404:
            assert code(response) == "kanban.not_found"
        if expected == 403:
            assert code(response) == "kanban.role_required"


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.name)
def test_missing_ids_answer_like_a_strangers_and_anonymous_is_401(endpoint: Endpoint) -> None:
    team = make_team()
    url, body = endpoint.build(team, team.member)
    stranger = endpoint.call(team.stranger.client, url, body)
    # replace the first id in the path with one that does not exist
    parts = url.split("/")
    index = next(i for i, p in enumerate(parts) if len(p) == 36 and p.count("-") == 4)
    parts[index] = str(uuid.uuid4())
    missing = endpoint.call(team.member.client, "/".join(parts), body)
    assert missing.status_code == stranger.status_code == 404
    assert missing.json() == stranger.json()
    anonymous = endpoint.call(APIClient(), url, body)
    assert anonymous.status_code == 401


def test_api_key_scopes() -> None:
    team = make_team()
    reader = api_key_client(team.member.user_id, "kanban:read")
    assert reader.get(f"{API}/boards/{team.board.id}").status_code == 200
    task = make_task(team.todo)
    assert reader.get(f"{API}/tasks/{task.id}").status_code == 200
    refused = reader.post(f"{API}/boards/{team.board.id}/tasks", {"column_id": str(team.todo.id), "title": "x"})
    assert refused.status_code == 403
    assert reader.patch(f"{API}/tasks/{task.id}", {"title": "x"}).status_code == 403
    writer = api_key_client(team.member.user_id, "kanban:read", "kanban:write")
    created = writer.post(f"{API}/boards/{team.board.id}/tasks", {"column_id": str(team.todo.id), "title": "x"})
    assert created.status_code == 201
    other_app = api_key_client(team.member.user_id, "upload:read")
    assert other_app.get(f"{API}/boards/{team.board.id}").status_code == 403
    # the key acts for its user: the user's project role still applies
    viewer_writer = api_key_client(team.viewer.user_id, "kanban:write", "kanban:read")
    denied = viewer_writer.post(f"{API}/boards/{team.board.id}/tasks", {"column_id": str(team.todo.id), "title": "x"})
    assert denied.status_code == 403
    assert code(denied) == "kanban.role_required"
