"""The same upload and delivery paths on local disk (FileSystemStorage) instead of S3."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.test import Client
from django.test.utils import override_settings
from PIL import Image

from apps.upload.services import upload_service
from gau import blobs
from tests.support.images import image_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def disk(tmp_path: Path, settings):
    storages = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}
    with override_settings(STORAGES=storages, MEDIA_ROOT=str(tmp_path)):
        yield tmp_path


def test_stream_writer_and_ranges_on_disk(disk) -> None:
    writer = blobs.StreamWriter("objects/s/abc", hashing=True)
    for _ in range(3):
        writer.write(b"x" * 1000)
    writer.complete()
    assert (disk / "objects/s/abc").stat().st_size == 3000
    assert b"".join(blobs.iter_range("objects/s/abc", 10, 19)) == b"x" * 10
    assert blobs.stat("objects/s/abc") is not None
    blobs.delete("objects/s/abc")
    assert blobs.stat("objects/s/abc") is None


def test_upload_variant_and_delete_on_disk(disk, owner_id) -> None:
    created = upload_service.create_file(
        owner_id=owner_id, purpose="image", filename="a.png", data=image_bytes("PNG", (200, 100))
    )
    key = created.url.rsplit("/", 1)[1]
    assert (disk / blobs.object_key(key)).exists()
    response = Client().get(f"/images/{key}?w=100&format=webp")
    assert response.status_code == 200
    assert Image.open(io.BytesIO(response.content)).size == (100, 50)
    upload_service.delete_file(file_id=created.id, owner_id=owner_id)
    assert not (disk / blobs.object_key(key)).exists()
