"""The upload REST API against the real S3 server."""

from __future__ import annotations

import io
import uuid

import pytest

from apps.authz.services import PrincipalData
from apps.upload.services import upload_service
from gau import blobs
from tests.support.images import image_bytes

pytestmark = pytest.mark.django_db


def upload(
    client,
    data: bytes,
    *,
    name: str = "f.bin",
    purpose: str | None = "file",
    content_type: str = "application/octet-stream",
    query: str = "",
):
    fh = io.BytesIO(data)
    fh.name = name
    form: dict[str, object] = {"file": fh}
    if purpose:
        form["purpose"] = purpose
    return client.post(f"/api/v2/upload/files{query}", form, format="multipart")


def test_unauthenticated_is_401_in_error_shape(api_client) -> None:
    response = api_client.get("/api/v2/upload/files")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
    assert upload(api_client, b"x").status_code == 401


def test_upload_image_then_read_list_delete(user_client, s3) -> None:
    data = image_bytes("PNG", (120, 80))
    response = upload(user_client, data, name="C:\\evil\\..\\pic.png", purpose="image")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["content_type"], body["width"], body["height"], body["size"]) == ("image/png", 120, 80, len(data))
    assert body["filename"] == "pic.png"
    assert body["url"].startswith("http://testserver/images/")
    key = body["url"].rsplit("/", 1)[1]
    assert blobs.object_key(key) in s3.keys("objects/")
    assert not s3.keys("staging/")

    assert user_client.get(f"/api/v2/upload/files/{body['id']}").json() == body
    listing = user_client.get("/api/v2/upload/files").json()
    assert [f["id"] for f in listing["results"]] == [body["id"]]
    assert user_client.get("/api/v2/upload/files?purpose=avatar").json()["results"] == []

    assert user_client.delete(f"/api/v2/upload/files/{body['id']}").status_code == 204
    assert user_client.get(f"/api/v2/upload/files/{body['id']}").status_code == 404
    assert blobs.object_key(key) not in s3.keys("objects/")


def test_large_file_streams_through_multipart_staging(user_client, s3) -> None:
    data = bytes(range(256)) * (4 * 20 * 1024)  # 20 MiB: three multipart parts
    response = upload(user_client, data, name="big.bin", purpose="file")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["size"] == len(data)
    assert body["content_type"] == "application/octet-stream"
    assert "sig=" in body["url"]
    assert not s3.keys("staging/")
    key = body["url"].split("/images/")[1].split("?")[0]
    meta = upload_service.get_object(key=key)
    assert meta is not None
    assert meta.path.startswith("objects/s/")
    stored = blobs.stat(meta.path)
    assert stored is not None
    assert stored.size == len(data)


def test_lying_content_type_and_name_lose_to_sniffing(user_client) -> None:
    html = b"<!DOCTYPE html><script>alert(1)</script>"
    response = upload(user_client, html, name="cat.png", purpose="image", content_type="image/png")
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "upload.unsupported_type"
    assert response.json()["error"]["details"]["content_type"] == "text/html"


def test_corrupt_image_is_400(user_client) -> None:
    response = upload(user_client, image_bytes("JPEG", (64, 64))[:200], name="a.jpg", purpose="avatar")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "upload.invalid_image"


def test_size_limit_is_413_with_the_limit(user_client, settings, s3) -> None:
    settings.UPLOAD_SIZE_LIMITS = {"attachment": 1000}
    response = upload(user_client, b"a" * 5000, purpose="attachment")
    assert response.status_code == 413
    error = response.json()["error"]
    assert error["code"] == "upload.file_too_large"
    assert error["details"]["limit"] == 1000
    assert "1000" in error["message"]
    # Known from the query string: refused from Content-Length, before reading the body.
    response = upload(user_client, b"a" * (200 * 1024), purpose=None, query="?purpose=attachment")
    assert response.status_code == 413
    assert not s3.keys("staging/")


def test_quota_is_413_with_remaining_space(user_client, settings) -> None:
    settings.UPLOAD_QUOTA_BYTES = 3000
    assert upload(user_client, b"a" * 2000).status_code == 201
    assert user_client.get("/api/v2/upload/quota").json() == {"quota": 3000, "used": 2000, "remaining": 1000}
    response = upload(user_client, b"b" * 1500)
    assert response.status_code == 413
    error = response.json()["error"]
    assert error["code"] == "upload.quota_exceeded"
    assert error["details"]["remaining"] == 1000


def test_strangers_cannot_read_list_or_delete(user_client, api_client, owner_id) -> None:
    created = upload(user_client, b"secret", purpose="attachment").json()
    from rest_framework.test import APIClient

    stranger = APIClient()
    stranger.force_authenticate(user=PrincipalData(user_id=uuid.uuid4(), kind="user"))  # type: ignore[arg-type]
    assert stranger.get(f"/api/v2/upload/files/{created['id']}").status_code == 404
    assert stranger.delete(f"/api/v2/upload/files/{created['id']}").status_code == 404
    assert stranger.get("/api/v2/upload/files").json()["results"] == []
    assert user_client.get(f"/api/v2/upload/files/{created['id']}").status_code == 200


def test_api_key_without_upload_scope_is_403(api_client) -> None:
    api_client.force_authenticate(
        user=PrincipalData(user_id=uuid.uuid4(), kind="api_key", scopes=frozenset({"kanban:read"}))
    )
    assert api_client.get("/api/v2/upload/files").status_code == 403


def test_missing_file_field_is_400(user_client) -> None:
    response = user_client.post("/api/v2/upload/files", {"purpose": "file"}, format="multipart")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_input"


def test_cursor_pagination(user_client) -> None:
    for i in range(5):
        upload(user_client, f"file {i}".encode())
    first = user_client.get("/api/v2/upload/files?page_size=2").json()
    assert len(first["results"]) == 2
    second = user_client.get(first["next"]).json()
    assert len(second["results"]) == 2
    assert not {f["id"] for f in first["results"]} & {f["id"] for f in second["results"]}


def test_real_bearer_tokens_owner_and_stranger(api_client) -> None:
    from apps.authz.services import authz_service

    owner = authz_service.issue_tokens(user_id=uuid.uuid4()).access_token
    other = authz_service.issue_tokens(user_id=uuid.uuid4()).access_token
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {owner}")
    created = upload(api_client, b"private notes", purpose="attachment").json()
    assert api_client.get(f"/api/v2/upload/files/{created['id']}").status_code == 200
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {other}")
    assert api_client.get(f"/api/v2/upload/files/{created['id']}").status_code == 404
    assert api_client.delete(f"/api/v2/upload/files/{created['id']}").status_code == 404
    assert api_client.get("/api/v2/upload/files").json()["results"] == []
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    assert api_client.get("/api/v2/upload/files").status_code == 401


def test_storage_outage_is_503_not_500(user_client, settings) -> None:
    from django.test.utils import override_settings

    dead = {
        **settings.STORAGES,
        "default": {
            **settings.STORAGES["default"],
            "OPTIONS": {**settings.STORAGES["default"]["OPTIONS"], "endpoint_url": "http://127.0.0.1:9"},
        },
    }
    with override_settings(STORAGES=dead):
        response = upload(user_client, b"some bytes", purpose="file")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json()["error"]["code"] == "storage_unavailable"


@pytest.mark.parametrize("query", ["purpose=", "purpose=nope", "purpose=%20"])
def test_list_filter_must_be_a_purpose(user_client, query) -> None:
    """Found by the schema fuzzer: ``?purpose=`` was read as "no filter" (200)."""
    response = user_client.get(f"/api/v2/upload/files?{query}")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_input"
    assert "purpose" in response.json()["error"]["details"]["fields"]
