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


def test_me_fails_closed_and_profile_writes_do_not_happen(redis_down: None) -> None:
    """GET me (cached document, revocation) answers the typed 503; a profile write that could not
    invalidate the cached document is refused before it reaches the database."""
    from django.test import Client

    from apps.authz.services import authz_service

    user = User.objects.create_user(email="outage-me@example.com", password="correct horse battery")
    token = authz_service.issue_tokens(user_id=user.id, user_agent="pytest", ip="127.0.0.1").access_token
    response = Client(headers={"Authorization": f"Bearer {token}"}).get("/api/v2/account/me")
    assert response.status_code == 503, response.content  # the revocation check is the first to need Redis
    assert response["Retry-After"] == "5"
    assert response.json()["error"]["code"] == "authz.revocation_unavailable"
    user.display_name = "Not saved"
    with pytest.raises(Exception):  # noqa: B017, PT011  # the cache client's connection error
        user.save()
    user.refresh_from_db()
    assert user.display_name == ""
