"""Who may call the upload API: an authenticated principal (authz's PrincipalData) with upload scope."""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions, permissions
from rest_framework.request import Request
from rest_framework.views import APIView

from apps.authz.services import PrincipalData


class IsPrincipal(permissions.BasePermission):
    """401 without a principal; 403 when an API key lacks ``upload:read`` / ``upload:write``."""

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if not isinstance(user, PrincipalData):
            raise exceptions.NotAuthenticated()
        if request.method in permissions.SAFE_METHODS:
            return user.allows("upload", "read")
        return user.allows("upload", "write")


class PrincipalApiView(APIView):
    """Base of the upload views: principal required; a missing one is 401 (with ``WWW-Authenticate``)."""

    permission_classes = [IsPrincipal]

    def get_authenticate_header(self, request: Request) -> str:
        # DRF turns 401 into 403 when no authentication class offers a header; tokens are Bearer.
        return super().get_authenticate_header(request) or 'Bearer realm="api"'
