"""Errors the upload interface raises; codes are "upload.<snake_case>"."""

from __future__ import annotations

__all__: list[str] = []
