"""The outbox in-process: send() writes a row in the caller's transaction and delivers after commit."""

from __future__ import annotations

import uuid

import pytest
from django.db import transaction

from apps.email.models import OutboundEmail
from apps.email.services import InvalidContextError, InvalidRecipientError, UnknownTemplateError, email_service
from apps.email.tests.conftest import VERIFY


@pytest.mark.django_db(transaction=True)
def test_eager_send_delivers_after_commit(eager, smtp) -> None:
    email_id = email_service.send(template="account/verify_email", to="ana@example.com", context=VERIFY)
    assert isinstance(email_id, uuid.UUID)
    [message] = smtp.wait_for(1)
    row = OutboundEmail.objects.get(pk=email_id)
    assert row.status == OutboundEmail.Status.SENT
    assert row.attempts == 1
    assert row.smtp_response.startswith("250")
    assert message["Message-ID"] == row.message_id
    assert message["To"] == "ana@example.com"
    assert message["Subject"] == "Confirm your email address"


@pytest.mark.django_db(transaction=True)
def test_rolled_back_transaction_sends_nothing(eager, smtp) -> None:
    def register() -> None:
        with transaction.atomic():
            email_service.send(template="account/verify_email", to="rb@example.com", context=VERIFY)
            raise RuntimeError("registration failed")

    with pytest.raises(RuntimeError):
        register()
    assert not OutboundEmail.objects.exists()
    assert smtp.messages() == []


@pytest.mark.django_db(transaction=True)
def test_same_idempotency_key_sends_once(eager, smtp) -> None:
    first = email_service.send(
        template="account/verify_email", to="i@example.com", context=VERIFY, idempotency_key="k1"
    )
    second = email_service.send(
        template="account/verify_email", to="i@example.com", context=VERIFY, idempotency_key="k1"
    )
    assert first == second
    assert OutboundEmail.objects.count() == 1
    smtp.wait_for(1)
    assert len(smtp.messages()) == 1


@pytest.mark.django_db
def test_bad_input_is_refused() -> None:
    with pytest.raises(UnknownTemplateError):
        email_service.send(template="account/nope", to="a@example.com", context={})
    with pytest.raises(InvalidRecipientError):
        email_service.send(template="account/verify_email", to="not an address", context=VERIFY)
    with pytest.raises(InvalidContextError) as missing:
        email_service.send(template="account/verify_email", to="a@example.com", context={"display_name": "A"})
    assert missing.value.extra["missing"] == ["verify_url"]
    assert not OutboundEmail.objects.exists()
