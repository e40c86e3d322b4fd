"""Read queries of the email app (HackSoft style: selectors read, services write)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Min, Q, QuerySet
from django.utils import timezone

from apps.email.models import OutboundEmail, Suppression


def outbound_get(*, email_id: uuid.UUID) -> OutboundEmail | None:
    """The outbox row with this id, or None."""
    return OutboundEmail.objects.filter(pk=email_id).first()


def suppression_active(*, address: str, now: datetime | None = None) -> Suppression | None:
    """The unexpired suppression for ``address`` (case-insensitive), or None."""
    now = now or timezone.now()
    return Suppression.objects.filter(address=address.strip().lower(), expires_at__gt=now).first()


def outbound_stuck(*, now: datetime, stuck_after: int, sending_lease: int) -> QuerySet[OutboundEmail]:
    """Rows the sweeper must re-enqueue.

    Queued rows that are due and were never published (scheduled / long retry) or were published more
    than ``stuck_after`` seconds ago without being picked up; ``sending`` rows whose attempt's lease
    ran out (the worker died).
    """
    queued = Q(status=OutboundEmail.Status.QUEUED, next_attempt_at__lte=now) & (
        Q(enqueued_at__isnull=True) | Q(enqueued_at__lte=now - timedelta(seconds=stuck_after))
    )
    sending = Q(status=OutboundEmail.Status.SENDING, sending_started_at__lte=now - timedelta(seconds=sending_lease))
    return OutboundEmail.objects.filter(queued | sending).order_by("next_attempt_at")


def outbound_failed(*, since: datetime | None = None) -> QuerySet[OutboundEmail]:
    """Failed rows (created at or after ``since``)."""
    rows = OutboundEmail.objects.filter(status=OutboundEmail.Status.FAILED)
    return rows.filter(created_at__gte=since) if since else rows


def outbound_counts(*, since: datetime) -> list[dict[str, Any]]:
    """``[{template, status, n}]`` for rows created since ``since``."""
    rows = (
        OutboundEmail.objects.filter(created_at__gte=since)
        .values("template", "status")
        .annotate(n=Count("id"))
        .order_by("template", "status")
    )
    return [dict(row) for row in rows]


def outbound_for_recipient(*, address: str) -> QuerySet[OutboundEmail]:
    """Outbox rows addressed to ``address`` (case-insensitive), newest first."""
    return OutboundEmail.objects.filter(to__iexact=address.strip()).order_by("-created_at", "-id")


def outbox_backlog() -> dict[str, tuple[int, datetime | None]]:
    """Rows not yet delivered, by status (``queued``, ``sending``): (count, oldest ``created_at``).
    One aggregate query on the (status, next_attempt_at) index; read by the metrics scrape."""
    backlog: dict[str, tuple[int, datetime | None]] = {
        OutboundEmail.Status.QUEUED: (0, None),
        OutboundEmail.Status.SENDING: (0, None),
    }
    rows = (
        OutboundEmail.objects.filter(status__in=list(backlog))
        .order_by()
        .values("status")
        .annotate(n=Count("id"), oldest=Min("created_at"))
    )
    for row in rows:
        backlog[row["status"]] = (row["n"], row["oldest"])
    return backlog
