"""A test URLconf: authz routes, the RPC endpoint, and probe views using the DRF classes like other apps do."""

from __future__ import annotations

from typing import Any

from django.urls import URLPattern, URLResolver, include, path
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.authz.services import HasPermission, IsAuthenticatedPrincipal, PrincipalData


class KanbanProbeApi(APIView):
    """Stands in for another app's view: scopes are checked against ``authz_app``."""

    authz_app = "kanban"
    permission_classes = [IsAuthenticatedPrincipal]

    def get(self, request: Request) -> Response:
        principal: PrincipalData = request.user  # type: ignore[assignment]
        return Response({"user_id": str(principal.user_id), "kind": principal.kind})

    def post(self, request: Request) -> Response:
        return Response({"ok": True}, status=201)


class StaffProbeApi(APIView):
    authz_app = "kanban"
    permission_classes: list[Any] = [IsAuthenticatedPrincipal, HasPermission("authz.view_sessions")]

    def get(self, request: Request) -> Response:
        return Response({"ok": True})


urlpatterns: list[URLPattern | URLResolver] = [
    path("internal/rpc/", include("gau.rpc.urls")),
    path("api/v2/authz/", include("apps.authz.api.urls")),
    path("", include("apps.authz.api.root_urls")),
    path("probe/kanban", KanbanProbeApi.as_view()),
    path("probe/staff", StaffProbeApi.as_view()),
]
