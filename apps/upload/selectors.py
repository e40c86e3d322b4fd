"""Reads of the upload app's data."""

from __future__ import annotations

import uuid

from django.db import connection
from django.db.models import QuerySet

from apps.upload.models import File


def file_get(*, file_id: uuid.UUID) -> File | None:
    """The file record, or None."""
    return File.objects.filter(id=file_id).first()


def file_get_for_owner(*, file_id: uuid.UUID, owner_id: uuid.UUID) -> File | None:
    """The record if ``owner_id`` owns it (strangers get None, never a hint it exists)."""
    return File.objects.filter(id=file_id, owner_id=owner_id).first()


def file_list(*, owner_id: uuid.UUID, purpose: str | None = None) -> QuerySet[File]:
    """The owner's files, newest first, optionally of one purpose."""
    qs = File.objects.filter(owner_id=owner_id)
    if purpose:
        qs = qs.filter(purpose=purpose)
    return qs.order_by("-created_at")


def file_for_key(*, key: str) -> File | None:
    """The oldest record of the stored object ``key`` (they all share content and visibility)."""
    return File.objects.filter(key=key).order_by("created_at").first()


def key_in_use(*, key: str) -> bool:
    """Whether any record still refers to the stored object ``key``."""
    return File.objects.filter(key=key).exists()


def owner_usage(*, owner_id: uuid.UUID) -> int:
    """Bytes the owner's distinct stored objects take (a deduplicated object counts once)."""
    table = File._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COALESCE(SUM(size), 0) FROM (SELECT DISTINCT key, size FROM {table} WHERE owner_id = %s) t",  # noqa: S608
            [owner_id.hex if connection.vendor == "sqlite" else owner_id],
        )
        row = cursor.fetchone()
    return int(row[0]) if row else 0
