"""Errors the kanban interface and API raise; codes are "kanban.<snake_case>"."""

from __future__ import annotations

from typing import ClassVar

from gau.rpc import ConflictError, InvalidInputError, NotFoundError, PermissionDeniedError, ServiceError

__all__ = [
    "ImportFileMissingError",
    "ImportFileTooLargeError",
    "ImportInvalidError",
    "InvitationInvalidError",
    "KanbanConflictError",
    "KanbanInvalidError",
    "KanbanNotFoundError",
    "LastOwnerError",
    "RoleRequiredError",
    "StaleVersionError",
    "WipLimitError",
]


class KanbanNotFoundError(NotFoundError):
    """Also what a non-member gets for an id that exists: membership is never revealed."""

    code = "kanban.not_found"
    default_message = "Not found."


class RoleRequiredError(PermissionDeniedError):
    code = "kanban.role_required"
    default_message = "Your role in this project does not allow this."


class LastOwnerError(ConflictError):
    code = "kanban.last_owner"
    default_message = "A project must keep at least one owner."


class WipLimitError(ConflictError):
    code = "kanban.wip_limit"
    default_message = "The column is at its work-in-progress limit."


class KanbanConflictError(ConflictError):
    code = "kanban.conflict"
    default_message = "The request conflicts with the current state of the board."


class StaleVersionError(ServiceError):
    """``If-Match`` named an older version; ``extra["current_version"]`` holds the current one."""

    code = "kanban.stale_version"
    http_status: ClassVar[int] = 412
    default_message = "The task was changed by someone else; reload it and try again."


class KanbanInvalidError(InvalidInputError):
    code = "kanban.invalid"
    default_message = "The input is not valid."


class InvitationInvalidError(InvalidInputError):
    """The invitation token is unknown, used, expired, or for another address (one answer for all)."""

    code = "kanban.invitation_invalid"
    default_message = "This invitation is not valid for your account. It may have expired or been used."


class ImportInvalidError(KanbanInvalidError):
    """An import file is not a board export we can read; the message names the first problems and
    ``extra["problems"]`` lists up to 20 as ``{location, problem}``."""

    code = "kanban.import_invalid"
    default_message = "The file is not a valid Trello board export."


class ImportFileTooLargeError(ServiceError):
    """``extra["limit"]``: the largest file accepted, in bytes."""

    code = "kanban.import_too_large"
    http_status: ClassVar[int] = 413
    default_message = "The file is larger than the 50 MiB an import accepts."


class ImportFileMissingError(ServiceError):
    code = "kanban.import_file_missing"
    default_message = "The uploaded file is no longer in storage; upload it again."
