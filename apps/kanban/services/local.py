"""The in-process implementation of :class:`KanbanService`."""

from __future__ import annotations

import uuid
from typing import Any

from apps.kanban.services.interface import KanbanService


class LocalKanbanService(KanbanService):
    """Implements the kanban interface on this process's database."""

    def delete_user_data(self, *, user_id: uuid.UUID) -> None:
        from apps.kanban.services import userdata

        userdata.delete_user_data(user_id=user_id)

    def export_user_data(self, *, user_id: uuid.UUID) -> dict[str, Any]:
        from apps.kanban.services import userdata

        return userdata.export_user_data(user_id=user_id)
