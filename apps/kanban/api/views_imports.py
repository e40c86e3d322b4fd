"""Kanban REST API, import/export part: Trello import (``imports/trello``, ``imports/{id}``) and board export.

The upload is streamed to default storage by :class:`ImportUploadHandler` (never held in memory, never in
the web process's /tmp: the Celery worker reading it back may run on another machine).
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http import HttpRequest, HttpResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import exceptions, parsers, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from apps.kanban import selectors
from apps.kanban.api.permissions import KanbanApiView, caller_id
from apps.kanban.models import BoardImport
from apps.kanban.services import trello_export, trello_import
from apps.kanban.services.errors import ImportFileTooLargeError
from gau import blobs
from gau.api.renderers import ORJSONRenderer, dumps
from gau.api.schema import errors

#: Multipart framing around the file (boundaries, headers, the project_id field).
MULTIPART_SLACK = 64 * 1024


class StoredUpload(UploadedFile):  # type: ignore[type-arg]
    """What the handler hands to the view: the name, the size and the storage key of the bytes."""

    def __init__(self, name: str, size: int, key: str) -> None:
        super().__init__(file=None, name=name, content_type="application/json", size=size)
        self.key = key

    def close(self) -> None:  # nothing open: the bytes are in storage
        return None


class ImportUploadHandler(FileUploadHandler):
    """Streams the multipart field ``file`` to ``imports/<id>.json`` in default storage, ≤ ``max_bytes``."""

    chunk_size = 1024 * 1024

    def __init__(self, request: HttpRequest, *, key: str, max_bytes: int) -> None:
        super().__init__(request)
        self.key = key
        self.max_bytes = max_bytes
        self.size = 0
        self.active = False
        self.done = False
        self.writer: blobs.StreamWriter | None = None

    def new_file(self, field_name: str, file_name: str, *args: Any, **kwargs: Any) -> None:
        super().new_file(field_name, file_name, *args, **kwargs)
        if field_name != "file" or self.done:
            raise SkipFile()
        self.active = True
        self.writer = blobs.StreamWriter(self.key, "application/json", hashing=False)

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        if not self.active:
            return raw_data
        self.size += len(raw_data)
        if self.size > self.max_bytes:
            self.cleanup()
            raise ImportFileTooLargeError(limit=self.max_bytes)
        assert self.writer is not None
        self.writer.write(raw_data)
        return None

    def file_complete(self, file_size: int) -> UploadedFile[bytes] | None:
        if not self.active:
            return None
        self.active, self.done = False, True
        assert self.writer is not None
        try:
            self.writer.complete()
        except Exception:
            self.cleanup()
            raise
        self.writer = None
        return StoredUpload(self.file_name or "board.json", self.size, self.key)

    def upload_interrupted(self) -> None:
        self.cleanup()

    def cleanup(self) -> None:
        """Drop what was written (client gone, limit hit, refused request)."""
        if self.writer is not None:
            self.writer.abort()
            self.writer = None
        elif self.done:
            blobs.delete(self.key)


def import_out(row: BoardImport) -> dict[str, Any]:
    return {
        "id": row.id,
        "project_id": row.project_id,
        "source": row.source,
        "filename": row.filename,
        "status": row.status,
        "progress": trello_import.current_progress(row),
        "board_id": row.board_id,
        "counts": row.counts or {},
        "warnings": row.warnings or [],
        "error": row.error,
        "created_at": row.created_at,
        "started_at": row.started_at,
        "finished_at": row.finished_at,
    }


_COUNTS = inline_serializer(
    "KanbanImportCounts",
    {name: serializers.IntegerField() for name in ("columns", "tasks", "labels", "checklist_items", "comments")},
)
ImportOutput = inline_serializer(
    "KanbanImportOutput",
    {
        "id": serializers.UUIDField(),
        "project_id": serializers.UUIDField(),
        "source": serializers.CharField(),
        "filename": serializers.CharField(),
        "status": serializers.ChoiceField(choices=["queued", "running", "done", "failed"]),
        "progress": serializers.IntegerField(min_value=0, max_value=100),
        "board_id": serializers.UUIDField(allow_null=True),
        "counts": _COUNTS,
        "warnings": serializers.ListField(child=serializers.CharField()),
        "error": serializers.DictField(allow_null=True),
        "created_at": serializers.DateTimeField(),
        "started_at": serializers.DateTimeField(allow_null=True),
        "finished_at": serializers.DateTimeField(allow_null=True),
    },
)
ImportInput = inline_serializer(
    "KanbanImportTrelloInput", {"file": serializers.FileField(), "project_id": serializers.UUIDField()}
)


class TrelloImportApi(KanbanApiView):
    """Import a Trello board export (JSON, ≤ 50 MiB) into a project as a new board (project admins).

    Answers 202 with the queued import; follow it with ``GET imports/{id}``. A file that is not a Trello
    export fails the import (``status: failed``, ``error`` naming the problem); nothing is left behind.
    """

    parser_classes = [parsers.MultiPartParser]

    @extend_schema(
        operation_id="kanban_imports_trello_create",
        request={"multipart/form-data": ImportInput},
        responses={202: ImportOutput, **errors(400, 401, 403, 404, 413)},
    )
    def post(self, request: Request) -> Response:
        user_id = caller_id(request)
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > trello_import.MAX_FILE_BYTES + MULTIPART_SLACK:
            raise ImportFileTooLargeError(limit=trello_import.MAX_FILE_BYTES)  # before reading a byte
        handler = ImportUploadHandler(
            request._request,
            key=trello_import.blob_key_for(uuid.uuid4()),
            max_bytes=trello_import.MAX_FILE_BYTES,
        )
        request._request.upload_handlers = [handler]
        try:
            form: Any = request.data
            upload = request.FILES.get("file")
            if not isinstance(upload, StoredUpload) or upload.size == 0:
                raise exceptions.ValidationError(
                    {"file": ["Send the Trello JSON export in the multipart field 'file'."]}
                )
            try:
                project_id = uuid.UUID(str(form.get("project_id") or ""))
            except ValueError:
                raise exceptions.ValidationError({"project_id": ["A project id (UUID) is required."]}) from None
            row = trello_import.import_create(
                user_id=user_id,
                project_id=project_id,
                filename=upload.name or "board.json",
                size=upload.size or 0,
                blob_key=upload.key,
            )
        except Exception:
            handler.cleanup()
            raise
        row.refresh_from_db()  # on the embedded default the import already ran, after commit
        return Response(import_out(row), status=status.HTTP_202_ACCEPTED)


class ImportDetailApi(KanbanApiView):
    """An import's status, progress, counts and warnings (admins of its project)."""

    @extend_schema(operation_id="kanban_imports_retrieve", responses={200: ImportOutput, **errors(401, 403, 404)})
    def get(self, request: Request, import_id: uuid.UUID) -> Response:
        row = trello_import.import_access(import_id=import_id, user_id=caller_id(request))
        return Response(import_out(row))


def _filename(name: str, ext: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.") or "board"
    return f"{stem[:80]}.{ext}"


class BoardExportApi(KanbanApiView):
    """The board as Trello-shaped JSON (re-importable) or CSV, one row per task (viewers and up)."""

    def perform_content_negotiation(self, request: Request, force: bool = False) -> tuple[Any, str]:
        # ``format`` is this endpoint's own parameter, not DRF's renderer override; errors stay JSON.
        return ORJSONRenderer(), "application/json"

    @extend_schema(
        operation_id="kanban_boards_export",
        parameters=[OpenApiParameter("format", str, enum=["json", "csv"], required=False, description="Default json.")],
        responses={(200, "application/json"): dict, (200, "text/csv"): str, **errors(400, 401, 403, 404)},
    )
    def get(self, request: Request, board_id: uuid.UUID) -> HttpResponse:
        kind = request.query_params.get("format", "json")
        user_id = caller_id(request)
        if kind == "json":
            data = trello_export.board_export_json(user_id=user_id, board_id=board_id)
            response = HttpResponse(dumps(data), content_type="application/json")
            ext = "json"
            name = str(data["name"])
        elif kind == "csv":
            body = trello_export.board_export_csv(user_id=user_id, board_id=board_id)
            response = HttpResponse(body.encode("utf-8-sig"), content_type="text/csv; charset=utf-8")
            ext = "csv"
            name = _board_name(board_id)
        else:
            raise exceptions.ValidationError({"format": ["Choose json or csv."]})
        response["Content-Disposition"] = f'attachment; filename="{_filename(name, ext)}"'
        return response


def _board_name(board_id: uuid.UUID) -> str:
    board = selectors.board_lookup(board_id=board_id)
    return board.name if board else "board"
