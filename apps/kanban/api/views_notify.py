"""Kanban REST API, notifications part: watching tasks and boards, and the caller's notification kinds."""

from __future__ import annotations

import uuid
from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from apps.kanban.api.permissions import KanbanApiView, caller_id
from apps.kanban.services import watching
from apps.kanban.services.errors import KanbanInvalidError
from gau.api.schema import errors

Data = dict[str, Any]


class WatchingOutput(serializers.Serializer[Data]):
    watching = serializers.BooleanField()


class NotificationPrefsSerializer(serializers.Serializer[Data]):
    """Each kind on (true) or off (false); PATCH is partial."""

    assigned = serializers.BooleanField(required=False, help_text="Assigned to a task, or a watched task's assignees.")
    mentioned = serializers.BooleanField(required=False, help_text="Mentioned as @username in a comment.")
    done = serializers.BooleanField(required=False, help_text="A watched task moved into a done column.")
    due = serializers.BooleanField(required=False, help_text="Due-date reminders and overdue notices.")


class TaskWatchApi(KanbanApiView):
    """``GET/POST/DELETE tasks/{id}/watch``: viewers and up; a non-member gets 404."""

    @extend_schema(operation_id="kanban_task_watch_read", responses={200: WatchingOutput, **errors(401, 403, 404)})
    def get(self, request: Request, task_id: uuid.UUID) -> Response:
        return Response({"watching": watching.task_watching(user_id=caller_id(request), task_id=task_id)})

    @extend_schema(
        operation_id="kanban_task_watch", request=None, responses={200: WatchingOutput, **errors(401, 403, 404)}
    )
    def post(self, request: Request, task_id: uuid.UUID) -> Response:
        return Response({"watching": watching.task_watch(user_id=caller_id(request), task_id=task_id, watch=True)})

    @extend_schema(operation_id="kanban_task_unwatch", responses={204: None, **errors(401, 403, 404)})
    def delete(self, request: Request, task_id: uuid.UUID) -> Response:
        watching.task_watch(user_id=caller_id(request), task_id=task_id, watch=False)
        return Response(status=status.HTTP_204_NO_CONTENT)


class BoardWatchApi(KanbanApiView):
    """``GET/POST/DELETE boards/{id}/watch``: viewers and up; a non-member gets 404."""

    @extend_schema(operation_id="kanban_board_watch_read", responses={200: WatchingOutput, **errors(401, 403, 404)})
    def get(self, request: Request, board_id: uuid.UUID) -> Response:
        return Response({"watching": watching.board_watching(user_id=caller_id(request), board_id=board_id)})

    @extend_schema(
        operation_id="kanban_board_watch", request=None, responses={200: WatchingOutput, **errors(401, 403, 404)}
    )
    def post(self, request: Request, board_id: uuid.UUID) -> Response:
        return Response({"watching": watching.board_watch(user_id=caller_id(request), board_id=board_id, watch=True)})

    @extend_schema(operation_id="kanban_board_unwatch", responses={204: None, **errors(401, 403, 404)})
    def delete(self, request: Request, board_id: uuid.UUID) -> Response:
        watching.board_watch(user_id=caller_id(request), board_id=board_id, watch=False)
        return Response(status=status.HTTP_204_NO_CONTENT)


class NotificationPrefsApi(KanbanApiView):
    """``GET/PATCH me/notifications``: the caller's kanban notification kinds (all on by default)."""

    @extend_schema(
        operation_id="kanban_notification_prefs_read",
        responses={200: NotificationPrefsSerializer, **errors(401, 403)},
    )
    def get(self, request: Request) -> Response:
        return Response(watching.prefs_get(user_id=caller_id(request)))

    @extend_schema(
        operation_id="kanban_notification_prefs_update",
        request=NotificationPrefsSerializer,
        responses={200: NotificationPrefsSerializer, **errors(400, 401, 403)},
        description='Partial: `{"mentioned": false}` turns mention emails off. Unknown keys: 400.',
    )
    def patch(self, request: Request) -> Response:
        unknown = set(request.data) - set(watching.PREF_KINDS) if isinstance(request.data, dict) else set()
        if unknown:
            raise KanbanInvalidError(
                "Unknown notification kinds.", fields={k: ["Unknown kind."] for k in sorted(unknown)}
            )
        body = NotificationPrefsSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        return Response(watching.prefs_update(user_id=caller_id(request), changes=dict(body.validated_data)))
