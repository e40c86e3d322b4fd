"""Upload REST API: thin views over the upload app's services and selectors."""

from __future__ import annotations

import uuid
from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, parsers, status
from rest_framework.request import Request
from rest_framework.response import Response

from apps.authz.services import PrincipalData
from apps.upload import selectors
from apps.upload.api.handlers import ReceivedFile, StreamingUploadHandler
from apps.upload.api.permissions import PrincipalApiView
from apps.upload.api.serializers import (
    FileListQuerySerializer,
    FileOutputSerializer,
    FileUploadInputSerializer,
    QuotaOutputSerializer,
)
from apps.upload.models import IMAGE_PURPOSES, Purpose
from apps.upload.services.errors import FileTooLargeError, InvalidPurposeError, QuotaExceededError, UploadNotFoundError
from apps.upload.services.local import delete_record, file_data, quota, size_limit, store_received, validate_purpose
from gau.api.pagination import CursorPagination
from gau.api.schema import errors

#: Multipart overhead allowed on top of the file itself when checking Content-Length up front.
MULTIPART_SLACK = 64 * 1024


def _owner(request: Request) -> uuid.UUID:
    user = request.user
    assert isinstance(user, PrincipalData)  # IsPrincipal ran first
    return user.user_id


def _limit_error(*, owner_id: uuid.UUID, purpose: str | None) -> tuple[int, FileTooLargeError | QuotaExceededError]:
    """The byte limit while streaming, and the error to raise when it is crossed."""
    used = selectors.owner_usage(owner_id=owner_id)
    remaining = max(0, quota() - used)
    limit = size_limit(purpose) if purpose else max(size_limit(p) for p in Purpose.values)
    if remaining < limit:
        return remaining, QuotaExceededError(
            f"Only {remaining} of your {quota()} bytes of storage remain.",
            quota=quota(),
            used=used,
            remaining=remaining,
        )
    return limit, FileTooLargeError(
        f"The file is larger than {limit} bytes, the limit for {purpose or 'any purpose'}.",
        limit=limit,
        purpose=purpose or "file",
    )


class FileListCreateApi(PrincipalApiView):
    """The caller's files: list them, or upload one (streamed to object storage)."""

    parser_classes = [parsers.MultiPartParser]
    pagination_class = CursorPagination  # documents the list as the paginated envelope it answers

    @extend_schema(
        operation_id="upload_files_list",
        parameters=[FileListQuerySerializer],
        responses={200: FileOutputSerializer(many=True), **errors(400, 401, 403)},
    )
    def get(self, request: Request) -> Response:
        query = FileListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        qs = selectors.file_list(owner_id=_owner(request), purpose=query.validated_data.get("purpose"))
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(qs, request, view=self) or []
        return paginator.get_paginated_response(
            FileOutputSerializer([file_data(r).model_dump() for r in page], many=True).data  # type: ignore[arg-type]
        )

    @extend_schema(
        operation_id="upload_files_create",
        parameters=[OpenApiParameter("purpose", str, enum=Purpose.values, required=False)],
        request={"multipart/form-data": FileUploadInputSerializer},
        responses={201: FileOutputSerializer, **errors(400, 401, 403, 413, 415)},
    )
    def post(self, request: Request) -> Response:
        owner_id = _owner(request)
        query_purpose = request.query_params.get("purpose")
        if query_purpose is not None:
            validate_purpose(query_purpose)
        limit, too_large = _limit_error(owner_id=owner_id, purpose=query_purpose)
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > limit + MULTIPART_SLACK:
            raise too_large  # refuse before reading a byte of the body
        memory_cap = (
            0 if query_purpose and query_purpose not in IMAGE_PURPOSES else max(map(size_limit, IMAGE_PURPOSES))
        )
        handler = StreamingUploadHandler(request._request, max_bytes=limit, memory_cap=memory_cap, too_large=too_large)
        request._request.upload_handlers = [handler]
        try:
            form: Any = request.data
            upload = request.FILES.get("file")
        except Exception:
            handler.cleanup()
            raise
        if not isinstance(upload, ReceivedFile):
            raise exceptions.ValidationError({"file": ["No file was submitted in the multipart field 'file'."]})
        try:
            purpose = str(query_purpose or form.get("purpose") or Purpose.FILE)
            if query_purpose and form.get("purpose") and form.get("purpose") != query_purpose:
                raise InvalidPurposeError("The purpose in the query and in the form differ.")
        except Exception:
            upload.received.discard()
            raise
        created = store_received(
            owner_id=owner_id, purpose=purpose, filename=upload.name or "file", received=upload.received
        )
        return Response(FileOutputSerializer(created.model_dump()).data, status=status.HTTP_201_CREATED)


class FileDetailApi(PrincipalApiView):
    """One of the caller's files. Another user's file is 404, never 403."""

    @extend_schema(operation_id="upload_files_retrieve", responses={200: FileOutputSerializer, **errors(401, 403, 404)})
    def get(self, request: Request, file_id: uuid.UUID) -> Response:
        record = selectors.file_get_for_owner(file_id=file_id, owner_id=_owner(request))
        if record is None:
            raise UploadNotFoundError()
        return Response(FileOutputSerializer(file_data(record).model_dump()).data)

    @extend_schema(operation_id="upload_files_destroy", responses={204: None, **errors(401, 403, 404)})
    def delete(self, request: Request, file_id: uuid.UUID) -> Response:
        record = selectors.file_get_for_owner(file_id=file_id, owner_id=_owner(request))
        if record is None:
            raise UploadNotFoundError()
        delete_record(record)
        return Response(status=status.HTTP_204_NO_CONTENT)


class QuotaApi(PrincipalApiView):
    """The caller's storage quota and what is left."""

    @extend_schema(operation_id="upload_quota_retrieve", responses={200: QuotaOutputSerializer, **errors(401, 403)})
    def get(self, request: Request, **kwargs: Any) -> Response:
        used = selectors.owner_usage(owner_id=_owner(request))
        data: dict[str, object] = {"quota": quota(), "used": used, "remaining": max(0, quota() - used)}
        return Response(QuotaOutputSerializer(data).data)
