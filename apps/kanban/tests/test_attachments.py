"""Attachments: a file the caller uploaded (checked through the upload interface), a fresh URL members can
open, shown as removed once the file is deleted in upload."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client

from apps.kanban.models import Activity, Attachment
from apps.kanban.tests.factories import API, Team, code, make_task, make_team
from apps.upload.services import upload_service

pytestmark = pytest.mark.django_db


@pytest.fixture
def team() -> Team:
    return make_team()


def upload(owner: uuid.UUID, data: bytes = b"meeting notes") -> Any:
    return upload_service.create_file(owner_id=owner, purpose="attachment", filename="notes.txt", data=data)


def open_url(url: str) -> Any:
    parts = urlsplit(url)
    return Client().get(parts.path + (f"?{parts.query}" if parts.query else ""))


def test_attach_open_list_and_removed_after_upload_deletes_it(team: Team) -> None:
    task = make_task(team.todo)
    file = upload(team.member.user_id)
    response = team.member.client.post(f"{API}/tasks/{task.id}/attachments", {"file_id": str(file.id)})
    assert response.status_code == 201, response.content
    body = response.json()
    assert {k: body[k] for k in ("file_id", "filename", "content_type", "size", "removed")} == {
        "file_id": str(file.id),
        "filename": "notes.txt",
        "content_type": "text/plain",
        "size": len(b"meeting notes"),
        "removed": False,
    }
    assert "sig=" in body["url"]
    opened = open_url(body["url"])  # any member (here: no credentials at all) can follow the signed URL
    assert opened.status_code == 200, opened.status_code
    assert b"".join(opened.streaming_content if opened.streaming else [opened.content]) == b"meeting notes"
    listed = team.viewer.client.get(f"{API}/tasks/{task.id}/attachments")
    assert listed.status_code == 200
    assert [a["id"] for a in listed.json()] == [body["id"]]
    assert listed.json()[0]["url"] is not None
    board = team.viewer.client.get(f"{API}/boards/{team.board.id}").json()
    assert board["columns"][0]["tasks"][0]["attachments"] == 1
    assert Activity.objects.filter(task_id=task.id, verb="attachment.added").count() == 1

    upload_service.delete_file(file_id=file.id, owner_id=team.member.user_id)
    after = team.viewer.client.get(f"{API}/tasks/{task.id}/attachments").json()
    assert after[0]["removed"] is True
    assert after[0]["url"] is None
    assert after[0]["filename"] == "notes.txt"


def test_someone_elses_or_a_missing_file_is_404(team: Team) -> None:
    task = make_task(team.todo)
    theirs = upload(team.admin.user_id)
    response = team.member.client.post(f"{API}/tasks/{task.id}/attachments", {"file_id": str(theirs.id)})
    assert response.status_code == 404
    assert code(response) == "kanban.not_found"
    missing = team.member.client.post(f"{API}/tasks/{task.id}/attachments", {"file_id": str(uuid.uuid4())})
    assert missing.status_code == 404
    assert team.member.client.post(f"{API}/tasks/{task.id}/attachments", {"file_id": "x"}).status_code == 400
    assert not Attachment.objects.exists()


def test_delete_attachment_keeps_the_file(team: Team) -> None:
    task = make_task(team.todo)
    file = upload(team.member.user_id)
    attachment = team.member.client.post(f"{API}/tasks/{task.id}/attachments", {"file_id": str(file.id)}).json()
    assert team.viewer.client.delete(f"{API}/attachments/{attachment['id']}").status_code == 403
    assert team.admin.client.delete(f"{API}/attachments/{attachment['id']}").status_code == 204
    assert team.admin.client.delete(f"{API}/attachments/{attachment['id']}").status_code == 404
    assert upload_service.get_file(file_id=file.id) is not None
    assert Activity.objects.filter(verb="attachment.removed").count() == 1
