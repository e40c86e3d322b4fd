"""The upload endpoints are in the OpenAPI schema with their error responses in the error shape."""

from __future__ import annotations

from drf_spectacular.generators import SchemaGenerator


def test_upload_operations_document_their_errors() -> None:
    schema = SchemaGenerator().get_schema(request=None, public=True)  # type: ignore[no-untyped-call]
    paths = schema["paths"]
    create = paths["/api/v2/upload/files"]["post"]
    assert {"201", "400", "401", "403", "413", "415"} <= set(create["responses"])
    assert "multipart/form-data" in create["requestBody"]["content"]
    error = create["responses"]["413"]["content"]["application/json"]["schema"]["$ref"]
    assert error.endswith("/Error")
    detail = paths["/api/v2/upload/files/{file_id}"]
    assert {"200", "401", "404"} <= set(detail["get"]["responses"])
    assert {"204", "401", "404"} <= set(detail["delete"]["responses"])
    patch = paths["/api/v2/upload/tus/{upload_id}"]["patch"]
    assert {"204", "409", "412", "413"} <= set(patch["responses"])
    assert "/images/{key}" not in paths  # the CDN is a file server, not part of the JSON API
