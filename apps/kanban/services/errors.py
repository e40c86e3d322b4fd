"""Errors the kanban interface raises; codes are "kanban.<snake_case>"."""

from __future__ import annotations

__all__: list[str] = []
