"""Who may do what in a project.

Access rule: every lookup by id goes through a ``*_for`` selector that joins the caller's membership, so a
stranger and a missing id get the same :class:`KanbanNotFoundError` (404), and a role below the one
required gets :class:`RoleRequiredError` (403) only once membership is established.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from apps.kanban.models import ROLE_RANK, Membership, Project
from apps.kanban.services.errors import KanbanNotFoundError, RoleRequiredError


@dataclass(frozen=True)
class Access:
    """The caller's standing in one project."""

    project: Project
    user_id: uuid.UUID
    role: str

    def at_least(self, role: str) -> bool:
        return ROLE_RANK[self.role] >= ROLE_RANK[role]

    def require(self, role: str) -> Access:
        """Raise 403 unless the caller's role is ``role`` or above; returns self for chaining."""
        if not self.at_least(role):
            raise RoleRequiredError(f"This needs the {role} role or above in the project.", required=role)
        return self


def membership_get(*, project_id: uuid.UUID, user_id: uuid.UUID) -> Membership | None:
    return Membership.objects.filter(project_id=project_id, user_id=user_id).first()


def project_access(*, project_id: uuid.UUID, user_id: uuid.UUID, role: str = "viewer") -> Access:
    """The caller's access to a project: 404 when not a member (or no such project), 403 below ``role``."""
    membership = Membership.objects.select_related("project").filter(project_id=project_id, user_id=user_id).first()
    if membership is None:
        raise KanbanNotFoundError()
    return Access(project=membership.project, user_id=user_id, role=membership.role).require(role)
