"""Errors the email interface raises; codes are "email.<snake_case>"."""

from __future__ import annotations

__all__: list[str] = []
