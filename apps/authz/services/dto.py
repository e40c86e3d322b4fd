"""Data the authz interface takes and returns (frozen pydantic models)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from gau.rpc import DataModel

__all__ = ["ApiKeyCreatedData", "ApiKeyData", "PrincipalData", "SessionData", "TokenPairData"]


class PrincipalData(DataModel):
    """Who is calling: set as ``request.user`` by authz's DRF authentication classes in every app.

    ``scopes`` is ``None`` for a full session token; for an API key it lists ``<app>:read`` /
    ``<app>:write`` strings that limit what the key may do.
    """

    user_id: uuid.UUID
    kind: Literal["user", "api_key"]
    session_id: uuid.UUID | None = None
    api_key_id: uuid.UUID | None = None
    roles: frozenset[str] = frozenset()
    scopes: frozenset[str] | None = None

    @property
    def is_authenticated(self) -> bool:
        """DRF and Django check this; a principal always is."""
        return True

    @property
    def pk(self) -> uuid.UUID:
        """DRF's throttles key on ``request.user.pk``."""
        return self.user_id

    def allows(self, app: str, access: Literal["read", "write"]) -> bool:
        """Whether this principal's scopes permit ``access`` to ``app`` (sessions: always)."""
        if self.scopes is None:
            return True
        return f"{app}:{access}" in self.scopes or (access == "read" and f"{app}:write" in self.scopes)


class TokenPairData(DataModel):
    """An access JWT and its opaque refresh token, as returned by login and refresh."""

    access_token: str
    refresh_token: str
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105  # the OAuth token type, not a secret
    #: Lifetime of ``access_token`` in seconds.
    expires_in: int
    session_id: uuid.UUID


class SessionData(DataModel):
    """One sign-in session (a device), live or ended."""

    id: uuid.UUID
    created_at: datetime
    last_used_at: datetime | None
    user_agent: str
    ip: str | None
    device_id: str | None
    revoked_at: datetime | None
    #: Why it ended: "logout", "password_changed", "refresh_token_reused", "admin", "replaced",
    #: "session_limit"...
    revoked_reason: str
    #: When it ends on its own (its refresh tokens stop working); None from an older server.
    expires_at: datetime | None = None


class ApiKeyData(DataModel):
    """An API key as listed (never the secret)."""

    id: uuid.UUID
    name: str
    #: The first characters of the key, shown so the owner can recognise it.
    prefix: str
    scopes: frozenset[str]
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiKeyCreatedData(DataModel):
    """A new API key: ``key`` is the secret, returned this once and never stored in clear."""

    api_key: ApiKeyData
    key: str
