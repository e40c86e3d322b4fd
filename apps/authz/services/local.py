"""The in-process implementation of :class:`AuthzService`."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from apps.authz.services.dto import ApiKeyCreatedData, ApiKeyData, PrincipalData, SessionData, TokenPairData
from apps.authz.services.interface import AuthzService


class LocalAuthzService(AuthzService):
    """Implements the authz interface on this process's database."""

    def issue_tokens(
        self, *, user_id: uuid.UUID, device_id: str | None = None, user_agent: str = "", ip: str | None = None
    ) -> TokenPairData:
        raise NotImplementedError

    def refresh_tokens(self, *, refresh_token: str) -> TokenPairData:
        raise NotImplementedError

    def authenticate_token(self, *, access_token: str) -> PrincipalData:
        raise NotImplementedError

    def authenticate_api_key(self, *, api_key: str) -> PrincipalData:
        raise NotImplementedError

    def get_jwks(self) -> dict[str, Any]:
        raise NotImplementedError

    def list_sessions(self, *, user_id: uuid.UUID) -> list[SessionData]:
        raise NotImplementedError

    def revoke_session(self, *, user_id: uuid.UUID, session_id: uuid.UUID, reason: str) -> None:
        raise NotImplementedError

    def revoke_all_sessions(
        self, *, user_id: uuid.UUID, reason: str, except_session_id: uuid.UUID | None = None
    ) -> int:
        raise NotImplementedError

    def check_permission(self, *, user_id: uuid.UUID, permission: str) -> bool:
        raise NotImplementedError

    def require_permission(self, *, user_id: uuid.UUID, permission: str) -> None:
        raise NotImplementedError

    def get_roles(self, *, user_id: uuid.UUID) -> frozenset[str]:
        raise NotImplementedError

    def set_roles(self, *, user_id: uuid.UUID, roles: frozenset[str]) -> frozenset[str]:
        raise NotImplementedError

    def create_api_key(
        self, *, user_id: uuid.UUID, name: str, scopes: frozenset[str], expires_at: datetime | None = None
    ) -> ApiKeyCreatedData:
        raise NotImplementedError

    def list_api_keys(self, *, user_id: uuid.UUID) -> list[ApiKeyData]:
        raise NotImplementedError

    def revoke_api_key(self, *, user_id: uuid.UUID, api_key_id: uuid.UUID) -> None:
        raise NotImplementedError

    def delete_user_data(self, *, user_id: uuid.UUID) -> None:
        raise NotImplementedError

    def export_user_data(self, *, user_id: uuid.UUID) -> dict[str, Any]:
        raise NotImplementedError
