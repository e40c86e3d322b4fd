"""tus 1.0 protocol (core, creation, termination, checksum) through the Django test client."""

from __future__ import annotations

import base64
import hashlib
import uuid
from typing import Any

import pytest
from rest_framework.test import APIClient

from apps.authz.services import PrincipalData
from gau import blobs

pytestmark = pytest.mark.django_db
TUS = {"HTTP_TUS_RESUMABLE": "1.0.0"}


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def create(client, length: int, purpose: str = "file", filename: str = "movie.bin") -> str:
    response = client.post(
        "/api/v2/upload/tus/",
        HTTP_UPLOAD_LENGTH=str(length),
        HTTP_UPLOAD_METADATA=f"filename {b64(filename)},purpose {b64(purpose)}",
        **TUS,
    )
    assert response.status_code == 201, response.content
    assert response["Tus-Resumable"] == "1.0.0"
    return str(response["Location"]).removeprefix("http://testserver")


def patch(client, url: str, offset: int, body: bytes, **extra):
    return client.generic(
        "PATCH",
        url,
        data=body,
        content_type="application/offset+octet-stream",
        HTTP_UPLOAD_OFFSET=str(offset),
        **TUS,
        **extra,
    )


def test_options_advertises_extensions(user_client) -> None:
    response = user_client.options("/api/v2/upload/tus/")
    assert response.status_code == 204
    assert response["Tus-Version"] == "1.0.0"
    assert set(response["Tus-Extension"].split(",")) == {"creation", "termination", "checksum"}
    assert "sha1" in response["Tus-Checksum-Algorithm"]


def test_upload_in_chunks_with_checksums(user_client, s3) -> None:
    data = b"0123456789" * 1000
    url = create(user_client, len(data))
    head = user_client.head(url, **TUS)
    assert (head["Upload-Offset"], head["Upload-Length"]) == ("0", str(len(data)))
    first = patch(
        user_client,
        url,
        0,
        data[:4000],
        HTTP_UPLOAD_CHECKSUM="sha1 "
        + base64.b64encode(hashlib.sha1(data[:4000], usedforsecurity=False).digest()).decode(),
    )
    assert first.status_code == 204
    assert first["Upload-Offset"] == "4000"
    conflict = patch(user_client, url, 0, data[:10])
    assert conflict.status_code == 409
    bad = patch(
        user_client, url, 4000, data[4000:5000], HTTP_UPLOAD_CHECKSUM="sha256 " + base64.b64encode(b"x" * 32).decode()
    )
    assert bad.status_code == 460
    assert user_client.head(url, **TUS)["Upload-Offset"] == "4000"
    last = patch(user_client, url, 4000, data[4000:])
    assert last.status_code == 204
    file_id = last["Gau-File-Id"]
    body = user_client.get(f"/api/v2/upload/files/{file_id}").json()
    assert body["size"] == len(data)
    assert body["sha256"] == hashlib.sha256(data).hexdigest()
    assert body["filename"] == "movie.bin"
    assert not s3.keys("tus/")
    assert not s3.keys("staging/")
    assert user_client.head(url, **TUS).status_code == 404


def test_termination_and_strangers(user_client, s3) -> None:
    url = create(user_client, 100)
    assert patch(user_client, url, 0, b"a" * 50).status_code == 204
    stranger: Any = APIClient()
    stranger.force_authenticate(user=PrincipalData(user_id=uuid.uuid4(), kind="user"))
    assert stranger.head(url, **TUS).status_code == 404
    assert patch(stranger, url, 50, b"b").status_code == 404
    assert stranger.delete(url, **TUS).status_code == 404
    assert user_client.delete(url, **TUS).status_code == 204
    assert user_client.head(url, **TUS).status_code == 404
    assert not [k for k in s3.keys("tus/") if url.rsplit("/", 1)[1] in k]


def test_protocol_errors(user_client, settings) -> None:
    assert user_client.post("/api/v2/upload/tus/", HTTP_UPLOAD_LENGTH="10").status_code == 412
    settings.UPLOAD_SIZE_LIMITS = {"file": 100}
    too_big = user_client.post(
        "/api/v2/upload/tus/", HTTP_UPLOAD_LENGTH="1000", HTTP_UPLOAD_METADATA=f"purpose {b64('file')}", **TUS
    )
    assert too_big.status_code == 413
    url = create(user_client, 10)
    assert patch(user_client, url, 0, b"x" * 11).status_code == 413
    wrong_type = user_client.generic("PATCH", url, data=b"x", content_type="text/plain", HTTP_UPLOAD_OFFSET="0", **TUS)
    assert wrong_type.status_code == 415


def test_tus_image_is_validated_like_a_direct_upload(user_client) -> None:
    data = b"<html>not an image</html>"
    url = create(user_client, len(data), purpose="image", filename="x.png")
    response = patch(user_client, url, 0, data)
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "upload.unsupported_type"
    assert blobs.stat("nothing") is None


def test_expired_uploads_are_purged_with_their_chunks(user_client, s3) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from apps.upload.models import TusUpload
    from apps.upload.tasks import purge_expired_tus_uploads

    url = create(user_client, 100)
    assert patch(user_client, url, 0, b"a" * 40).status_code == 204
    upload_id = url.rsplit("/", 1)[1]
    assert [k for k in s3.keys("tus/") if upload_id in k]
    TusUpload.objects.filter(id=upload_id).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert user_client.head(url, **TUS).status_code == 404
    assert purge_expired_tus_uploads() == 1
    assert not [k for k in s3.keys("tus/") if upload_id in k]
