from __future__ import annotations

import uuid
from typing import Any

import pytest

from apps.authz.services import PrincipalData


@pytest.fixture
def owner_id() -> uuid.UUID:
    return uuid.uuid4()


@pytest.fixture
def user_client(api_client: Any, owner_id: uuid.UUID) -> Any:
    """An API client authenticated as ``owner_id``."""
    api_client.force_authenticate(user=PrincipalData(user_id=owner_id, kind="user"))
    return api_client
