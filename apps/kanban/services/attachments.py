"""Attachments: files uploaded through the upload app, linked to a task.

The file is checked through ``upload_service`` (someone else's file is 404) *before* the transaction
(no cross-app call inside ``atomic``). URLs are never stored: signed URLs expire, so every read asks
upload for the file again (:func:`attachment_views`), and a file deleted in upload shows as removed.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import transaction
from django.utils import timezone

from apps.kanban import selectors
from apps.kanban.models import Attachment, Role
from apps.kanban.services import changes
from apps.kanban.services.access import project_access
from apps.kanban.services.errors import KanbanNotFoundError
from apps.kanban.services.tasks import task_access
from apps.upload.services import FileData, upload_service


def attachment_view(attachment: Attachment, file: FileData | None) -> dict[str, Any]:
    """The API shape of an attachment; ``url`` is fresh, or null with ``removed`` once upload deleted it."""
    return {
        "id": attachment.id,
        "task_id": attachment.task_id,
        "file_id": attachment.file_id,
        "filename": attachment.filename,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "url": file.url if file is not None else None,
        "removed": file is None,
        "added_by": attachment.added_by,
        "created_at": selectors.iso(attachment.created_at),
    }


def attachment_views(attachments: list[Attachment]) -> list[dict[str, Any]]:
    """Every attachment with a fresh URL: one ``get_file`` per distinct file (upload has no batch read)."""
    files = {file_id: upload_service.get_file(file_id=file_id) for file_id in {a.file_id for a in attachments}}
    return [attachment_view(a, files[a.file_id]) for a in attachments]


def attachment_add(*, user_id: uuid.UUID, task_id: uuid.UUID, file_id: uuid.UUID) -> dict[str, Any]:
    """Attach a file the caller uploaded; 404 for a file that is not theirs. Records ``attachment.added``."""
    task, _ = task_access(task_id=task_id, user_id=user_id, role=Role.MEMBER)
    file = (
        upload_service.get_file(file_id=file_id) if upload_service.is_owner(file_id=file_id, owner_id=user_id) else None
    )
    if file is None:
        raise KanbanNotFoundError("No such file among your uploads.", field="file_id")
    with transaction.atomic():
        attachment = Attachment.objects.create(
            task_id=task.id,
            file_id=file.id,
            filename=file.filename,
            content_type=file.content_type,
            size=file.size,
            added_by=user_id,
            created_at=timezone.now(),
        )
        changes.record(
            verb="attachment.added",
            project_id=task.project_id,
            board_id=task.board_id,
            task_id=task.id,
            actor_id=user_id,
            data={"attachment_id": str(attachment.id), "file_id": str(file.id), "filename": file.filename},
        )
    return attachment_view(attachment, file)


def attachment_delete(*, user_id: uuid.UUID, attachment_id: uuid.UUID) -> None:
    """Remove an attachment from its task (the uploaded file itself stays with its owner)."""
    attachment = selectors.attachment_lookup(attachment_id=attachment_id)
    if attachment is None:
        raise KanbanNotFoundError()
    project_access(project_id=attachment.task.project_id, user_id=user_id, role=Role.MEMBER)
    with transaction.atomic():
        Attachment.objects.filter(id=attachment.id).delete()
        changes.record(
            verb="attachment.removed",
            project_id=attachment.task.project_id,
            board_id=attachment.task.board_id,
            task_id=attachment.task_id,
            actor_id=user_id,
            data={"attachment_id": str(attachment.id), "filename": attachment.filename},
        )


def attachment_list_for(*, user_id: uuid.UUID, task_id: uuid.UUID) -> list[dict[str, Any]]:
    """A task's attachments with fresh URLs (viewers may read)."""
    task, _ = task_access(task_id=task_id, user_id=user_id)
    return attachment_views(selectors.attachment_list(task_id=task.id))
