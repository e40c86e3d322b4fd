"""Cursor pagination: documented as the envelope it answers, and a bad cursor is a documented 400
in the error shape on every paginated list (issue 12, finding 7)."""

from __future__ import annotations

from typing import Any

import pytest
from drf_spectacular.generators import SchemaGenerator

#: The paginated lists; each must take ``cursor`` and answer ``{next, previous, results}``.
PAGINATED = ["/api/v2/authz/api-keys", "/api/v2/upload/files"]


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return SchemaGenerator().get_schema(request=None, public=True)  # type: ignore[no-untyped-call,no-any-return]


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


def _paginated_operations(schema: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for path, item in schema["paths"].items():
        operation = item.get("get")
        if operation and any(p["name"] == "cursor" for p in operation.get("parameters", [])):
            found.append((path, operation))
    return found


@pytest.mark.parametrize("path", PAGINATED)
def test_paginated_lists_document_the_envelope(schema, path) -> None:
    operation = schema["paths"][path]["get"]
    names = {p["name"] for p in operation.get("parameters", [])}
    assert {"cursor", "page_size"} <= names
    body = _resolve(schema, operation["responses"]["200"]["content"]["application/json"]["schema"])
    assert body["type"] == "object"
    assert {"next", "previous", "results"} <= set(body["properties"])
    assert body["properties"]["results"]["type"] == "array"


def test_every_paginated_list_documents_the_bad_cursor_400(schema) -> None:
    operations = _paginated_operations(schema)
    assert {path for path, _ in operations} >= set(PAGINATED)
    for path, operation in operations:
        bad = operation["responses"].get("400")
        assert bad is not None, path
        assert bad["content"]["application/json"]["schema"]["$ref"].endswith("/Error"), path
        assert "invalid_cursor" in bad["description"], path


@pytest.mark.django_db
@pytest.mark.parametrize("path", PAGINATED)
@pytest.mark.parametrize("cursor", ["abc", "%%%", "cD0yMDI2", "bz0xJnA9eA=="])
def test_bad_cursor_is_400_invalid_cursor(user_client, path, cursor) -> None:
    response = user_client.client.get(path, {"cursor": cursor})
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid_cursor"
    assert error["message"]


@pytest.mark.django_db
@pytest.mark.parametrize("path", PAGINATED)
def test_lists_answer_the_envelope(user_client, path) -> None:
    response = user_client.client.get(path, {"page_size": 1})
    assert response.status_code == 200
    assert set(response.json()) == {"next", "previous", "results"}


@pytest.mark.django_db
@pytest.mark.parametrize("path", PAGINATED)
@pytest.mark.parametrize("page_size", ["true", "0", "-1", "1.5", ""])
def test_bad_page_size_is_400(user_client, path, page_size) -> None:
    """Found by the schema fuzzer: a non-integer page_size was silently ignored (200)."""
    response = user_client.client.get(path, {"page_size": page_size})
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == "invalid_input"
    assert "page_size" in response.json()["error"]["details"]["fields"]


@pytest.mark.django_db
@pytest.mark.parametrize("path", PAGINATED)
def test_page_size_over_the_maximum_is_capped(user_client, path) -> None:
    assert user_client.client.get(path, {"page_size": "100000"}).status_code == 200
