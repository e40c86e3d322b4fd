"""Outboxes keep the trace of the request that wrote their row, also when their sweeper publishes later.

The live proof (OTLP spans of a real split deployment) is tests/e2e/test_topologies.py, where the
after-commit path runs; the sweeper path is checked here in-process. Tracing is off in this test process,
so :func:`gau.tracing.current_traceparent` and :func:`gau.tracing.attached` are replaced by a recorder:
what is checked is which trace each publication happens in.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from gau import tracing

pytestmark = pytest.mark.django_db(transaction=True)

REQUEST = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
SWEEPER = "00-11111111111111111111111111111111-2222222222222222-01"


class Traces:
    """Stands in for the tracing helpers: ``now`` is the current trace; ``attached`` switches it."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.now = REQUEST
        monkeypatch.setattr(tracing, "current_traceparent", lambda: self.now)
        monkeypatch.setattr(tracing, "attached", self.attached)

    @contextlib.contextmanager
    def attached(self, traceparent: str | None) -> Iterator[None]:
        before = self.now
        self.now = traceparent or before
        try:
            yield
        finally:
            self.now = before


@pytest.fixture
def traces(monkeypatch: pytest.MonkeyPatch) -> Traces:
    return Traces(monkeypatch)


def test_an_email_is_published_in_its_request_trace_after_commit_and_by_the_sweeper(
    traces: Traces, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    from apps.email import delivery
    from apps.email.models import OutboundEmail
    from apps.email.services.local import LocalEmailService
    from apps.email.tasks import deliver

    published: list[str] = []
    monkeypatch.setattr(deliver, "apply_async", lambda *args, **kwargs: published.append(traces.now))
    monkeypatch.setattr("apps.email.services.local.coalescing", lambda: False)  # one deliver per email
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        email_id = LocalEmailService().send(template="email/test", to="t@example.com", context={"sent_at": "x"})
    assert OutboundEmail.objects.get(pk=email_id).traceparent == REQUEST
    traces.now = SWEEPER  # commit callbacks may run when another context is current: still the request's
    for callback in callbacks:
        callback()
    assert published == [REQUEST]

    old = timezone.now() - timedelta(hours=1)
    OutboundEmail.objects.filter(pk=email_id).update(enqueued_at=old, next_attempt_at=old)
    assert delivery.sweep() == 1  # the beat task's own trace is current
    assert published == [REQUEST, REQUEST]


def test_a_deletion_pass_is_published_in_the_trace_of_the_deletion_request(
    traces: Traces, monkeypatch: pytest.MonkeyPatch
) -> None:
    from apps.account import deletion
    from apps.account.models import DeletionRequest
    from apps.account.tasks import finish_deletion

    published: list[str] = []
    monkeypatch.setattr(finish_deletion, "apply_async", lambda *args, **kwargs: published.append(traces.now))
    request = deletion.record(user_id=uuid.uuid4(), address="gone@example.com")
    assert DeletionRequest.objects.get(pk=request.pk).traceparent == REQUEST
    traces.now = SWEEPER
    assert deletion.sweep() == 1
    assert published == [REQUEST]


def test_without_tracing_rows_keep_no_trace_and_publishing_is_unchanged(monkeypatch: pytest.MonkeyPatch) -> None:
    from apps.account import deletion

    request = deletion.record(user_id=uuid.uuid4(), address="plain@example.com")
    assert request.traceparent == ""


def test_a_webhook_delivery_is_published_in_the_trace_of_the_change(
    traces: Traces, monkeypatch: pytest.MonkeyPatch, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from apps.kanban.models import WebhookDelivery
    from apps.kanban.services import webhook_delivery, webhooks
    from apps.kanban.tests.factories import make_world
    from apps.kanban.tests.test_webhooks_delivery import create_webhook

    settings.KANBAN_WEBHOOKS = {**settings.KANBAN_WEBHOOKS, "ALLOW_PRIVATE": True, "STUCK_AFTER": 60}
    published: list[str] = []
    monkeypatch.setattr(webhook_delivery, "schedule", lambda delivery_id, countdown: published.append(traces.now))
    world = make_world()
    hook = create_webhook(world, "http://127.0.0.1:9/hook")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        delivery = webhooks.ping(user_id=world.users["admin"], webhook_id=uuid.UUID(hook["id"]))
    assert WebhookDelivery.objects.get(pk=delivery.pk).traceparent == REQUEST
    traces.now = SWEEPER
    for callback in callbacks:
        callback()
    assert published == [REQUEST]

    old = timezone.now() - timedelta(minutes=5)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=old, enqueued_at=old)
    assert webhook_delivery.sweep() == 1
    assert published == [REQUEST, REQUEST]
