"""The authz service interface: typed, keyword-only methods; plain data in and out."""

from __future__ import annotations

import abc
import uuid
from datetime import datetime
from typing import Any

from apps.authz.services.dto import ApiKeyCreatedData, ApiKeyData, PrincipalData, SessionData, TokenPairData
from gau.rpc import Service, rpc_method


class AuthzService(Service):
    """JWT access/refresh tokens, rotation and revocation, sessions, roles and permissions, API keys, JWKS."""

    app = "authz"
    local_implementation = "apps.authz.services.local.LocalAuthzService"

    # --- Tokens -------------------------------------------------------------------------------

    @rpc_method
    @abc.abstractmethod
    def issue_tokens(
        self, *, user_id: uuid.UUID, device_id: str | None = None, user_agent: str = "", ip: str | None = None
    ) -> TokenPairData:
        """Start a session for a user the caller has already authenticated and return its first token pair.

        A new session with the same ``(user_id, device_id)`` replaces (revokes, reason ``"replaced"``) that
        device's previous live session. ``user_agent`` and ``ip`` are recorded for the session list.
        Not idempotent: each call creates a session.
        """

    @rpc_method
    @abc.abstractmethod
    def refresh_tokens(self, *, refresh_token: str) -> TokenPairData:
        """Rotate ``refresh_token``: return a new pair for the same session; the old refresh token dies.

        Raises ``InvalidTokenError`` for an unknown, expired or revoked token, ``TokenReusedError`` when an
        already-rotated token is presented outside the grace window (the session is then revoked, reason
        ``"refresh_token_reused"``, and the owner is alerted by email). Not idempotent, except that within
        ``AUTHZ_REFRESH_GRACE_SECONDS`` a replay of the just-rotated token returns the same new pair.
        """

    @rpc_method(idempotent=True)
    @abc.abstractmethod
    def authenticate_token(self, *, access_token: str) -> PrincipalData:
        """Verify an access JWT (signature, algorithm, kid, iss, aud, exp, nbf, session not revoked).

        Returns the principal (kind ``"user"``). Raises ``InvalidTokenError``. Idempotent.
        """

    @rpc_method(idempotent=True)
    @abc.abstractmethod
    def authenticate_api_key(self, *, api_key: str) -> PrincipalData:
        """Verify an API key and return its principal (kind ``"api_key"``, with scopes).

        Records the key's last use. Raises ``InvalidTokenError`` for unknown, revoked or expired keys.
        Idempotent.
        """

    @rpc_method(idempotent=True)
    @abc.abstractmethod
    def get_jwks(self) -> dict[str, Any]:
        """The public signing keys as a JWK Set (``{"keys": [...]}``), newest first. Idempotent."""

    # --- Sessions -----------------------------------------------------------------------------

    @rpc_method(idempotent=True)
    @abc.abstractmethod
    def list_sessions(self, *, user_id: uuid.UUID) -> list[SessionData]:
        """The user's sessions, newest first: live ones and those ended recently (with the reason). Idempotent."""

    @rpc_method(idempotent=True)
    @abc.abstractmethod
    def revoke_session(self, *, user_id: uuid.UUID, session_id: uuid.UUID, reason: str) -> None:
        """End one of the user's sessions at once (its access tokens stop working immediately).

        Raises ``SessionNotFoundError`` if the session does not exist or belongs to someone else.
        Idempotent: revoking an ended session keeps its first reason.
        """

    @rpc_method(idempotent=True)
    @abc.abstractmethod
    def revoke_all_sessions(
        self, *, user_id: uuid.UUID, reason: str, except_session_id: uuid.UUID | None = None
    ) -> int:
        """End every live session of the user except ``except_session_id``; returns how many ended. Idempotent."""

    # --- Roles and permissions ---------------------------------------------------------------

    @rpc_method(idempotent=True)
    @abc.abstractmethod
    def check_permission(self, *, user_id: uuid.UUID, permission: str) -> bool:
        """Whether any of the user's roles grants ``permission`` (e.g. ``"account.view_any_user"``). Idempotent."""

    @rpc_method(idempotent=True)
    @abc.abstractmethod
    def require_permission(self, *, user_id: uuid.UUID, permission: str) -> None:
        """Like :meth:`check_permission` but raises ``MissingPermissionError`` (403) when denied. Idempotent."""

    @rpc_method(idempotent=True)
    @abc.abstractmethod
    def list_role_permissions(self) -> dict[str, frozenset[str]]:
        """Every global role and the permission strings it grants (``"app.action"``, ``"app.*"``, ``"*"``).

        Processes cache this to check a principal's roles without a call per request. Idempotent.
        """

    @rpc_method(idempotent=True)
    @abc.abstractmethod
    def get_roles(self, *, user_id: uuid.UUID) -> frozenset[str]:
        """The user's global role names; every user has at least ``"user"``. Idempotent."""

    @rpc_method(idempotent=True)
    @abc.abstractmethod
    def set_roles(self, *, user_id: uuid.UUID, roles: frozenset[str]) -> frozenset[str]:
        """Replace the user's extra roles (``"user"`` is implicit); returns the result. Unknown role names raise
        ``UnknownRoleError``. Idempotent.
        """

    # --- API keys -----------------------------------------------------------------------------

    @rpc_method
    @abc.abstractmethod
    def create_api_key(
        self, *, user_id: uuid.UUID, name: str, scopes: frozenset[str], expires_at: datetime | None = None
    ) -> ApiKeyCreatedData:
        """Create an API key acting for ``user_id`` within ``scopes``; the secret is in the result only.

        Raises ``InvalidScopeError`` for scopes not of the form ``<app>:read|write``, ``ApiKeyLimitError`` (409)
        beyond 50 live keys. Not idempotent.
        """

    @rpc_method(idempotent=True)
    @abc.abstractmethod
    def list_api_keys(self, *, user_id: uuid.UUID) -> list[ApiKeyData]:
        """The user's API keys that are not revoked, newest first. Idempotent."""

    @rpc_method(idempotent=True)
    @abc.abstractmethod
    def revoke_api_key(self, *, user_id: uuid.UUID, api_key_id: uuid.UUID) -> None:
        """Revoke one of the user's keys. Raises ``ApiKeyNotFoundError`` for a stranger's key. Idempotent."""

    # --- The user's data -------------------------------------------------------------------------

    @rpc_method(idempotent=True)
    @abc.abstractmethod
    def delete_user_data(self, *, user_id: uuid.UUID) -> None:
        """Revoke and delete everything authz holds for the user (sessions, keys, roles). Idempotent."""

    @rpc_method(idempotent=True)
    @abc.abstractmethod
    def export_user_data(self, *, user_id: uuid.UUID) -> dict[str, Any]:
        """A JSON-ready export of the user's sessions, API keys (no secrets) and roles. Idempotent."""
