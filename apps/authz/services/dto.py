"""Data the authz interface takes and returns (frozen pydantic models)."""

from __future__ import annotations

import uuid
from typing import Literal

from gau.rpc import DataModel

__all__ = ["PrincipalData"]


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
