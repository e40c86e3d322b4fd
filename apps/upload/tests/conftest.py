from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from apps.authz.services import PrincipalData, clear_local_caches


@pytest.fixture(autouse=True)
def _fresh_authz_caches() -> Iterator[None]:
    """authz caches its signing key per process; rows it points at are rolled back between tests."""
    from django.core.cache import cache

    clear_local_caches()
    cache.delete_pattern("authz:*")  # type: ignore[attr-defined]  # django-redis
    yield
    clear_local_caches()


@pytest.fixture
def owner_id() -> uuid.UUID:
    return uuid.uuid4()


@pytest.fixture
def user_client(api_client: Any, owner_id: uuid.UUID) -> Any:
    """An API client authenticated as ``owner_id``."""
    api_client.force_authenticate(user=PrincipalData(user_id=owner_id, kind="user"))
    return api_client
