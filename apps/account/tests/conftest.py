"""Fixtures of the account tests: users, authenticated clients, Argon2 on demand."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.core.cache import cache

from apps.account.models import User
from apps.authz.services import PrincipalData

PASSWORD = "correct horse battery staple 42"


@pytest.fixture(autouse=True)
def _clean_cache() -> None:
    """Throttle counters live in Redis: every test starts from none."""
    cache.clear()


@pytest.fixture
def make_user(db: None) -> Callable[..., User]:
    def make(email: str | None = None, *, password: str = PASSWORD, verified: bool = True, **fields: Any) -> User:
        return User.objects.create_user(
            email=email or f"u{uuid.uuid4().hex[:10]}@example.com",
            password=password,
            email_verified=verified,
            display_name=fields.pop("display_name", "Test User"),
            **fields,
        )

    return make


@pytest.fixture
def as_principal(api_client: Any) -> Callable[..., Any]:
    """Authenticate ``api_client`` as a principal for ``user`` (session, or an API key with scopes)."""

    def login(user: User, *, scopes: frozenset[str] | None = None, session_id: uuid.UUID | None = None) -> Any:
        kind = "user" if scopes is None else "api_key"
        principal = PrincipalData(
            user_id=user.id,
            kind=kind,
            session_id=session_id or (uuid.uuid4() if kind == "user" else None),
            api_key_id=uuid.uuid4() if kind == "api_key" else None,
            roles=frozenset({"user"}),
            scopes=scopes,
        )
        api_client.force_authenticate(user=principal)
        return api_client

    return login


@pytest.fixture
def argon2(settings: Any) -> None:
    """Hash with Argon2 as production does (the test settings use MD5 for speed)."""
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.Argon2PasswordHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]
