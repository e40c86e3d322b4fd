"""Every error, from DRF, from services or from Django itself, comes back in the one JSON shape."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

pytestmark = [pytest.mark.urls("tests.conventions_urls"), pytest.mark.django_db]


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    return body["error"]  # type: ignore[no-any-return]


def test_valid_input_round_trips(api_client: Any) -> None:
    response = api_client.post("/api/v2/test/echo", {"name": "gau", "count": 2}, format="json")
    assert response.status_code == 200
    assert response.json() == {"name": "gau", "count": 2}


def test_malformed_json_is_400(api_client: Any) -> None:
    response = api_client.generic("POST", "/api/v2/test/echo", b'{"name": ', content_type="application/json")
    assert_error(response, 400, "malformed_json")


def test_wrong_types_are_400_with_field_details(api_client: Any) -> None:
    response = api_client.post("/api/v2/test/echo", {"name": ["x"], "count": "many"}, format="json")
    error = assert_error(response, 400, "invalid_input")
    assert set(error["details"]["fields"]) == {"name", "count"}


def test_unsupported_media_type_is_415(api_client: Any) -> None:
    response = api_client.generic("POST", "/api/v2/test/echo", b"<x/>", content_type="application/xml")
    assert_error(response, 415, "unsupported_media_type")


def test_oversized_body_is_413(api_client: Any, settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    body = b'{"name": "' + b"x" * 4096 + b'", "count": 1}'
    response = api_client.generic("POST", "/api/v2/test/echo", body, content_type="application/json")
    assert_error(response, 413, "request_too_large")


def test_wrong_method_is_405() -> None:
    response = Client().delete("/api/v2/test/echo")
    assert_error(response, 405, "method_not_allowed")


def test_unknown_route_is_404_json() -> None:
    assert_error(Client().get("/api/v2/nothing/here"), 404, "not_found")
    assert_error(Client().get("/no-such-page"), 404, "not_found")


def test_service_errors_keep_their_code_and_status() -> None:
    assert_error(Client().get("/api/v2/test/fail/domain"), 404, "account.user_not_found")
    response = Client().get("/api/v2/test/fail/unavailable")
    assert_error(response, 503, "service_unavailable")
    assert response["Retry-After"]


def test_unexpected_errors_are_500_json_without_internals() -> None:
    client = Client(raise_request_exception=False)
    error = assert_error(client.get("/api/v2/test/fail/bug"), 500, "internal_error")
    assert "a bug" not in error["message"]


def test_throttling_is_429_with_retry_after(api_client: Any) -> None:
    cache.clear()
    assert api_client.get("/api/v2/test/throttled").status_code == 200
    response = api_client.get("/api/v2/test/throttled")
    error = assert_error(response, 429, "throttled")
    assert int(response["Retry-After"]) > 0
    assert error["details"]["retry_after"] == int(response["Retry-After"])


def test_admin_stays_html() -> None:
    response = Client().get("/admin/login/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
