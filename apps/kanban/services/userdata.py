"""A user's kanban data: deletion and export (behind ``KanbanService``). Filled in by the kanban core work."""

from __future__ import annotations

import uuid
from typing import Any


def delete_user_data(*, user_id: uuid.UUID) -> None:
    raise NotImplementedError


def export_user_data(*, user_id: uuid.UUID) -> dict[str, Any]:
    raise NotImplementedError
