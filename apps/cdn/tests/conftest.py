from __future__ import annotations

import uuid

import pytest
from django.core.cache import cache


@pytest.fixture
def owner_id() -> uuid.UUID:
    return uuid.uuid4()


@pytest.fixture(autouse=True)
def _clean_cache() -> None:
    cache.clear()
