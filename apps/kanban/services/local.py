"""The in-process implementation of :class:`KanbanService`."""

from __future__ import annotations

from apps.kanban.services.interface import KanbanService


class LocalKanbanService(KanbanService):
    """Implements the kanban interface on this process's database."""
