"""Data the upload interface takes and returns (frozen pydantic models)."""

from __future__ import annotations

import uuid
from datetime import datetime

from gau.rpc import DataModel

__all__ = ["FileData", "StoredObjectData"]


class FileData(DataModel):
    """One uploaded file. ``url``: CDN address for public purposes, a signed expiring URL for private ones."""

    id: uuid.UUID
    owner_id: uuid.UUID
    purpose: str
    filename: str
    content_type: str
    size: int
    sha256: str
    width: int | None
    height: int | None
    url: str
    created_at: datetime


class StoredObjectData(DataModel):
    """A stored object as the CDN sees it (shared by every record with the same content address)."""

    key: str
    #: Where the bytes are in the bucket.
    path: str
    public: bool
    content_type: str
    size: int
    sha256: str
    width: int | None
    height: int | None
    created_at: datetime
