"""Data owned by the upload app. No ForeignKey to another app's models: store ids."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone


class Purpose(models.TextChoices):
    AVATAR = "avatar", "Avatar"
    IMAGE = "image", "Image"
    ATTACHMENT = "attachment", "Attachment"
    FILE = "file", "File"


#: Purposes whose files are public (served at /images/<key> without a signature).
PUBLIC_PURPOSES = frozenset({Purpose.AVATAR.value, Purpose.IMAGE.value})
IMAGE_PURPOSES = PUBLIC_PURPOSES


class File(models.Model):
    """One upload by one owner. Several records may share one stored object (same ``key``).

    ``key`` is the content address: sha256 over the owner, the visibility and the content's SHA-256, so
    identical content is stored once per owner and visibility (see README), and a private file's bytes
    are never reachable through a public key.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner_id = models.UUIDField()
    purpose = models.CharField(max_length=16, choices=Purpose.choices)
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=127)
    size = models.BigIntegerField()
    sha256 = models.CharField(max_length=64)
    key = models.CharField(max_length=64, db_index=True)
    #: Where the bytes are in the bucket: ``objects/<k[:2]>/<key>`` for objects written whole, or the
    #: ``objects/s/<uuid>`` a streamed upload was written to (moving 1 GiB on S3 is a full copy).
    blob = models.CharField(max_length=200)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["owner_id", "-created_at"], name="upload_file_owner_created"),
            models.Index(fields=["owner_id", "purpose", "-created_at"], name="upload_file_owner_purpose"),
        ]

    def __str__(self) -> str:
        return f"{self.filename} ({self.id})"

    @property
    def is_public(self) -> bool:
        return self.purpose in PUBLIC_PURPOSES


class TusUpload(models.Model):
    """A resumable (tus 1.0) upload in progress: the chunks received so far live under ``tus/<id>/``."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner_id = models.UUIDField(db_index=True)
    purpose = models.CharField(max_length=16, choices=Purpose.choices)
    filename = models.CharField(max_length=255)
    length = models.BigIntegerField()
    offset = models.BigIntegerField(default=0)
    parts = models.JSONField(default=list)
    upload_id = models.CharField(max_length=1024, blank=True)
    file_id = models.UUIDField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"tus {self.id} {self.offset}/{self.length}"
