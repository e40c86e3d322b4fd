"""The upload interface, in-process and over the signed RPC endpoint, against the real S3 server."""

from __future__ import annotations

import hashlib
import io
import struct
import uuid

import pytest
from PIL import Image

from apps.upload.services import (
    FileData,
    FileTooLargeError,
    ImageTooLargeError,
    InvalidImageError,
    InvalidPurposeError,
    QuotaExceededError,
    UnsupportedFileTypeError,
    UploadNotFoundError,
    upload_service,
)
from gau import blobs
from gau.rpc.testing import transport_modes
from tests.support.images import image_bytes, png_bomb_header

pytestmark = pytest.mark.django_db


mode = transport_modes("upload")


def test_create_avatar_returns_metadata_and_public_url(mode, s3, owner_id) -> None:
    data = image_bytes("PNG", (30, 20))
    created = upload_service.create_file(owner_id=owner_id, purpose="avatar", filename="../../me.png", data=data)
    assert isinstance(created, FileData)
    assert (created.content_type, created.width, created.height, created.size) == ("image/png", 30, 20, len(data))
    assert created.sha256 == hashlib.sha256(data).hexdigest()
    assert created.filename == "me.png"
    key = created.url.rsplit("/", 1)[1]
    assert created.url == f"http://testserver/images/{key}"
    assert blobs.object_key(key) in s3.keys("objects/")
    assert upload_service.get_file(file_id=created.id) == created
    assert upload_service.is_owner(file_id=created.id, owner_id=owner_id) is True
    assert upload_service.is_owner(file_id=created.id, owner_id=uuid.uuid4()) is False
    if mode is not None:
        assert "/internal/rpc/upload/create_file/" in mode.calls


def test_private_purpose_gets_signed_expiring_url(mode, owner_id) -> None:
    created = upload_service.create_file(owner_id=owner_id, purpose="attachment", filename="notes.txt", data=b"hello")
    assert created.content_type == "text/plain"
    assert "sig=" in created.url
    assert "exp=" in created.url


def test_type_comes_from_content_not_name(mode, owner_id) -> None:
    with pytest.raises(UnsupportedFileTypeError) as err:
        upload_service.create_file(owner_id=owner_id, purpose="image", filename="x.png", data=b"<svg onload=alert(1)>")
    assert err.value.extra["content_type"] == "image/svg+xml"
    jpeg = upload_service.create_file(owner_id=owner_id, purpose="image", filename="x.gif", data=image_bytes("JPEG"))
    assert jpeg.content_type == "image/jpeg"


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (image_bytes("JPEG", (64, 64))[:300], InvalidImageError),
        (image_bytes("PNG", (64, 64))[:-20], InvalidImageError),
        (b"\x89PNG\r\n\x1a\n" + b"garbage" * 20, InvalidImageError),
        (png_bomb_header(), ImageTooLargeError),
    ],
    ids=["truncated-jpeg", "truncated-png", "corrupt-png", "bomb"],
)
def test_bad_images_are_refused(mode, owner_id, data, error) -> None:
    with pytest.raises(error):
        upload_service.create_file(owner_id=owner_id, purpose="avatar", filename="a.png", data=data)


def test_gps_is_stripped_from_stored_images(owner_id, s3) -> None:
    data = image_bytes("JPEG", (40, 30), gps=True, orientation=6)
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(0x8825)
    created = upload_service.create_file(owner_id=owner_id, purpose="image", filename="trip.jpg", data=data)
    key = created.url.rsplit("/", 1)[1]
    stored = blobs.read_bytes(blobs.object_key(key))
    assert stored is not None
    exif = Image.open(io.BytesIO(stored)).getexif()
    assert not exif.get_ifd(0x8825)
    assert exif.get(0x0112) == 6  # orientation kept
    assert (created.width, created.height) == (30, 40)  # displayed size
    assert created.sha256 == hashlib.sha256(stored).hexdigest()
    # The image data itself is untouched (lossless metadata edit).
    assert Image.open(io.BytesIO(stored)).tobytes() == Image.open(io.BytesIO(data)).tobytes()


def test_identical_content_is_stored_once_and_survives_one_delete(mode, owner_id, s3) -> None:
    data = image_bytes("PNG", (10, 10), color="green")
    first = upload_service.create_file(owner_id=owner_id, purpose="image", filename="a.png", data=data)
    second = upload_service.create_file(owner_id=owner_id, purpose="image", filename="b.png", data=data)
    assert first.id != second.id
    assert first.url == second.url
    key = first.url.rsplit("/", 1)[1]
    upload_service.delete_file(file_id=first.id, owner_id=owner_id)
    assert blobs.object_key(key) in s3.keys("objects/")
    upload_service.delete_file(file_id=second.id, owner_id=owner_id)
    assert blobs.object_key(key) not in s3.keys("objects/")


def test_same_bytes_private_and_public_never_share_a_key(owner_id) -> None:
    data = image_bytes("PNG", (10, 10), color="blue")
    public = upload_service.create_file(owner_id=owner_id, purpose="image", filename="a.png", data=data)
    private = upload_service.create_file(owner_id=owner_id, purpose="file", filename="a.png", data=data)
    assert public.url.split("?")[0] != private.url.split("?")[0]


def test_delete_by_stranger_is_not_found(mode, owner_id) -> None:
    created = upload_service.create_file(owner_id=owner_id, purpose="file", filename="a.bin", data=b"\x00\x01")
    with pytest.raises(UploadNotFoundError):
        upload_service.delete_file(file_id=created.id, owner_id=uuid.uuid4())
    assert upload_service.get_file(file_id=created.id) is not None


def test_limits_and_quota(mode, owner_id, settings) -> None:
    settings.UPLOAD_SIZE_LIMITS = {"attachment": 10}
    settings.UPLOAD_QUOTA_BYTES = 25
    with pytest.raises(FileTooLargeError) as big:
        upload_service.create_file(owner_id=owner_id, purpose="attachment", filename="a", data=b"x" * 11)
    assert big.value.extra["limit"] == 10
    upload_service.create_file(owner_id=owner_id, purpose="file", filename="a", data=b"a" * 20)
    with pytest.raises(QuotaExceededError) as quota:
        upload_service.create_file(owner_id=owner_id, purpose="file", filename="b", data=b"b" * 6)
    assert quota.value.extra["remaining"] == 5
    # The same content again costs nothing.
    upload_service.create_file(owner_id=owner_id, purpose="file", filename="c", data=b"a" * 20)


def test_unknown_purpose(mode, owner_id) -> None:
    with pytest.raises(InvalidPurposeError):
        upload_service.create_file(owner_id=owner_id, purpose="../etc", filename="a", data=b"x")


def test_delete_user_files(mode, owner_id, s3) -> None:
    for i in range(3):
        upload_service.create_file(owner_id=owner_id, purpose="file", filename=f"{i}", data=f"data{i}".encode())
    other = upload_service.create_file(owner_id=uuid.uuid4(), purpose="file", filename="x", data=b"data0")
    assert upload_service.delete_user_files(owner_id=owner_id) == 3
    assert upload_service.get_file(file_id=other.id) is not None
    assert upload_service.delete_user_files(owner_id=owner_id) == 0


def test_get_object_is_what_the_cdn_sees(mode, owner_id) -> None:
    created = upload_service.create_file(owner_id=owner_id, purpose="avatar", filename="a.png", data=image_bytes("PNG"))
    key = created.url.rsplit("/", 1)[1]
    found = upload_service.get_object(key=key)
    assert found is not None
    assert (found.key, found.public, found.sha256, found.size) == (key, True, created.sha256, created.size)
    assert found.path == blobs.object_key(key)
    assert upload_service.get_object(key="0" * 64) is None


def _jpeg_with_unwritable_exif(*, gps: bool) -> bytes:
    """A JPEG whose EXIF declares XResolution as ASCII (Pillow reads it, but cannot write it back),
    plus XMP (and GPS), like Pillow's Tests/images/invalid-exif-without-x-resolution.jpg."""
    gps_entry = struct.pack(">HHII", 0x8825, 4, 1, 8 + 2 + 12 * 2 + 4) if gps else b""
    entries = struct.pack(">HHI4s", 0x011A, 2, 4, b"ab\x00\x00") + gps_entry
    count = 2 if gps else 1
    ifd0 = struct.pack(">H", count) + entries + struct.pack(">I", 0)
    gps_ifd = struct.pack(">H", 1) + struct.pack(">HHI4s", 1, 2, 2, b"N\x00\x00\x00") + struct.pack(">I", 0)
    tiff = b"MM\x00*" + struct.pack(">I", 8) + ifd0 + (gps_ifd if gps else b"")
    buf = io.BytesIO()
    Image.new("RGB", (24, 16), "navy").save(
        buf, format="JPEG", exif=b"Exif\x00\x00" + tiff, xmp=b"<x:xmpmeta xmlns:x='adobe:ns:meta/'/>"
    )
    return buf.getvalue()


@pytest.mark.parametrize("gps", [False, True])
def test_unwritable_exif_with_xmp_is_stored_stripped_not_a_500(owner_id, s3, gps) -> None:
    """Issue 12, finding 7: re-serialising invalid EXIF raised outside the error handling."""
    data = _jpeg_with_unwritable_exif(gps=gps)
    source = Image.open(io.BytesIO(data))
    assert "xmp" in source.info
    assert bool(source.getexif().get_ifd(0x8825)) is gps
    created = upload_service.create_file(owner_id=owner_id, purpose="image", filename="odd.jpg", data=data)
    stored = blobs.read_bytes(blobs.object_key(created.url.rsplit("/", 1)[1]))
    assert stored is not None
    kept = Image.open(io.BytesIO(stored))
    assert "xmp" not in kept.info
    assert not kept.getexif().get_ifd(0x8825)
    assert (created.width, created.height) == (24, 16)
    assert kept.tobytes() == source.tobytes()
