"""Data the email interface takes and returns (frozen pydantic models)."""

from __future__ import annotations

__all__: list[str] = []
