"""Errors the account interface raises; codes are "account.<snake_case>"."""

from __future__ import annotations

from gau.rpc import ConflictError, InvalidInputError, NotFoundError

__all__ = ["EmailTakenError", "InvalidPasswordError", "UserNotFoundError"]


class UserNotFoundError(NotFoundError):
    code = "account.user_not_found"
    default_message = "No such user."


class EmailTakenError(ConflictError):
    code = "account.email_taken"
    default_message = "An account with this email address already exists."


class InvalidPasswordError(InvalidInputError):
    code = "account.invalid_password"
    default_message = "The password does not meet the requirements."
