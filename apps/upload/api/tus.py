"""tus 1.0 endpoints at /api/v2/upload/tus/ (core, creation, termination, checksum)."""

from __future__ import annotations

import uuid
from typing import Any

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from apps.authz.services import PrincipalData
from apps.upload import tus
from apps.upload.api.permissions import PrincipalApiView
from apps.upload.services.errors import UploadNotFoundError
from apps.upload.services.local import DEFAULT_LIMITS, size_limit
from gau.api.schema import errors

TUS_HEADERS = [
    OpenApiParameter("Tus-Resumable", str, OpenApiParameter.HEADER, required=True, description="Must be 1.0.0."),
]


def _owner(request: Request) -> uuid.UUID:
    user = request.user
    assert isinstance(user, PrincipalData)
    return user.user_id


def _tus_response(status_code: int, body: Any = None, **headers: str) -> Response:
    response = Response(body, status=status_code)
    response["Tus-Resumable"] = tus.VERSION
    response["Cache-Control"] = "no-store"
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def _version_error(request: Request) -> Response | None:
    if request.headers.get("Tus-Resumable") != tus.VERSION:
        return _tus_response(
            412,
            {"error": {"code": "upload.tus_version", "message": "Send Tus-Resumable: 1.0.0.", "details": {}}},
            Tus_Version=tus.VERSION,
        )
    return None


class TusCreateApi(PrincipalApiView):
    """Discover the server's tus support (OPTIONS) and create an upload (POST)."""

    parser_classes: list[Any] = []

    def options(self, request: Request, *args: Any, **kwargs: Any) -> Response:  # type: ignore[override]
        return _tus_response(
            204,
            Tus_Version=tus.VERSION,
            Tus_Extension=tus.EXTENSIONS,
            Tus_Max_Size=str(max_size()),
            Tus_Checksum_Algorithm=",".join(tus.CHECKSUM_ALGORITHMS),
        )

    @extend_schema(
        operation_id="upload_tus_create",
        request=None,
        parameters=[
            *TUS_HEADERS,
            OpenApiParameter("Upload-Length", int, OpenApiParameter.HEADER, required=True),
            OpenApiParameter(
                "Upload-Metadata",
                str,
                OpenApiParameter.HEADER,
                description="`filename <base64>,purpose <base64>` (purpose: avatar, image, attachment, file).",
            ),
        ],
        responses={
            201: OpenApiResponse(description="Created; Location names the upload."),
            **errors(400, 401, 412, 413),
        },
    )
    def post(self, request: Request) -> Response:
        if (refused := _version_error(request)) is not None:
            return refused
        try:
            length = int(request.headers.get("Upload-Length", ""))
        except ValueError:
            length = -1
        if length < 0:
            return _tus_response(
                400, {"error": {"code": "upload.tus_length", "message": "Upload-Length is required.", "details": {}}}
            )
        upload = tus.create(
            owner_id=_owner(request),
            length=length,
            metadata=tus.parse_metadata(request.headers.get("Upload-Metadata", "")),
        )
        location = request.build_absolute_uri(f"/api/v2/upload/tus/{upload.id}")
        return _tus_response(201, None, Location=location, Upload_Offset="0")


class TusUploadApi(PrincipalApiView):
    """One upload: its offset (HEAD), more bytes (PATCH), termination (DELETE). Strangers get 404."""

    parser_classes: list[Any] = []

    def _upload(self, request: Request, upload_id: uuid.UUID) -> Any:
        upload = tus.get_for_owner(upload_id=upload_id, owner_id=_owner(request))
        if upload is None:
            raise UploadNotFoundError()
        return upload

    @extend_schema(
        operation_id="upload_tus_head", parameters=TUS_HEADERS, responses={200: None, **errors(401, 404, 412)}
    )
    def head(self, request: Request, upload_id: uuid.UUID) -> Response:
        if (refused := _version_error(request)) is not None:
            return refused
        upload = self._upload(request, upload_id)
        return _tus_response(200, None, Upload_Offset=str(upload.offset), Upload_Length=str(upload.length))

    @extend_schema(exclude=True)
    def get(self, request: Request, upload_id: uuid.UUID) -> Response:
        return self.head(request, upload_id)

    @extend_schema(
        operation_id="upload_tus_patch",
        request={"application/offset+octet-stream": bytes},
        parameters=[
            *TUS_HEADERS,
            OpenApiParameter("Upload-Offset", int, OpenApiParameter.HEADER, required=True),
            OpenApiParameter("Upload-Checksum", str, OpenApiParameter.HEADER, description="`sha1|md5|sha256 <base64>`"),
        ],
        responses={
            204: OpenApiResponse(description="Stored; Upload-Offset is the new offset (Gau-File-Id when done)."),
            **errors(400, 401, 404, 409, 412, 413, 415),
        },
    )
    def patch(self, request: Request, upload_id: uuid.UUID) -> Response:
        if (refused := _version_error(request)) is not None:
            return refused
        upload = self._upload(request, upload_id)
        if request.content_type.split(";")[0].strip() != "application/offset+octet-stream":
            return _tus_response(
                415,
                {
                    "error": {
                        "code": "unsupported_media_type",
                        "message": "Send application/offset+octet-stream.",
                        "details": {},
                    }
                },
            )
        try:
            offset = int(request.headers.get("Upload-Offset", ""))
        except ValueError:
            offset = -1
        if offset != upload.offset:
            return _tus_response(
                409,
                {
                    "error": {
                        "code": "upload.tus_offset",
                        "message": "Upload-Offset does not match.",
                        "details": {"offset": upload.offset},
                    }
                },
                Upload_Offset=str(upload.offset),
            )
        checksum = None
        if raw := request.headers.get("Upload-Checksum"):
            algorithm, _, value = raw.partition(" ")
            if algorithm not in tus.CHECKSUM_ALGORITHMS:
                return _tus_response(
                    400,
                    {
                        "error": {
                            "code": "upload.tus_checksum_algorithm",
                            "message": "Unsupported checksum algorithm.",
                            "details": {},
                        }
                    },
                )
            checksum = (algorithm, value)
        try:
            declared: int | None = int(request.META.get("CONTENT_LENGTH") or "")
        except ValueError:
            declared = None
        if declared is not None and upload.offset + declared > upload.length:
            return _tus_response(
                413,
                {
                    "error": {
                        "code": "upload.tus_too_long",
                        "message": "The body goes past Upload-Length.",
                        "details": {},
                    }
                },
            )
        try:
            tus.append(upload, request._request.read, declared=declared, checksum=checksum)
        except tus.ChecksumMismatch:
            return _tus_response(
                460, {"error": {"code": "upload.checksum_mismatch", "message": "Checksum mismatch.", "details": {}}}
            )
        headers = {"Upload_Offset": str(upload.offset)}
        if upload.offset < upload.length:
            return _tus_response(204, None, **headers)
        created = tus.finish(upload)
        headers["Gau_File_Id"] = str(created.id)
        # 204 is what tus clients expect; the file's id travels in a header.
        return _tus_response(204, None, **headers)

    @extend_schema(
        operation_id="upload_tus_delete", parameters=TUS_HEADERS, responses={204: None, **errors(401, 404, 412)}
    )
    def delete(self, request: Request, upload_id: uuid.UUID) -> Response:
        if (refused := _version_error(request)) is not None:
            return refused
        tus.terminate(self._upload(request, upload_id))
        return _tus_response(204)


def max_size() -> int:
    return max(size_limit(p) for p in DEFAULT_LIMITS)
