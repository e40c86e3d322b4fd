"""Kanban REST API, webhooks part (project admins): webhooks, ping, the delivery log and redelivery.

Strangers get 404 for every id, members below admin 403 (``services.access``).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from apps.kanban.api import serializers_webhooks as s
from apps.kanban.api.permissions import KanbanApiView, caller_id
from apps.kanban.models import Role, Webhook, WebhookDelivery
from apps.kanban.services import webhooks
from apps.kanban.services.access import project_access
from gau.api.pagination import CursorPagination
from gau.api.schema import errors


def webhook_out(webhook: Webhook) -> dict[str, Any]:
    return {
        "id": webhook.id,
        "project_id": webhook.project_id,
        "url": webhook.url,
        "events": webhook.events,
        "description": webhook.description,
        "is_active": webhook.is_active,
        "failing_since": webhook.failing_since,
        "disabled_at": webhook.disabled_at,
        "disabled_reason": webhook.disabled_reason,
        "created_at": webhook.created_at,
        "updated_at": webhook.updated_at,
    }


def delivery_out(delivery: WebhookDelivery) -> dict[str, Any]:
    pending = delivery.status == WebhookDelivery.Status.PENDING
    return {
        "id": delivery.id,
        "webhook_id": delivery.webhook_id,
        "event": delivery.event,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "next_attempt_at": delivery.next_attempt_at if pending else None,
        "last_error": delivery.last_error,
        "created_at": delivery.created_at,
        "finished_at": delivery.finished_at,
        "payload": json.loads(delivery.body),
        "attempt_log": [
            {
                "started_at": a.started_at,
                "status_code": a.status_code,
                "duration_ms": a.duration_ms,
                "response_excerpt": a.response_excerpt,
                "error": a.error,
                "succeeded": a.succeeded,
            }
            for a in delivery.attempt_log.all()
        ],
    }


def _valid(serializer: Any, data: Any) -> dict[str, Any]:
    form = serializer(data=data)
    form.is_valid(raise_exception=True)
    return dict(form.validated_data)


class WebhookListCreateApi(KanbanApiView):
    """The project's webhooks (newest first), or create one; the secret is in the 201 response only."""

    pagination_class = CursorPagination  # documents the list as the paginated envelope it answers

    @extend_schema(
        operation_id="kanban_webhooks_list", responses={200: s.WebhookOutput(many=True), **errors(401, 403, 404)}
    )
    def get(self, request: Request, project_id: uuid.UUID) -> Response:
        project_access(project_id=project_id, user_id=caller_id(request), role=Role.ADMIN)
        paginator = CursorPagination()
        page = paginator.paginate_queryset(Webhook.objects.filter(project_id=project_id), request, view=self) or []
        return paginator.get_paginated_response([s.WebhookOutput(webhook_out(w)).data for w in page])

    @extend_schema(
        operation_id="kanban_webhooks_create",
        request=s.WebhookCreateInput,
        responses={201: s.WebhookCreatedOutput, **errors(400, 401, 403, 404, 409)},
    )
    def post(self, request: Request, project_id: uuid.UUID) -> Response:
        data = _valid(s.WebhookCreateInput, request.data)
        webhook, secret = webhooks.webhook_create(user_id=caller_id(request), project_id=project_id, **data)
        body = s.WebhookCreatedOutput({**webhook_out(webhook), "secret": secret}).data
        return Response(body, status=status.HTTP_201_CREATED)


class WebhookDetailApi(KanbanApiView):
    """One webhook: read, edit (``is_active: true`` re-enables a disabled one), delete."""

    @extend_schema(operation_id="kanban_webhooks_retrieve", responses={200: s.WebhookOutput, **errors(401, 403, 404)})
    def get(self, request: Request, webhook_id: uuid.UUID) -> Response:
        webhook, _ = webhooks.webhook_access(webhook_id=webhook_id, user_id=caller_id(request))
        return Response(s.WebhookOutput(webhook_out(webhook)).data)

    @extend_schema(
        operation_id="kanban_webhooks_partial_update",
        request=s.WebhookUpdateInput,
        responses={200: s.WebhookOutput, **errors(400, 401, 403, 404)},
    )
    def patch(self, request: Request, webhook_id: uuid.UUID) -> Response:
        data = _valid(s.WebhookUpdateInput, request.data)
        webhook = webhooks.webhook_update(user_id=caller_id(request), webhook_id=webhook_id, fields=data)
        return Response(s.WebhookOutput(webhook_out(webhook)).data)

    @extend_schema(operation_id="kanban_webhooks_destroy", responses={204: None, **errors(401, 403, 404)})
    def delete(self, request: Request, webhook_id: uuid.UUID) -> Response:
        webhooks.webhook_delete(user_id=caller_id(request), webhook_id=webhook_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookPingApi(KanbanApiView):
    """Queue a ``ping`` delivery (also to a disabled webhook, to test a fix); 202 with the delivery."""

    @extend_schema(
        operation_id="kanban_webhooks_ping", request=None, responses={202: s.DeliveryOutput, **errors(401, 403, 404)}
    )
    def post(self, request: Request, webhook_id: uuid.UUID) -> Response:
        delivery = webhooks.ping(user_id=caller_id(request), webhook_id=webhook_id)
        return Response(s.DeliveryOutput(delivery_out(delivery)).data, status=status.HTTP_202_ACCEPTED)


class DeliveryListApi(KanbanApiView):
    """The webhook's deliveries, newest first, each with every attempt (status, duration, excerpt, error)."""

    pagination_class = CursorPagination  # documents the list as the paginated envelope it answers

    @extend_schema(
        operation_id="kanban_webhook_deliveries_list",
        responses={200: s.DeliveryOutput(many=True), **errors(401, 403, 404)},
    )
    def get(self, request: Request, webhook_id: uuid.UUID) -> Response:
        webhook, _ = webhooks.webhook_access(webhook_id=webhook_id, user_id=caller_id(request))
        paginator = CursorPagination()
        qs = WebhookDelivery.objects.filter(webhook=webhook).prefetch_related("attempt_log")
        page = paginator.paginate_queryset(qs, request, view=self) or []
        return paginator.get_paginated_response([s.DeliveryOutput(delivery_out(d)).data for d in page])


class DeliveryRedeliverApi(KanbanApiView):
    """Send a delivery again now (same id and body, fresh retry schedule); 409 if the webhook is disabled."""

    @extend_schema(
        operation_id="kanban_webhook_deliveries_redeliver",
        request=None,
        responses={202: s.DeliveryOutput, **errors(401, 403, 404, 409)},
    )
    def post(self, request: Request, delivery_id: uuid.UUID) -> Response:
        delivery = webhooks.redeliver(user_id=caller_id(request), delivery_id=delivery_id)
        return Response(s.DeliveryOutput(delivery_out(delivery)).data, status=status.HTTP_202_ACCEPTED)
