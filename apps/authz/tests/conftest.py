"""Fixtures of the authz tests: process caches reset per test (rows they point at are rolled back)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from apps.authz.services import clear_local_caches


@pytest.fixture(autouse=True)
def _fresh_process_caches() -> Iterator[None]:
    from django.core.cache import cache

    clear_local_caches()
    cache.delete_pattern("authz:*")  # type: ignore[attr-defined]  # django-redis
    yield
    clear_local_caches()


@pytest.fixture
def user_id() -> uuid.UUID:
    return uuid.uuid4()
