"""delete_recipient_data / export_recipient_data behave the same in-process and over the signed RPC endpoint."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.email.models import OutboundEmail, Suppression
from apps.email.services import OutboundEmailData, email_service
from apps.email.tests.conftest import VERIFY
from gau.rpc.testing import transport_modes

pytestmark = pytest.mark.django_db

mode = transport_modes("email")

RESET = {"display_name": "Ana", "reset_url": "https://gau.example/password/reset?token=S3CRET-reset-token"}


def _rows(address: str) -> dict[str, OutboundEmail]:
    """One row per status for ``address`` (queued as sent, then moved to its status in the database)."""
    rows = {}
    for status in OutboundEmail.Status.values:
        email_id = email_service.send(template="account/password_reset", to=address, context=RESET)
        sent_at = timezone.now() if status == OutboundEmail.Status.SENT else None
        OutboundEmail.objects.filter(pk=email_id).update(status=status, sent_at=sent_at)
        rows[status] = OutboundEmail.objects.get(pk=email_id)
    return rows


def test_export_lists_the_address_mail_without_bodies_or_tokens(mode) -> None:
    mine = _rows("Ana@Example.com")
    email_service.send(template="account/verify_email", to="someone.else@example.com", context=VERIFY)
    exported = email_service.export_recipient_data(address="ana@EXAMPLE.com ")  # case-insensitive
    assert all(isinstance(m, OutboundEmailData) for m in exported)
    assert {m.id for m in exported} == {row.id for row in mine.values()}
    assert {m.status for m in exported} == set(OutboundEmail.Status.values)
    sent = next(m for m in exported if m.status == "sent")
    assert sent.template == "account/password_reset"
    assert sent.sent_at == mine["sent"].sent_at
    assert sent.created_at == mine["sent"].created_at
    dumped = str([m.model_dump(mode="json") for m in exported])
    assert "S3CRET" not in dumped
    assert "reset_url" not in dumped
    assert set(exported[0].model_dump()) == {"id", "template", "status", "locale", "created_at", "sent_at"}
    assert [m.created_at for m in exported] == sorted((m.created_at for m in exported), reverse=True)
    assert email_service.export_recipient_data(address="nobody@example.com") == []
    if mode is not None:
        assert mode.calls[-1] == "/internal/rpc/email/export_recipient_data/"


def test_delete_keeps_pending_rows_other_addresses_and_suppressions(mode) -> None:
    mine = _rows("Ana@Example.com")
    other = email_service.send(template="account/verify_email", to="someone.else@example.com", context=VERIFY)
    OutboundEmail.objects.filter(pk=other).update(status="sent")
    Suppression.objects.create(
        address="ana@example.com", reason="550 no such user", expires_at=timezone.now() + timedelta(days=30)
    )

    assert email_service.delete_recipient_data(address="ANA@example.com") == 3  # sent, failed, suppressed
    left = set(OutboundEmail.objects.filter(to__iexact="ana@example.com").values_list("status", flat=True))
    assert left == {"queued", "sending"}  # still owned by delivery: finished first, removable later
    assert OutboundEmail.objects.filter(pk=other).exists()
    assert Suppression.objects.filter(address="ana@example.com").exists()  # protects the address
    assert email_service.delete_recipient_data(address="ana@example.com") == 0  # idempotent

    # Once delivery finished, a later call removes the rest.
    OutboundEmail.objects.filter(pk__in=[mine["queued"].pk, mine["sending"].pk]).update(status="sent")
    assert email_service.delete_recipient_data(address="ana@example.com") == 2
    assert email_service.export_recipient_data(address="ana@example.com") == []
    if mode is not None:
        assert "/internal/rpc/email/delete_recipient_data/" in mode.calls
