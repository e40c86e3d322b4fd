"""The public API is JSON only: a form-encoded body on a JSON endpoint is a 415, never read as a form.

Found by the schema fuzzer: DRF reads a blank form value of an optional field as "absent", so
``PATCH me`` with ``timezone=`` (form-encoded) answered 200 and changed nothing, where the same JSON
is a 400. Only the upload endpoints (file, avatar) take multipart.
"""

from __future__ import annotations

import pytest
from drf_spectacular.generators import SchemaGenerator

MULTIPART_OPERATIONS = {
    ("post", "/api/v2/account/me/avatar"),
    ("post", "/api/v2/upload/files"),
    ("post", "/api/v2/kanban/imports/trello"),
}


@pytest.mark.django_db
@pytest.mark.parametrize("content_type", ["application/x-www-form-urlencoded", "multipart/form-data; boundary=x"])
def test_form_bodies_on_json_endpoints_are_415(user_client, content_type) -> None:
    body = (
        "timezone="
        if content_type.startswith("application/")
        else '--x\r\nContent-Disposition: form-data; name="timezone"\r\n\r\n\r\n--x--\r\n'
    )
    response = user_client.client.generic("PATCH", "/api/v2/account/me", body, content_type=content_type)
    assert response.status_code == 415, response.content
    assert response.json()["error"]["code"] == "unsupported_media_type"


@pytest.mark.django_db
def test_the_same_in_json_is_refused(user_client) -> None:
    response = user_client.client.patch("/api/v2/account/me", {"timezone": ""}, format="json")
    assert response.status_code == 400


def test_schema_documents_json_bodies_only_except_uploads() -> None:
    schema = SchemaGenerator().get_schema(request=None, public=True)  # type: ignore[no-untyped-call]
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            media = set(operation.get("requestBody", {}).get("content", {}))
            if (method, path) in MULTIPART_OPERATIONS:
                assert media == {"multipart/form-data"}, (method, path, media)
            elif media and not path.startswith("/api/v2/upload/tus/"):
                assert media == {"application/json"}, (method, path, media)
