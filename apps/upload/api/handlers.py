"""A Django upload handler that streams the ``file`` part to object storage while hashing it.

Small raster images (up to the largest image limit) stay in memory, because they are decoded and
possibly rewritten (GPS removal) before storing. Everything else goes straight to its object through S3
multipart in PART_SIZE parts, so peak memory is bounded by about PART_SIZE * 4 whatever the file's size;
the bytes are read once, hashed once, written once (no server-side copy afterwards).
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http import HttpRequest

from apps.upload.services.errors import FileTooLargeError, QuotaExceededError
from apps.upload.services.local import Received
from apps.upload.sniff import HEAD_SIZE, RASTER_IMAGE_TYPES, sniff
from gau import blobs


class ReceivedFile(UploadedFile):  # type: ignore[type-arg]
    """What the handler hands to the view: the name from the request and where the bytes are."""

    def __init__(self, name: str, received: Received) -> None:
        super().__init__(file=None, name=name, content_type="application/octet-stream", size=received.size)
        self.received = received

    def close(self) -> None:  # nothing open: bytes are in memory or in storage
        return None


class StreamingUploadHandler(FileUploadHandler):
    """Streams the multipart field ``file`` (one file per request) to storage, enforcing ``max_bytes``."""

    chunk_size = 1024 * 1024

    def __init__(
        self,
        request: HttpRequest,
        *,
        max_bytes: int,
        memory_cap: int,
        too_large: FileTooLargeError | QuotaExceededError,
    ) -> None:
        super().__init__(request)
        self.max_bytes = max_bytes
        self.memory_cap = memory_cap
        self.too_large = too_large
        self.active = False
        self.done = False
        self.size = 0
        self.sha = hashlib.sha256()
        self.head = b""
        self.buffer = bytearray()
        self.writer: blobs.StreamWriter | None = None

    def new_file(self, field_name: str, file_name: str, *args: Any, **kwargs: Any) -> None:
        super().new_file(field_name, file_name, *args, **kwargs)
        if field_name != "file" or self.done:
            raise SkipFile()
        self.active = True

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        if not self.active:
            return None
        self.size += len(raw_data)
        if self.size > self.max_bytes:
            self.cleanup()
            raise self.too_large
        self.sha.update(raw_data)
        if len(self.head) < HEAD_SIZE:
            self.head = (self.head + raw_data[:HEAD_SIZE])[:HEAD_SIZE]
        if self.writer is None and self.size <= self.memory_cap and sniff(self.head) in RASTER_IMAGE_TYPES:
            self.buffer += raw_data
            return None
        if self.writer is None:
            self.writer = blobs.StreamWriter(f"objects/s/{uuid.uuid4().hex}", hashing=False)
            if self.buffer:
                self.writer.write(bytes(self.buffer))
                self.buffer = bytearray()
        self.writer.write(raw_data)
        return None

    def file_complete(self, file_size: int) -> UploadedFile[bytes] | None:
        if not self.active:
            return None
        self.active = False
        self.done = True
        received = Received(size=self.size, sha256=self.sha.hexdigest(), head=self.head)
        if self.writer is not None:
            try:
                self.writer.complete()
            except Exception:
                self.cleanup()
                raise
            received.blob = self.writer.key
            self.writer = None
        else:
            received.data = bytes(self.buffer)
            self.buffer = bytearray()
        return ReceivedFile(self.file_name or "file", received)

    def upload_interrupted(self) -> None:
        self.cleanup()

    def cleanup(self) -> None:
        """Abort a partial multipart upload and drop buffers (client gone, limit hit, parse error)."""
        self.buffer = bytearray()
        if self.writer is not None:
            self.writer.abort()
            self.writer = None
