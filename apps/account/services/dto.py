"""Data the account interface takes and returns (frozen pydantic models)."""

from __future__ import annotations

import uuid
from datetime import datetime

from gau.rpc import DataModel

__all__ = ["PasswordCheckData", "UserData"]


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


class PasswordCheckData(DataModel):
    """The answer of a password check: the user, or (when the account has a second factor) the token of
    the pending step to finish with ``authenticate_mfa``."""

    user: UserData | None = None
    mfa_token: str | None = None
