"""Errors the email interface raises; codes are "email.<snake_case>"."""

from __future__ import annotations

from gau.rpc import InvalidInputError

__all__ = ["InvalidContextError", "InvalidRecipientError", "UnknownTemplateError"]


class UnknownTemplateError(InvalidInputError):
    code = "email.unknown_template"
    default_message = "There is no email template with this name."


class InvalidRecipientError(InvalidInputError):
    code = "email.invalid_recipient"
    default_message = "The recipient address is not valid."


class InvalidContextError(InvalidInputError):
    code = "email.invalid_context"
    default_message = "The context lacks values the template needs, or is not JSON-serialisable."
