"""email_service.send behaves the same in-process and over the signed RPC endpoint."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from apps.email.models import OutboundEmail
from apps.email.services import (
    EmailService,
    InvalidContextError,
    InvalidRecipientError,
    UnknownTemplateError,
    email_service,
)
from apps.email.tests.conftest import VERIFY
from gau.rpc.testing import transport_modes

pytestmark = pytest.mark.django_db


mode = transport_modes("email")


def test_handle_resolves_to_the_transport(mode) -> None:
    target = email_service.target()  # type: ignore[attr-defined]
    assert isinstance(target, EmailService)
    assert type(target).__name__ == ("LocalEmailService" if mode is None else "RemoteEmailService")


def test_send_writes_one_outbox_row(mode) -> None:
    send_at = datetime.now(UTC) + timedelta(days=1)
    email_id = email_service.send(
        template="kanban/task_due",
        to="Hoa@Example.com",
        context={"task_title": "Ship", "board_name": "Q4", "due_at": "tomorrow", "task_url": "/t/1"},
        locale="vi-VN",
        send_at=send_at,
    )
    assert isinstance(email_id, uuid.UUID)
    row = OutboundEmail.objects.get(pk=email_id)
    assert (row.template, row.to, row.locale, row.status) == ("kanban/task_due", "Hoa@Example.com", "vi", "queued")
    assert row.send_at == send_at
    assert row.next_attempt_at == send_at
    assert row.enqueued_at is None  # a day away: the sweeper publishes it when due
    if mode is not None:
        assert mode.calls == ["/internal/rpc/email/send/"]


def test_idempotency_key_gives_the_first_id(mode) -> None:
    first = email_service.send(template="account/verify_email", to="a@example.com", context=VERIFY, idempotency_key="x")
    again = email_service.send(template="account/verify_email", to="a@example.com", context=VERIFY, idempotency_key="x")
    other = email_service.send(template="account/verify_email", to="a@example.com", context=VERIFY, idempotency_key="y")
    assert first == again != other
    assert OutboundEmail.objects.count() == 2


def test_errors_are_the_same_classes(mode) -> None:
    with pytest.raises(UnknownTemplateError) as unknown:
        email_service.send(template="nope/nope", to="a@example.com", context={})
    assert unknown.value.code == "email.unknown_template"
    with pytest.raises(InvalidRecipientError):
        email_service.send(template="account/verify_email", to="a@@example", context=VERIFY)
    with pytest.raises(InvalidContextError) as bad:
        email_service.send(template="account/password_reset", to="a@example.com", context={"display_name": "A"})
    assert bad.value.extra == {"template": "account/password_reset", "missing": ["reset_url"]}
    assert not OutboundEmail.objects.exists()
