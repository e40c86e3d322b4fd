"""Fixtures of the authz tests: process caches reset per test (rows they point at are rolled back)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from apps.authz import keys
from apps.authz.services.rbac import role_permissions
from apps.authz.services.verifier import jwks_cache


@pytest.fixture(autouse=True)
def _fresh_process_caches() -> Iterator[None]:
    from django.core.cache import cache

    keys._active.clear()
    jwks_cache.clear()
    role_permissions.clear()
    cache.delete_pattern("authz:*")  # type: ignore[attr-defined]  # django-redis
    yield
    keys._active.clear()
    jwks_cache.clear()
    role_permissions.clear()


@pytest.fixture
def user_id() -> uuid.UUID:
    return uuid.uuid4()
