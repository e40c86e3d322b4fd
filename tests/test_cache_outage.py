"""Redis (the cache) unreachable: what used it fails closed with the typed 503, never a 500.

Found by the load-with-faults benchmark (bench/bench_load.py): while Redis restarted, sign-in and
password reset (their throttles count in Redis) and CDN variant misses answered 500."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.test.utils import override_settings

from apps.account.models import User
from apps.upload.services import upload_service
from tests.support import processes
from tests.support.images import image_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def redis_down() -> Iterator[None]:
    """The cache points at a port where nothing listens (as during a Redis restart)."""
    port = processes.free_port()
    caches = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
            "KEY_PREFIX": "gau",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5},
        }
    }
    with override_settings(CACHES=caches):
        yield


def _assert_typed_503(response: Any) -> None:
    assert response.status_code == 503, response.content
    assert response["Retry-After"] == "5"
    assert response.json()["error"]["code"] == "service_unavailable"
    assert response.json()["error"]["details"] == {"dependency": "cache"}


def test_sign_in_and_password_reset_fail_closed(api_client, redis_down: None) -> None:
    User.objects.create_user(email="outage@example.com", password="correct horse battery", email_verified=True)
    login = api_client.post(
        "/api/v2/account/login", {"email": "outage@example.com", "password": "correct horse battery"}, format="json"
    )
    _assert_typed_503(login)  # before the fix: 500
    _assert_typed_503(api_client.post("/api/v2/account/password/forgot", {"email": "outage@example.com"}))


def test_cdn_variant_miss_fails_closed(client, s3, redis_down: None) -> None:
    file = upload_service.create_file(owner_id=uuid.uuid4(), purpose="image", filename="p.jpg", data=image_bytes())
    key = file.url.rsplit("/", 1)[-1]
    _assert_typed_503(client.get(f"/images/{key}?w=64&format=webp"))  # before the fix: 500
