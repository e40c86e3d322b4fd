"""The outbox gauges of the metrics scrape: depth by status and the oldest queued row's age."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from apps.email.metrics import collector
from apps.email.models import OutboundEmail
from gau.metrics import register_scrape_collector, scrape_collectors
from tests.support.metrics import METRICS_TOKEN, auth, value

pytestmark = pytest.mark.django_db


def _row(status: str, *, age: timedelta) -> OutboundEmail:
    row = OutboundEmail.objects.create(template="account.verify_email", to="a@example.com", status=status)
    OutboundEmail.objects.filter(pk=row.pk).update(created_at=timezone.now() - age)
    return row


def scrape() -> str:
    response = Client().get("/internal/metrics", headers=auth())
    assert response.status_code == 200
    return response.content.decode()


def test_outbox_depth_and_oldest_queued_age_follow_the_rows(settings) -> None:
    settings.GAU_METRICS = True
    settings.GAU_METRICS_TOKEN = METRICS_TOKEN
    register_scrape_collector(collector)
    register_scrape_collector(collector)
    assert scrape_collectors().count(collector) == 1

    empty = scrape()
    assert value(empty, "gau_email_outbox_depth", status="queued") == 0
    assert value(empty, "gau_email_outbox_oldest_queued_age_seconds") == 0

    for minutes in (1, 5, 2):
        _row("queued", age=timedelta(minutes=minutes))
    _row("sending", age=timedelta(hours=2))  # not queued: counted as sending, not in the queued age
    _row("sent", age=timedelta(days=1))
    _row("failed", age=timedelta(days=1))
    text = scrape()
    assert value(text, "gau_email_outbox_depth", status="queued") == 3
    assert value(text, "gau_email_outbox_depth", status="sending") == 1
    assert value(text, "gau_email_outbox_depth") == 4  # sent and failed rows are not backlog
    assert 300 <= value(text, "gau_email_outbox_oldest_queued_age_seconds") < 330

    OutboundEmail.objects.filter(status="queued").update(status="sent")
    drained = scrape()
    assert value(drained, "gau_email_outbox_depth", status="queued") == 0
    assert value(drained, "gau_email_outbox_oldest_queued_age_seconds") == 0


def test_registered_only_where_email_is_served_with_metrics_on(settings) -> None:
    from apps.email.apps import EmailConfig
    from gau import metrics

    saved = list(metrics._scrape_collectors)
    metrics._scrape_collectors.clear()
    try:
        app = EmailConfig.create("apps.email")
        settings.GAU_METRICS = False
        app.ready()
        assert collector not in scrape_collectors()
        settings.GAU_METRICS = True
        settings.GAU_SERVED_APPS = ("account", "authz")
        app.ready()
        assert collector not in scrape_collectors()
        settings.GAU_SERVED_APPS = ("email",)
        app.ready()
        assert collector in scrape_collectors()
    finally:
        metrics._scrape_collectors[:] = saved
