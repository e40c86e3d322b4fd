"""The upload service interface: typed, keyword-only methods; plain data in and out."""

from __future__ import annotations

import abc
import uuid

from apps.upload.services.dto import FileData, StoredObjectData
from gau.rpc import Service, rpc_method


class UploadService(Service):
    """File and media uploads to object storage: streaming, limits, type sniffing, metadata."""

    app = "upload"
    local_implementation = "apps.upload.services.local.LocalUploadService"

    @rpc_method
    @abc.abstractmethod
    def create_file(self, *, owner_id: uuid.UUID, purpose: str, filename: str, data: bytes) -> FileData:
        """Store ``data`` for ``owner_id`` as a new file record and return it.

        The type is sniffed from the content; images are fully decoded (dimensions) and stored without GPS
        location. Identical content of the same owner and visibility is stored once.
        Raises ``InvalidPurposeError``, ``UnsupportedFileTypeError``, ``FileTooLargeError``,
        ``QuotaExceededError``, ``InvalidImageError``, ``ImageTooLargeError``. Not idempotent (a new
        record each call; the stored object is shared).
        """

    @rpc_method(idempotent=True)
    @abc.abstractmethod
    def get_file(self, *, file_id: uuid.UUID) -> FileData | None:
        """The file's metadata and a fresh URL, or ``None``. Idempotent."""

    @rpc_method(idempotent=True)
    @abc.abstractmethod
    def delete_file(self, *, file_id: uuid.UUID, owner_id: uuid.UUID) -> None:
        """Delete the record; the object and its CDN variants go when no other record shares them.

        Raises ``UploadNotFoundError`` when the file does not exist or ``owner_id`` does not own it.
        Idempotent in effect (a repeat raises ``UploadNotFoundError``).
        """

    @rpc_method(idempotent=True)
    @abc.abstractmethod
    def is_owner(self, *, file_id: uuid.UUID, owner_id: uuid.UUID) -> bool:
        """Whether ``owner_id`` owns ``file_id`` (False if it does not exist). Idempotent."""

    @rpc_method(idempotent=True)
    @abc.abstractmethod
    def delete_user_files(self, *, owner_id: uuid.UUID) -> int:
        """Delete every file of ``owner_id`` (account deletion); returns how many records. Idempotent."""

    @rpc_method(idempotent=True)
    @abc.abstractmethod
    def get_object(self, *, key: str) -> StoredObjectData | None:
        """The stored object with content address ``key`` (what the CDN serves), or ``None``. Idempotent."""
