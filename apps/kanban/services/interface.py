"""The kanban service interface: typed, keyword-only methods; plain data in and out."""

from __future__ import annotations

import abc
import uuid
from typing import Any

from gau.rpc import Service, rpc_method


class KanbanService(Service):
    """Projects, boards, columns, tasks, members, labels, comments, due-date reminders, activity.

    Other apps need only the user-data methods below; the board itself is reached over the public API.
    """

    app = "kanban"
    local_implementation = "apps.kanban.services.local.LocalKanbanService"

    @rpc_method(idempotent=True)
    @abc.abstractmethod
    def delete_user_data(self, *, user_id: uuid.UUID) -> None:
        """Forget ``user_id`` in kanban: memberships and task assignments go.

        A project whose last owner leaves passes to its oldest admin, else oldest member, else oldest
        viewer, else is deleted. Comments and activity stay with the author/actor anonymised; invitations
        the user sent stay valid without naming them. Idempotent: a second call finds nothing to do.
        """

    @rpc_method(idempotent=True)
    @abc.abstractmethod
    def export_user_data(self, *, user_id: uuid.UUID) -> dict[str, Any]:
        """Kanban data about ``user_id`` as JSON-ready data: memberships, assigned tasks, comments. Idempotent."""
