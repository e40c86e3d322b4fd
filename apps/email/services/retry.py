"""Operator actions on the outbox (admin, commands): put rows back in the queue."""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from apps.email.models import OutboundEmail
from apps.email.tasks import deliver


def retry_rows(rows: QuerySet[OutboundEmail]) -> int:
    """Reset failed / suppressed rows to ``queued`` (attempts kept) and publish them after commit."""
    now = timezone.now()
    with transaction.atomic():
        ids = list(
            rows.select_for_update()
            .filter(status__in=[OutboundEmail.Status.FAILED, OutboundEmail.Status.SUPPRESSED])
            .values_list("id", flat=True)
        )
        OutboundEmail.objects.filter(pk__in=ids).update(
            status=OutboundEmail.Status.QUEUED,
            next_attempt_at=now,
            enqueued_at=now,
            attempt_token=None,
            dot_sent=False,
            updated_at=now,
        )
        for email_id in ids:
            deliver.delay_on_commit(str(email_id))
    return len(ids)
