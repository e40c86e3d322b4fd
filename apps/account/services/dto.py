"""Data the account interface takes and returns (frozen pydantic models)."""

from __future__ import annotations

import uuid
from datetime import datetime

from gau.rpc import DataModel

__all__ = ["UserData"]


class UserData(DataModel):
    """A user as other apps see them (no credentials)."""

    id: uuid.UUID
    email: str
    display_name: str
    locale: str
    timezone: str
    email_verified: bool
    is_active: bool
    avatar_file_id: uuid.UUID | None
    created_at: datetime
    #: The sign-in username (unique case-insensitively) or None; kanban matches ``@username`` mentions on it.
    username: str | None = None
