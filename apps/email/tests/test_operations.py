"""Delivery bookkeeping in-process (eager mode, real SMTP sink): render failures, the sweeper selection,
suppression expiry, retry command, stats command, admin preview."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from apps.email import delivery
from apps.email.models import OutboundEmail, Suppression
from apps.email.tests.conftest import VERIFY

pytestmark = pytest.mark.django_db(transaction=True)
Status = OutboundEmail.Status


def test_a_row_that_cannot_render_fails_with_a_clear_error(smtp) -> None:
    row = OutboundEmail.objects.create(template="account/verify_email", to="r@example.com", context={"x": 1})
    assert delivery.deliver(row.pk, eager=True) == "render-failed"
    row.refresh_from_db()
    assert row.status == Status.FAILED
    assert "needs context key(s) display_name, verify_url" in row.last_error
    assert smtp.messages() == []


def test_delivery_is_skipped_for_a_row_already_sent(smtp) -> None:
    row = OutboundEmail.objects.create(template="account/verify_email", to="s@example.com", context=VERIFY)
    assert delivery.deliver(row.pk, eager=True) == "sent"
    assert delivery.deliver(row.pk, eager=True) == "already-sent"
    assert len(smtp.wait_for(1)) == 1


def test_sweeper_selects_due_unpublished_and_abandoned_rows() -> None:
    from apps.email import selectors

    now = timezone.now()
    old = now - timedelta(minutes=10)
    lost = OutboundEmail.objects.create(template="email/test", to="a@example.com", context={"sent_at": "x"})
    OutboundEmail.objects.filter(pk=lost.pk).update(enqueued_at=old, next_attempt_at=old)
    scheduled = OutboundEmail.objects.create(template="email/test", to="b@example.com", context={"sent_at": "x"})
    OutboundEmail.objects.filter(pk=scheduled.pk).update(enqueued_at=None, next_attempt_at=now - timedelta(seconds=1))
    fresh = OutboundEmail.objects.create(template="email/test", to="c@example.com", context={"sent_at": "x"})
    OutboundEmail.objects.filter(pk=fresh.pk).update(enqueued_at=now, next_attempt_at=now)
    future = OutboundEmail.objects.create(template="email/test", to="d@example.com", context={"sent_at": "x"})
    OutboundEmail.objects.filter(pk=future.pk).update(enqueued_at=None, next_attempt_at=now + timedelta(hours=1))
    dead = OutboundEmail.objects.create(template="email/test", to="e@example.com", context={"sent_at": "x"})
    OutboundEmail.objects.filter(pk=dead.pk).update(status=Status.SENDING, sending_started_at=old)
    live = OutboundEmail.objects.create(template="email/test", to="f@example.com", context={"sent_at": "x"})
    OutboundEmail.objects.filter(pk=live.pk).update(status=Status.SENDING, sending_started_at=now)

    stuck = set(selectors.outbound_stuck(now=now, stuck_after=300, sending_lease=120).values_list("id", flat=True))
    assert stuck == {lost.pk, scheduled.pk, dead.pk}


def test_expired_suppression_no_longer_applies(smtp) -> None:
    Suppression.objects.create(address="old@example.com", expires_at=timezone.now() - timedelta(days=1))
    row = OutboundEmail.objects.create(template="account/verify_email", to="Old@example.com", context=VERIFY)
    assert delivery.deliver(row.pk, eager=True) == "sent"


def test_email_retry_failed_requeues_and_delivers(eager, smtp) -> None:
    row = OutboundEmail.objects.create(
        template="account/verify_email", to="f@example.com", context=VERIFY, status=Status.FAILED, attempts=6
    )
    old = OutboundEmail.objects.create(
        template="account/verify_email", to="g@example.com", context=VERIFY, status=Status.FAILED
    )
    OutboundEmail.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=3))
    out = StringIO()
    call_command("email_retry_failed", "--since", "24h", stdout=out)
    assert out.getvalue().strip() == "1 email(s) queued again"
    [message] = smtp.wait_for(1)
    assert message["To"] == "f@example.com"
    row.refresh_from_db()
    assert row.status == Status.SENT
    assert OutboundEmail.objects.get(pk=old.pk).status == Status.FAILED


def test_email_stats_counts_by_template_and_status() -> None:
    OutboundEmail.objects.create(template="email/test", to="a@example.com", status=Status.SENT)
    OutboundEmail.objects.create(template="email/test", to="b@example.com", status=Status.SENT)
    OutboundEmail.objects.create(template="account/verify_email", to="c@example.com", status=Status.FAILED)
    out = StringIO()
    call_command("email_stats", "--since", "1h", stdout=out)
    text = out.getvalue()
    assert "email/test" in text
    assert "account/verify_email" in text
    assert "total: failed=1, sent=2" in text


def test_send_test_email_command(eager, smtp) -> None:
    out = StringIO()
    call_command("send_test_email", "ops@example.com", "--locale", "vi", stdout=out)
    [message] = smtp.wait_for(1)
    assert message["Subject"] == "Email thử nghiệm của Gau"
    assert OutboundEmail.objects.get(pk=out.getvalue().strip()).status == Status.SENT


def test_admin_lists_previews_and_retries(client, smtp, eager) -> None:
    from django.contrib.auth import get_user_model

    admin = get_user_model().objects.create_superuser(email="admin@example.com", password="pw-admin-123")
    client.force_login(admin)
    row = OutboundEmail.objects.create(
        template="account/verify_email", to="h@example.com", context=VERIFY, status=Status.FAILED
    )
    listing = client.get("/admin/email/outboundemail/?status__exact=failed")
    assert listing.status_code == 200
    assert b"h@example.com" in listing.content
    page = client.get(f"/admin/email/outboundemail/{row.pk}/change/")
    assert page.status_code == 200
    assert b"Confirm your email address" in page.content
    assert b"srcdoc=" in page.content
    done = client.post(
        "/admin/email/outboundemail/", {"action": "retry", "_selected_action": [str(row.pk)]}, follow=True
    )
    assert b"1 email(s) queued again." in done.content
    smtp.wait_for(1)
    row.refresh_from_db()
    assert row.status == Status.SENT


def test_one_structured_log_line_per_attempt_without_body_or_address(smtp, caplog) -> None:
    row = OutboundEmail.objects.create(
        template="account/password_reset",
        to="secret-person@example.com",
        context={"display_name": "Ana", "reset_url": "/reset/SECRET-TOKEN"},
    )
    with caplog.at_level("INFO", logger="apps.email"):
        assert delivery.deliver(row.pk, eager=True) == "sent"
    [record] = [r for r in caplog.records if r.getMessage().startswith("email.attempt")]
    assert record.email_id == str(row.pk)
    assert record.template == "account/password_reset"
    assert record.attempt == 1
    assert record.outcome == "sent"
    line = record.getMessage()
    assert "SECRET-TOKEN" not in line
    assert "secret-person" not in line
    assert "Ana" not in line
