"""Errors the authz interface raises; codes are "authz.<snake_case>"."""

from __future__ import annotations

__all__: list[str] = []
