"""Celery tasks of the upload app, named explicitly "upload.<task>"."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from apps.upload.models import TusUpload
from gau import blobs


@shared_task(name="upload.purge_expired_tus_uploads")
def purge_expired_tus_uploads() -> int:
    """Delete tus uploads nobody finished in time, with their stored chunks. Returns how many."""
    count = 0
    for upload in TusUpload.objects.filter(expires_at__lte=timezone.now()).iterator():
        blobs.delete_prefix(f"tus/{upload.id}/")
        upload.delete()
        count += 1
    return count
