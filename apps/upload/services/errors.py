"""Errors the upload interface raises; codes are "upload.<snake_case>"."""

from __future__ import annotations

from gau.rpc import InvalidInputError, NotFoundError, ServiceError

__all__ = [
    "FileTooLargeError",
    "ImageTooLargeError",
    "InvalidImageError",
    "InvalidPurposeError",
    "QuotaExceededError",
    "UnsupportedFileTypeError",
    "UploadNotFoundError",
]


class UploadNotFoundError(NotFoundError):
    code = "upload.file_not_found"
    default_message = "No such file."


class InvalidPurposeError(InvalidInputError):
    code = "upload.invalid_purpose"
    default_message = "Unknown purpose; use avatar, image, attachment or file."


class FileTooLargeError(ServiceError):
    """``extra``: ``limit`` (bytes) and ``purpose``."""

    code = "upload.file_too_large"
    http_status = 413
    default_message = "The file is larger than this purpose allows."


class QuotaExceededError(ServiceError):
    """``extra``: ``quota``, ``used`` and ``remaining`` (bytes)."""

    code = "upload.quota_exceeded"
    http_status = 413
    default_message = "This upload would exceed your storage quota."


class UnsupportedFileTypeError(ServiceError):
    """``extra``: the sniffed ``content_type`` and the ``allowed`` types."""

    code = "upload.unsupported_type"
    http_status = 415
    default_message = "This type of file is not accepted for this purpose."


class InvalidImageError(InvalidInputError):
    code = "upload.invalid_image"
    default_message = "The image is corrupt, truncated or not what its content claims."


class ImageTooLargeError(ServiceError):
    """``extra``: ``max_pixels``."""

    code = "upload.image_too_large"
    http_status = 413
    default_message = "The image has more pixels than allowed."
