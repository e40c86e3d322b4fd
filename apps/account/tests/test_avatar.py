"""POST me/avatar stores the image through the upload app (real S3 server) and returns its URL."""

from __future__ import annotations

import io

from PIL import Image

from apps.upload.services import upload_service


def _png(color: str = "red") -> io.BytesIO:
    buf = io.BytesIO()
    Image.new("RGB", (32, 32), color).save(buf, format="PNG")
    buf.seek(0)
    buf.name = "me.png"
    return buf


def test_avatar_upload_and_replace(make_user, as_principal, s3) -> None:
    user = make_user()
    client = as_principal(user)
    response = client.post("/api/v2/account/me/avatar", {"file": _png()}, format="multipart")
    assert response.status_code == 200, response.json()
    url = response.json()["avatar_url"]
    assert url
    user.refresh_from_db()
    first = user.avatar_file_id
    assert first is not None
    file = upload_service.get_file(file_id=first)
    assert file is not None
    assert file.owner_id == user.id
    assert file.purpose == "avatar"
    assert client.get("/api/v2/account/me").json()["avatar_url"] == file.url

    response = client.post("/api/v2/account/me/avatar", {"file": _png("blue")}, format="multipart")
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.avatar_file_id != first
    assert upload_service.get_file(file_id=first) is None  # the old avatar was deleted


def test_avatar_rejects_non_images(make_user, as_principal, s3) -> None:
    client = as_principal(make_user())
    bad = io.BytesIO(b"#!/bin/sh\necho not an image\n")
    bad.name = "me.png"
    response = client.post("/api/v2/account/me/avatar", {"file": bad}, format="multipart")
    assert response.status_code == 415  # the upload app sniffs the bytes, not the name
    assert "error" in response.json()
    assert client.post("/api/v2/account/me/avatar", {}, format="multipart").status_code == 400


def test_avatar_needs_write_scope(make_user, as_principal, s3) -> None:
    client = as_principal(make_user(), scopes=frozenset({"account:read"}))
    response = client.post("/api/v2/account/me/avatar", {"file": _png()}, format="multipart")
    assert response.status_code == 403


def test_export_and_delete_reach_the_upload_app(
    make_user, as_principal, s3, django_capture_on_commit_callbacks
) -> None:
    user = make_user()
    client = as_principal(user)
    assert client.post("/api/v2/account/me/avatar", {"file": _png()}, format="multipart").status_code == 200
    user.refresh_from_db()
    file_id = user.avatar_file_id
    exported = client.get("/api/v2/account/me/export").json()
    assert exported["upload"]["avatar"]["id"] == str(file_id)
    assert exported["account"]["email"] == user.email
    assert "password" not in str(exported)
    # The apps are called once the deletion is committed (this test runs inside a transaction).
    with django_capture_on_commit_callbacks(execute=True):
        assert client.delete("/api/v2/account/me").status_code == 204
    assert upload_service.get_file(file_id=file_id) is None  # the upload app deleted the user's files
    user.refresh_from_db()
    assert user.is_active is False
    assert user.avatar_file_id is None
