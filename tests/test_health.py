"""Liveness and readiness against the real backing services."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_healthz_needs_no_io(django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(0):
        response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_checks_every_configured_service() -> None:
    response = Client().get("/readyz")
    assert response.status_code == 200, response.content
    checks = response.json()["checks"]
    assert set(checks) == {"database", "cache", "broker", "storage"}
    assert all(check["ok"] for check in checks.values())


def test_readyz_names_the_service_that_failed(settings: Any) -> None:
    storage = dict(settings.STORAGES)
    options = {**storage["default"]["OPTIONS"], "endpoint_url": "http://127.0.0.1:9"}
    storage["default"] = {**storage["default"], "OPTIONS": options}
    settings.STORAGES = storage
    response = Client().get("/readyz")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    error = response.json()["error"]
    assert error["code"] == "not_ready"
    assert error["message"] == "Not ready: storage unavailable."
    assert error["details"]["checks"]["database"]["ok"] is True
    assert error["details"]["checks"]["storage"]["ok"] is False
