"""The kanban service interface: typed, keyword-only methods; plain data in and out."""

from __future__ import annotations

from gau.rpc import Service


class KanbanService(Service):
    """Projects, boards, columns, tasks, members, labels, comments, due-date reminders, activity."""

    app = "kanban"
    local_implementation = "apps.kanban.services.local.LocalKanbanService"
