"""Errors the account interface and API raise; codes are "account.<snake_case>"."""

from __future__ import annotations

from gau.rpc import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    ServiceUnavailableError,
    UnauthenticatedError,
)

__all__ = [
    "CsrfFailedError",
    "EmailNotVerifiedError",
    "EmailTakenError",
    "InvalidCredentialsError",
    "InvalidMfaCodeError",
    "InvalidPasswordError",
    "InvalidTokenError",
    "LoginThrottledError",
    "MfaStateError",
    "OAuthFailedError",
    "OAuthNotConfiguredError",
    "ResendThrottledError",
    "SessionRequiredError",
    "UserNotFoundError",
    "WrongPasswordError",
]


class UserNotFoundError(NotFoundError):
    code = "account.user_not_found"
    default_message = "No such user."


class EmailTakenError(ConflictError):
    code = "account.email_taken"
    default_message = "An account with this email address already exists."


class InvalidPasswordError(InvalidInputError):
    code = "account.invalid_password"
    default_message = "The password does not meet the requirements."


class InvalidCredentialsError(UnauthenticatedError):
    code = "account.invalid_credentials"
    default_message = "The email (or username or phone) and password do not match an account."


class EmailNotVerifiedError(PermissionDeniedError):
    code = "account.email_not_verified"
    default_message = "Verify your email address before signing in."


class LoginThrottledError(RateLimitedError):
    code = "account.login_throttled"
    default_message = "Too many failed sign-in attempts; try again later or use the unlock link we emailed."


class ResendThrottledError(RateLimitedError):
    code = "account.resend_throttled"
    default_message = "A verification email was requested for this address less than a minute ago."


class InvalidTokenError(InvalidInputError):
    code = "account.invalid_token"
    default_message = "This link or token is invalid, expired or already used."


class WrongPasswordError(InvalidInputError):
    code = "account.wrong_password"
    default_message = "The current password is not correct."


class InvalidMfaCodeError(UnauthenticatedError):
    code = "account.invalid_mfa_code"
    default_message = "The authentication code is not valid."


class MfaStateError(ConflictError):
    code = "account.mfa_state"
    default_message = "Two-factor authentication is not in the state this action needs."


class SessionRequiredError(PermissionDeniedError):
    code = "account.session_required"
    default_message = "This action needs a signed-in session; API keys cannot perform it."


class CsrfFailedError(PermissionDeniedError):
    code = "account.csrf_failed"
    default_message = "The CSRF token is missing or does not match."


class OAuthFailedError(UnauthenticatedError):
    code = "account.oauth_failed"
    default_message = "Sign-in with the identity provider failed."


class OAuthNotConfiguredError(ServiceUnavailableError):
    code = "account.oauth_not_configured"
    default_message = "Sign-in with this identity provider is not configured."
