"""tus 1.0 resumable uploads (core, creation, termination, checksum) on object storage.

Each PATCH streams its body into its own object ``tus/<id>/<offset>`` (multipart when large), so an
interrupted PATCH keeps the bytes that arrived and the client resumes at the stored offset from any
process. On the last byte the chunks are streamed once, in order, into the file's object while hashing,
and the result goes through the same validation and content addressing as a direct upload.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from apps.upload.models import IMAGE_PURPOSES, TusUpload
from apps.upload.services.dto import FileData
from apps.upload.services.errors import InvalidPurposeError
from apps.upload.services.local import Received, check_space, size_limit, store_received, validate_purpose
from apps.upload.sniff import HEAD_SIZE
from gau import blobs

VERSION = "1.0.0"
EXTENSIONS = "creation,termination,checksum"
CHECKSUM_ALGORITHMS = {"sha1": hashlib.sha1, "md5": hashlib.md5, "sha256": hashlib.sha256}
EXPIRY = timedelta(days=1)
READ_SIZE = 1024 * 1024


class ChecksumMismatch(Exception):
    """The PATCH body does not match its ``Upload-Checksum`` (tus status 460)."""


def parse_metadata(header: str) -> dict[str, str]:
    """``Upload-Metadata``: comma-separated ``key base64value`` pairs."""
    found: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in header.split(","))):
        key, _, value = item.partition(" ")
        try:
            found[key] = base64.b64decode(value, validate=True).decode("utf-8") if value else ""
        except (binascii.Error, UnicodeDecodeError):
            raise InvalidPurposeError("Upload-Metadata is not valid base64.") from None
    return found


def create(*, owner_id: uuid.UUID, length: int, metadata: dict[str, str]) -> TusUpload:
    """Start an upload of ``length`` bytes (limits and quota checked now, again at the end)."""
    purpose = validate_purpose(metadata.get("purpose") or "file")
    check_space(owner_id=owner_id, purpose=purpose, size=length)
    return TusUpload.objects.create(
        owner_id=owner_id,
        purpose=purpose,
        filename=metadata.get("filename") or metadata.get("name") or "file",
        length=length,
        expires_at=timezone.now() + EXPIRY,
    )


def get_for_owner(*, upload_id: uuid.UUID, owner_id: uuid.UUID) -> TusUpload | None:
    return TusUpload.objects.filter(id=upload_id, owner_id=owner_id, expires_at__gt=timezone.now()).first()


def append(
    upload: TusUpload, read: Callable[[int], bytes], *, declared: int | None, checksum: tuple[str, str] | None
) -> None:
    """Stream a PATCH body to storage and advance the offset by what arrived (also when cut short).

    With a checksum the chunk is kept only if complete and matching (else ``ChecksumMismatch``).
    """
    budget = upload.length - upload.offset if declared is None else min(declared, upload.length - upload.offset)
    writer = blobs.StreamWriter(f"tus/{upload.id}/{upload.offset:020d}", hashing=False)
    digest = CHECKSUM_ALGORITHMS[checksum[0]]() if checksum else None
    interrupted = False
    try:
        while writer.size < budget:
            try:
                data = read(min(READ_SIZE, budget - writer.size))
            except Exception:  # the client went away mid-body: keep what arrived
                interrupted = True
                break
            if not data:
                interrupted = writer.size < budget
                break
            writer.write(data)
            if digest is not None:
                digest.update(data)
        if writer.size == 0 or (checksum and (interrupted or not _matches(digest, checksum[1]))):
            writer.abort()
            if checksum and writer.size:
                raise ChecksumMismatch()
            return
        writer.complete()
    except ChecksumMismatch:
        raise
    except Exception:
        writer.abort()
        raise
    with transaction.atomic():
        locked = TusUpload.objects.select_for_update().get(id=upload.id)
        locked.parts = [*locked.parts, {"key": writer.key, "size": writer.size}]
        locked.offset += writer.size
        locked.save(update_fields=["parts", "offset"])
    upload.parts, upload.offset = locked.parts, locked.offset


def _matches(digest: Any, expected_b64: str) -> bool:
    try:
        expected = base64.b64decode(expected_b64, validate=True)
    except binascii.Error:
        return False
    return bool(digest.digest() == expected)


def finish(upload: TusUpload) -> FileData:
    """Assemble the chunks (one streaming pass, hashing) and record the file; the tus record goes."""
    sha = hashlib.sha256()
    head = b""
    keep_in_memory = upload.purpose in IMAGE_PURPOSES and upload.length <= size_limit(upload.purpose)
    buffer = bytearray()
    writer = None if keep_in_memory else blobs.StreamWriter(f"objects/s/{uuid.uuid4().hex}", hashing=False)
    try:
        for part in upload.parts:
            for data in blobs.iter_range(part["key"], 0, None, chunk=READ_SIZE):
                sha.update(data)
                if len(head) < HEAD_SIZE:
                    head = (head + data[:HEAD_SIZE])[:HEAD_SIZE]
                if writer is None:
                    buffer += data
                else:
                    writer.write(data)
        if writer is not None:
            writer.complete()
    except Exception:
        if writer is not None:
            writer.abort()
        raise
    received = Received(size=upload.offset, sha256=sha.hexdigest(), head=head)
    if writer is None:
        received.data = bytes(buffer)
    else:
        received.blob = writer.key
    try:
        created = store_received(
            owner_id=upload.owner_id, purpose=upload.purpose, filename=upload.filename, received=received
        )
    finally:
        terminate(upload)
    return created


def terminate(upload: TusUpload) -> None:
    """Delete the upload and its stored chunks (termination extension)."""
    blobs.delete_prefix(f"tus/{upload.id}/")
    upload.delete()
