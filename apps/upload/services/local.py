"""The in-process implementation of :class:`UploadService`."""

from __future__ import annotations

from apps.upload.services.interface import UploadService


class LocalUploadService(UploadService):
    """Implements the upload interface on this process's database."""
