"""The public OpenAPI schema validates without warnings, and the admin works with the custom user."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

ROOT = Path(__file__).resolve().parents[1]


def test_schema_validates_without_warnings(tmp_path: Path) -> None:
    out = tmp_path / "schema.yaml"
    result = subprocess.run(
        [sys.executable, "manage.py", "spectacular", "--validate", "--fail-on-warn", "--file", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "/internal/" not in out.read_text()


def test_swagger_ui_is_served() -> None:
    response = Client().get("/api/docs/")
    assert response.status_code == 200
    assert b"swagger" in response.content.lower()


@pytest.mark.django_db
def test_admin_login_with_a_superuser(django_user_model: Any) -> None:
    django_user_model.objects.create_superuser(email="Admin@Example.com", password="correct horse battery")
    client = Client()
    assert client.login(username="admin@example.com", password="correct horse battery")
    for path in ("/admin/", "/admin/account/user/", "/admin/account/user/?q=admin"):
        response = client.get(path)
        assert response.status_code == 200, path
    assert b"admin@example.com" in client.get("/admin/account/user/").content
