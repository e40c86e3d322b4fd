"""Who may call the kanban API: an authenticated principal with ``kanban:read`` / ``kanban:write`` scope.

Project roles are checked by the services (``apps.kanban.services.access``), not here.
"""

from __future__ import annotations

import uuid
from typing import Any

from rest_framework import exceptions, permissions
from rest_framework.request import Request
from rest_framework.views import APIView

from apps.authz.services import PrincipalData


class IsKanbanPrincipal(permissions.BasePermission):
    """401 without a principal; 403 when an API key lacks ``kanban:read`` / ``kanban:write``."""

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if not isinstance(user, PrincipalData):
            raise exceptions.NotAuthenticated()
        if request.method in permissions.SAFE_METHODS:
            return user.allows("kanban", "read")
        return user.allows("kanban", "write")


class KanbanApiView(APIView):
    """Base of the kanban views: principal required; a missing one is 401 (with ``WWW-Authenticate``)."""

    permission_classes = [IsKanbanPrincipal]

    def get_authenticate_header(self, request: Request) -> str:
        return super().get_authenticate_header(request) or 'Bearer realm="api"'


def caller_id(request: Request) -> uuid.UUID:
    """The signed-in user's id (the permission class ran first)."""
    user = request.user
    assert isinstance(user, PrincipalData)
    return user.user_id
