"""Errors the authz interface raises; codes are "authz.<snake_case>"."""

from __future__ import annotations

from gau.rpc import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
    ServiceUnavailableError,
    UnauthenticatedError,
)

__all__ = [
    "ApiKeyLimitError",
    "ApiKeyNotFoundError",
    "InvalidScopeError",
    "InvalidTokenError",
    "MissingPermissionError",
    "RevocationCheckUnavailableError",
    "SessionNotFoundError",
    "TokenReusedError",
    "UnknownRoleError",
]


class InvalidTokenError(UnauthenticatedError):
    """The token or key is malformed, forged, expired, revoked or unknown (deliberately not saying which)."""

    code = "authz.invalid_token"
    default_message = "The token is invalid or has expired."


class TokenReusedError(UnauthenticatedError):
    """An already-rotated refresh token was presented: the whole session has been revoked."""

    code = "authz.token_reused"
    default_message = "This refresh token was already used; the session has been ended for safety."


class SessionNotFoundError(NotFoundError):
    code = "authz.session_not_found"
    default_message = "No such session."


class ApiKeyNotFoundError(NotFoundError):
    code = "authz.api_key_not_found"
    default_message = "No such API key."


class InvalidScopeError(InvalidInputError):
    code = "authz.invalid_scope"
    default_message = "Unknown scope; scopes look like '<app>:read' or '<app>:write'."


class MissingPermissionError(PermissionDeniedError):
    code = "authz.permission_denied"
    default_message = "You do not have permission to perform this action."


class RevocationCheckUnavailableError(ServiceUnavailableError):
    """The revoked-session store (Redis) cannot be reached and authz is configured to fail closed."""

    code = "authz.revocation_unavailable"
    default_message = "Sign-in cannot be checked right now; try again shortly."


class UnknownRoleError(InvalidInputError):
    code = "authz.unknown_role"
    default_message = "No such role."


class ApiKeyLimitError(ConflictError):
    code = "authz.api_key_limit"
    default_message = "You have too many API keys; delete one first."
