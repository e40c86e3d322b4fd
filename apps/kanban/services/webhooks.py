"""Webhooks (project admins): create / edit / delete, ping, redeliver, and the in-transaction outbox.

:func:`outbox_hook` runs inside every recorded change's transaction (``changes.register_in_transaction``):
for each active webhook of the project subscribed to the event it writes a :class:`WebhookDelivery` row
holding the exact body that will be signed and sent, and publishes its delivery after commit. A
rolled-back change therefore sends nothing; a committed one always has its rows (the sweeper publishes
any whose publish was lost). Delivery itself is in :mod:`apps.kanban.services.webhook_delivery`.
"""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.kanban.models import Role, Webhook, WebhookDelivery
from apps.kanban.services import webhook_net
from apps.kanban.services.access import Access, project_access
from apps.kanban.services.changes import Event
from apps.kanban.services.errors import KanbanConflictError, KanbanInvalidError, KanbanNotFoundError
from gau import crypto, tracing

#: Events a webhook can subscribe to ("*" means all of them).
EVENTS: tuple[str, ...] = (
    "task.created",
    "task.updated",
    "task.moved",
    "task.deleted",
    "comment.created",
    "member.added",
    "member.removed",
    "board.created",
)
MAX_WEBHOOKS_PER_PROJECT = 20

_SALT = b"gau.kanban"
_INFO = b"webhook-secret"


def conf() -> dict[str, Any]:
    """The ``KANBAN_WEBHOOKS`` settings."""
    return dict(settings.KANBAN_WEBHOOKS)


def seal(secret: str) -> str:
    return crypto.encrypt(secret.encode("ascii"), salt=_SALT, info=_INFO).decode("ascii")


def unseal(sealed: str) -> str:
    """The plaintext secret. Raises ``gau.crypto.DecryptionError`` if no known key opens it."""
    return crypto.decrypt(sealed.encode("ascii"), salt=_SALT, info=_INFO).decode("ascii")


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _clean_events(value: Any) -> list[str]:
    if not isinstance(value, list) or not value or not all(isinstance(e, str) for e in value):
        raise KanbanInvalidError("Give a non-empty list of event names.", fields={"events": ["Give a non-empty list."]})
    unknown = sorted({e for e in value if e != "*" and e not in EVENTS})
    if unknown:
        message = f"Unknown events: {', '.join(unknown)}. Known: {', '.join(EVENTS)} or *."
        raise KanbanInvalidError(message, fields={"events": [message]})
    return ["*"] if "*" in value else [e for e in EVENTS if e in value]


def _clean_url(value: Any) -> str:
    try:
        webhook_net.check_url(value, allow_private=bool(conf()["ALLOW_PRIVATE"]))
    except webhook_net.UnsafeUrlError as exc:
        raise KanbanInvalidError(str(exc), fields={"url": [str(exc)]}) from None
    return str(value)


def _clean_description(value: Any) -> str:
    if not isinstance(value, str) or len(value) > 500:
        raise KanbanInvalidError("At most 500 characters.", fields={"description": ["At most 500 characters."]})
    return value.strip()


def webhook_access(*, webhook_id: uuid.UUID, user_id: uuid.UUID) -> tuple[Webhook, Access]:
    """The webhook and the caller's access: 404 for a missing webhook or a non-member, 403 below admin."""
    webhook = Webhook.objects.filter(pk=webhook_id).first()
    if webhook is None:
        raise KanbanNotFoundError()
    return webhook, project_access(project_id=webhook.project_id, user_id=user_id, role=Role.ADMIN)


def delivery_access(*, delivery_id: uuid.UUID, user_id: uuid.UUID) -> WebhookDelivery:
    """The delivery (with its webhook): 404 for a missing one or a non-member, 403 below admin."""
    delivery = WebhookDelivery.objects.select_related("webhook").filter(pk=delivery_id).first()
    if delivery is None:
        raise KanbanNotFoundError()
    project_access(project_id=delivery.webhook.project_id, user_id=user_id, role=Role.ADMIN)
    return delivery


def webhook_create(
    *, user_id: uuid.UUID, project_id: uuid.UUID, url: Any, events: Any, description: Any = ""
) -> tuple[Webhook, str]:
    """Create a webhook (admins); returns it and its signing secret, which is never shown again."""
    project_access(project_id=project_id, user_id=user_id, role=Role.ADMIN)
    fields = {"url": _clean_url(url), "events": _clean_events(events), "description": _clean_description(description)}
    secret = "whsec_" + secrets.token_urlsafe(32)
    with transaction.atomic():
        if Webhook.objects.filter(project_id=project_id).count() >= MAX_WEBHOOKS_PER_PROJECT:
            raise KanbanConflictError(f"A project can have at most {MAX_WEBHOOKS_PER_PROJECT} webhooks.")
        webhook = Webhook.objects.create(
            project_id=project_id, secret_sealed=seal(secret), created_by=user_id, **fields
        )
    return webhook, secret


def webhook_update(*, user_id: uuid.UUID, webhook_id: uuid.UUID, fields: Mapping[str, Any]) -> Webhook:
    """Change ``url``, ``events``, ``description`` or ``is_active`` (admins). Re-enabling clears the failure run."""
    webhook, _ = webhook_access(webhook_id=webhook_id, user_id=user_id)
    changed: dict[str, Any] = {}
    if "url" in fields:
        changed["url"] = _clean_url(fields["url"])
    if "events" in fields:
        changed["events"] = _clean_events(fields["events"])
    if "description" in fields:
        changed["description"] = _clean_description(fields["description"])
    if "is_active" in fields:
        if not isinstance(fields["is_active"], bool):
            raise KanbanInvalidError("Give true or false.", fields={"is_active": ["Give true or false."]})
        changed["is_active"] = fields["is_active"]
        if fields["is_active"] and not webhook.is_active:
            changed.update(failing_since=None, disabled_at=None, disabled_reason="")
        elif not fields["is_active"] and webhook.is_active:
            changed.update(disabled_at=timezone.now(), disabled_reason="disabled by an admin")
    for name, value in changed.items():
        setattr(webhook, name, value)
    webhook.updated_at = timezone.now()
    webhook.save(update_fields=[*changed, "updated_at"])
    return webhook


def webhook_delete(*, user_id: uuid.UUID, webhook_id: uuid.UUID) -> None:
    """Delete the webhook and its delivery log (admins); pending deliveries are dropped."""
    webhook, _ = webhook_access(webhook_id=webhook_id, user_id=user_id)
    webhook.delete()


def build_body(
    *,
    delivery_id: uuid.UUID,
    event: str,
    created_at: datetime,
    project_id: uuid.UUID,
    board_id: uuid.UUID | None,
    actor_id: uuid.UUID | None,
    data: dict[str, Any],
) -> str:
    """A delivery's JSON body (compact UTF-8): ``{id, event, created_at, project_id, board_id, actor_id, data}``."""
    payload = {
        "id": str(delivery_id),
        **event_fields(
            event=event,
            created_at=created_at,
            project_id=project_id,
            board_id=board_id,
            actor_id=actor_id,
            data=data,
        ),
    }
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False, default=str)


def event_fields(
    *,
    event: str,
    created_at: datetime,
    project_id: uuid.UUID,
    board_id: uuid.UUID | None,
    actor_id: uuid.UUID | None,
    data: dict[str, Any],
) -> dict[str, Any]:
    """An event as webhooks and live board events carry it (all but the ``id``, which each numbers its own)."""
    return {
        "event": event,
        "created_at": _iso(created_at),
        "project_id": str(project_id),
        "board_id": str(board_id) if board_id else None,
        "actor_id": str(actor_id) if actor_id else None,
        "data": data,
    }


def event_data(event: Event) -> dict[str, Any]:
    """The ``data`` of ``event`` as a delivery carries it (with ``task_id`` for task events)."""
    data = dict(event.data)
    if event.task_id is not None:
        data.setdefault("task_id", str(event.task_id))
    return data


def _subscribed(webhook: Webhook, event: str) -> bool:
    return "*" in webhook.events or event in webhook.events


def _publish_on_commit(delivery_ids: list[uuid.UUID]) -> None:
    from apps.kanban.services import webhook_delivery

    traceparent = tracing.current_traceparent()  # the change's trace, whatever is current at commit

    def publish() -> None:
        with tracing.attached(traceparent):
            for delivery_id in delivery_ids:
                webhook_delivery.schedule(delivery_id, countdown=0)

    transaction.on_commit(publish)


def outbox_hook(event: Event) -> None:
    """In the change's transaction: one delivery row per active webhook subscribed to ``event.verb``."""
    if event.verb not in EVENTS:
        return
    active = Webhook.objects.filter(project_id=event.project_id, is_active=True)
    hooks = [w for w in active if _subscribed(w, event.verb)]
    if not hooks:
        return
    data = event_data(event)
    now = timezone.now()
    traceparent = tracing.current_traceparent()
    rows = []
    for webhook in hooks:
        delivery_id = uuid.uuid4()
        body = build_body(
            delivery_id=delivery_id,
            event=event.verb,
            created_at=event.created_at,
            project_id=event.project_id,
            board_id=event.board_id,
            actor_id=event.actor_id,
            data=data,
        )
        rows.append(
            WebhookDelivery(
                id=delivery_id,
                webhook=webhook,
                event=event.verb,
                body=body,
                next_attempt_at=now,
                enqueued_at=now,
                traceparent=traceparent,
            )
        )
    WebhookDelivery.objects.bulk_create(rows)
    _publish_on_commit([row.id for row in rows])


def ping(*, user_id: uuid.UUID, webhook_id: uuid.UUID) -> WebhookDelivery:
    """Queue a ``ping`` delivery to the webhook (admins; also to a disabled one, to test a fix)."""
    webhook, _ = webhook_access(webhook_id=webhook_id, user_id=user_id)
    now = timezone.now()
    delivery_id = uuid.uuid4()
    body = build_body(
        delivery_id=delivery_id,
        event="ping",
        created_at=now,
        project_id=webhook.project_id,
        board_id=None,
        actor_id=user_id,
        data={"webhook_id": str(webhook.id), "events": webhook.events},
    )
    with transaction.atomic():
        delivery = WebhookDelivery.objects.create(
            id=delivery_id,
            webhook=webhook,
            event="ping",
            body=body,
            next_attempt_at=now,
            enqueued_at=now,
            traceparent=tracing.current_traceparent(),
        )
        _publish_on_commit([delivery.id])
    return delivery


def redeliver(*, user_id: uuid.UUID, delivery_id: uuid.UUID) -> WebhookDelivery:
    """Send a delivery again now, same id and body, with a fresh retry schedule (admins).

    A disabled webhook must be turned back on first (409), except for a ``ping``.
    """
    delivery = delivery_access(delivery_id=delivery_id, user_id=user_id)
    if not delivery.webhook.is_active and delivery.event != "ping":
        raise KanbanConflictError("The webhook is disabled; turn it back on (is_active: true) first.")
    now = timezone.now()
    with transaction.atomic():
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=WebhookDelivery.Status.PENDING,
            attempts=0,
            next_attempt_at=now,
            enqueued_at=now,
            lease_token=None,
            lease_until=None,
            finished_at=None,
            traceparent=tracing.current_traceparent(),  # the redelivery is a new intent: the admin's trace
        )
        _publish_on_commit([delivery.pk])
    delivery.refresh_from_db()
    return delivery
