"""Errors the cdn interface raises; codes are "cdn.<snake_case>"."""

from __future__ import annotations

__all__: list[str] = []
