"""The outbox's Prometheus gauges, computed when a scrape asks (one aggregate query per scrape).

Registered by :class:`apps.email.apps.EmailConfig` in processes that serve the email app with
``GAU_METRICS`` on; several processes may report the same figures (read them with ``max``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from django.db import DatabaseError
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric

from apps.email import selectors

logger = logging.getLogger("gau.metrics")


class OutboxCollector:
    """``gau_email_outbox_depth{status}`` and ``gau_email_outbox_oldest_queued_age_seconds``."""

    def collect(self) -> Iterator[Metric]:
        try:
            backlog = selectors.outbox_backlog()
        except DatabaseError as exc:  # the scrape still answers; the gap in the series shows the outage
            logger.warning("metrics: outbox backlog unavailable: %s", exc)
            return
        depth = GaugeMetricFamily(
            "gau_email_outbox_depth", "Emails not yet delivered, by status (queued, sending)", labels=["status"]
        )
        for status, (count, _) in sorted(backlog.items()):
            depth.add_metric([status], count)
        yield depth
        oldest = backlog["queued"][1]
        age = max(0.0, (timezone.now() - oldest).total_seconds()) if oldest is not None else 0.0
        yield GaugeMetricFamily(
            "gau_email_outbox_oldest_queued_age_seconds",
            "Age of the oldest queued (undelivered, not being sent) email; 0 when none is queued",
            value=age,
        )


collector = OutboxCollector()
