"""The in-process implementation of :class:`UploadService`, plus the streaming entry point the API uses."""

from __future__ import annotations

import hashlib
import unicodedata
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction

from apps.upload import selectors
from apps.upload.images import check_image
from apps.upload.models import IMAGE_PURPOSES, PUBLIC_PURPOSES, File, Purpose
from apps.upload.services.dto import FileData, StoredObjectData
from apps.upload.services.errors import (
    FileTooLargeError,
    InvalidPurposeError,
    QuotaExceededError,
    UnsupportedFileTypeError,
    UploadNotFoundError,
)
from apps.upload.services.interface import UploadService
from apps.upload.sniff import RASTER_IMAGE_TYPES, sniff
from gau import blobs

MiB = 1024 * 1024
DEFAULT_LIMITS = {"avatar": 5 * MiB, "image": 20 * MiB, "attachment": 100 * MiB, "file": 5 * 1024 * MiB}
#: Private URLs are valid this long (rounded up to the quarter hour).
PRIVATE_URL_TTL = 3600


def size_limit(purpose: str) -> int:
    """Largest accepted file for ``purpose`` (bytes); ``UPLOAD_SIZE_LIMITS`` overrides the defaults."""
    return int({**DEFAULT_LIMITS, **getattr(settings, "UPLOAD_SIZE_LIMITS", {})}[purpose])


def quota() -> int:
    """Bytes each user may store (``UPLOAD_QUOTA_BYTES``, default 1 GiB)."""
    return int(getattr(settings, "UPLOAD_QUOTA_BYTES", 1024 * MiB))


def allowed_types(purpose: str) -> frozenset[str] | None:
    """Content types accepted for ``purpose``; None means any (served as a download, never inline)."""
    if purpose in IMAGE_PURPOSES:
        from PIL import features

        return RASTER_IMAGE_TYPES if features.check("avif") else RASTER_IMAGE_TYPES - {"image/avif"}
    return None


def validate_purpose(purpose: str) -> str:
    if purpose not in Purpose.values:
        raise InvalidPurposeError(purpose=purpose[:32])
    return purpose


object_path = blobs.object_key


def content_key(*, owner_id: uuid.UUID, public: bool, sha256: str) -> str:
    """Content address: per owner and visibility, so dedup never crosses users or makes private data public."""
    return hashlib.sha256(f"{owner_id}:{'public' if public else 'private'}:{sha256}".encode()).hexdigest()


def sanitize_filename(name: str) -> str:
    """Keep only a safe display name: no directories, control characters or absurd length."""
    name = unicodedata.normalize("NFC", name).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C" and ch not in '"<>|:*?')
    name = name.strip(" .")[:255]
    return name or "file"


def file_url(record: File) -> str:
    base = settings.PUBLIC_BASE_URL.rstrip("/")
    if record.is_public:
        return f"{base}/images/{record.key}"
    query = blobs.signed_query(record.key, {"name": record.filename}, expires_in=PRIVATE_URL_TTL)
    return f"{base}/images/{record.key}?{query}"


def file_data(record: File) -> FileData:
    """The DTO for a record (with a fresh URL)."""
    return FileData(
        id=record.id,
        owner_id=record.owner_id,
        purpose=record.purpose,
        filename=record.filename,
        content_type=record.content_type,
        size=record.size,
        sha256=record.sha256,
        width=record.width,
        height=record.height,
        url=file_url(record),
        created_at=record.created_at,
    )


@contextmanager
def owner_lock(owner_id: uuid.UUID) -> Iterator[None]:
    """Serialise one owner's quota checks and object writes/deletes (a transaction-scoped advisory lock)."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_advisory_xact_lock(%s)", [int.from_bytes(owner_id.bytes[:8], "big", signed=True)]
                )
        yield


@dataclass
class Received:
    """Bytes received for one upload: in memory (small images) or already streamed to an object."""

    size: int
    sha256: str
    head: bytes
    data: bytes | None = None
    blob: str | None = None

    def discard(self) -> None:
        """Delete the streamed object unless a record adopted it."""
        if self.blob:
            blobs.delete(self.blob)
            self.blob = None


def check_space(*, owner_id: uuid.UUID, purpose: str, size: int) -> None:
    """Raise if ``size`` bytes exceed the purpose's limit or the owner's remaining quota."""
    limit = size_limit(purpose)
    if size > limit:
        raise FileTooLargeError(
            f"The file is larger than {limit} bytes, the limit for {purpose}.", limit=limit, purpose=purpose
        )
    used = selectors.owner_usage(owner_id=owner_id)
    if used + size > quota():
        remaining = max(0, quota() - used)
        raise QuotaExceededError(
            f"This upload needs {size} bytes; {remaining} of your {quota()} bytes remain.",
            quota=quota(),
            used=used,
            remaining=remaining,
        )


def store_received(*, owner_id: uuid.UUID, purpose: str, filename: str, received: Received) -> FileData:
    """Validate what was received and record it.

    A streamed object stays where it was written and becomes the file's blob (no copy); identical content
    already stored for this owner and visibility is reused and the new object deleted.
    """
    try:
        validate_purpose(purpose)
        limit = size_limit(purpose)
        if received.size > limit:
            raise FileTooLargeError(
                f"The file is larger than {limit} bytes, the limit for {purpose}.", limit=limit, purpose=purpose
            )
        content_type = sniff(received.head)
        allowed = allowed_types(purpose)
        if allowed is not None and content_type not in allowed:
            raise UnsupportedFileTypeError(content_type=content_type, allowed=sorted(allowed))
        width = height = None
        data, sha, size = received.data, received.sha256, received.size
        if purpose in IMAGE_PURPOSES:
            if data is None:  # images are small enough to be held; a staged one is over every image limit
                raise FileTooLargeError(limit=limit, purpose=purpose)
            checked = check_image(data, content_type)
            width, height = checked.width, checked.height
            if checked.data is not data:
                data = checked.data
                sha, size = hashlib.sha256(data).hexdigest(), len(data)
        public = purpose in PUBLIC_PURPOSES
        key = content_key(owner_id=owner_id, public=public, sha256=sha)
        with owner_lock(owner_id):
            existing = selectors.file_for_key(key=key)
            if existing is not None:
                blob = existing.blob
            else:
                check_space(owner_id=owner_id, purpose=purpose, size=size)
                if received.blob:
                    blob, received.blob = received.blob, None
                else:
                    blob = object_path(key)
                    blobs.put_bytes(blob, data or b"", content_type)
            record = File.objects.create(
                owner_id=owner_id,
                purpose=purpose,
                filename=sanitize_filename(filename),
                content_type=content_type,
                size=size,
                sha256=sha,
                key=key,
                blob=blob,
                width=width,
                height=height,
            )
        return file_data(record)
    finally:
        received.discard()


def _purge_after_commit(key: str) -> None:
    from apps.cdn.services import cdn_service

    transaction.on_commit(lambda: cdn_service.purge_variants(key=key))


def delete_record(record: File) -> None:
    """Delete one record; its object (and CDN variants) go when no other record shares the content."""
    with owner_lock(record.owner_id):
        record.delete()
        if not selectors.key_in_use(key=record.key):
            blobs.delete(record.blob)
            _purge_after_commit(record.key)


class LocalUploadService(UploadService):
    """Implements the upload interface on this process's database and the default storage."""

    def create_file(self, *, owner_id: uuid.UUID, purpose: str, filename: str, data: bytes) -> FileData:
        validate_purpose(purpose)
        received = Received(size=len(data), sha256=hashlib.sha256(data).hexdigest(), head=data[:512], data=data)
        return store_received(owner_id=owner_id, purpose=purpose, filename=filename, received=received)

    def get_file(self, *, file_id: uuid.UUID) -> FileData | None:
        record = selectors.file_get(file_id=file_id)
        return file_data(record) if record else None

    def delete_file(self, *, file_id: uuid.UUID, owner_id: uuid.UUID) -> None:
        record = selectors.file_get_for_owner(file_id=file_id, owner_id=owner_id)
        if record is None:
            raise UploadNotFoundError()
        delete_record(record)

    def is_owner(self, *, file_id: uuid.UUID, owner_id: uuid.UUID) -> bool:
        return selectors.file_get_for_owner(file_id=file_id, owner_id=owner_id) is not None

    def delete_user_files(self, *, owner_id: uuid.UUID) -> int:
        count = 0
        for record in list(selectors.file_list(owner_id=owner_id)):
            delete_record(record)
            count += 1
        return count

    def get_object(self, *, key: str) -> StoredObjectData | None:
        record = selectors.file_for_key(key=key)
        if record is None:
            return None
        return StoredObjectData(
            key=record.key,
            path=record.blob,
            public=record.is_public,
            content_type=record.content_type,
            size=record.size,
            sha256=record.sha256,
            width=record.width,
            height=record.height,
            created_at=record.created_at,
        )
