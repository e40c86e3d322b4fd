"""The in-process implementation of :class:`EmailService`."""

from __future__ import annotations

import functools
import json
import uuid
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.email import catalog, conf
from apps.email.models import OutboundEmail
from apps.email.rendering import missing_keys
from apps.email.selectors import outbound_for_recipient
from apps.email.services.dto import OutboundEmailData
from apps.email.services.errors import InvalidContextError, InvalidRecipientError, UnknownTemplateError
from apps.email.services.interface import EmailService
from apps.email.tasks import coalescing, deliver, request_drain
from gau import tracing


class LocalEmailService(EmailService):
    """Implements the email interface on this process's database (the outbox)."""

    def send(
        self,
        *,
        template: str,
        to: str,
        context: dict[str, Any],
        idempotency_key: str | None = None,
        locale: str | None = None,
        send_at: datetime | None = None,
    ) -> uuid.UUID:
        if catalog.get(template) is None:
            raise UnknownTemplateError(template=template)
        address = to.strip()
        try:
            validate_email(address)
        except ValidationError:
            raise InvalidRecipientError() from None
        missing = missing_keys(template, context)
        if missing:
            raise InvalidContextError(template=template, missing=missing)
        try:
            json.dumps(context)
        except (TypeError, ValueError):
            raise InvalidContextError(template=template, missing=[]) from None

        if idempotency_key:
            existing = OutboundEmail.objects.filter(idempotency_key=idempotency_key).values_list("id", flat=True)
            found = existing.first()
            if found is not None:
                return found

        now = timezone.now()
        due = send_at if send_at is not None and send_at > now else now
        delay = (due - now).total_seconds()
        publish = delay <= conf.get().max_countdown
        row = OutboundEmail(
            template=template,
            to=address,
            context=context,
            locale=catalog.normalise_locale(locale),
            idempotency_key=idempotency_key or None,
            send_at=send_at,
            next_attempt_at=due,
            enqueued_at=due if publish else None,  # later: the sweeper publishes it when due
            traceparent=tracing.current_traceparent(),
        )
        if not idempotency_key:  # nothing unique but a fresh uuid: no race to lose, no savepoint
            row.save(force_insert=True)
        else:
            try:
                with transaction.atomic():  # a savepoint: a lost race must not break the caller's transaction
                    row.save(force_insert=True)
            except IntegrityError:  # a concurrent call with the same key committed first
                return OutboundEmail.objects.values_list("id", flat=True).get(idempotency_key=idempotency_key)
        if publish:
            # After the caller's transaction commits (never if it rolls back); eagerly in-process
            # when no broker is configured. Broker errors are logged, not raised (see OutboxTask).
            # Due now: a drain (shared by a burst of emails, see tasks.py) when it can be coalesced.
            if delay > 0:
                deliver.apply_async_safely_on_commit(str(row.pk), countdown=delay, traceparent=row.traceparent)
            elif coalescing():
                transaction.on_commit(functools.partial(request_drain, traceparent=row.traceparent))
            else:
                deliver.apply_async_safely_on_commit(str(row.pk), traceparent=row.traceparent)
        return row.pk

    def delete_recipient_data(self, *, address: str) -> int:
        # Deleted rather than anonymised: nothing in a finished row is needed once its recipient is gone,
        # and deletion cannot forget a column added later. Suppressions stay (see the interface).
        pending = (OutboundEmail.Status.QUEUED, OutboundEmail.Status.SENDING)
        deleted, _ = outbound_for_recipient(address=address).exclude(status__in=pending).delete()
        return deleted

    def export_recipient_data(self, *, address: str) -> list[OutboundEmailData]:
        rows = outbound_for_recipient(address=address).only(
            "id", "template", "status", "locale", "created_at", "sent_at"
        )
        return [
            OutboundEmailData(
                id=row.id,
                template=row.template,
                status=row.status,
                locale=row.locale,
                created_at=row.created_at,
                sent_at=row.sent_at,
            )
            for row in rows
        ]


__all__ = ["LocalEmailService"]
