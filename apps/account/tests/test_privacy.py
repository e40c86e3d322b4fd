"""DELETE me and GET me/export reach the email app: the outbox rows for the user's address are exported
(without message bodies or tokens) and, once delivered, deleted with the account."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.db import connection

from apps.account.models import KnownDevice
from apps.account.tests.conftest import PASSWORD
from apps.email.services import email_service
from gau.rpc.testing import transport_modes

EXPORT = "/api/v2/account/me/export"
ME = "/api/v2/account/me"

mode = transport_modes("email")


def _bearer(api_client: Any, email: str) -> Any:
    response = api_client.post("/api/v2/account/login", {"email": email, "password": PASSWORD}, format="json")
    assert response.status_code == 200, response.json()
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access_token']}")
    return api_client


def _wait_until_sent(address: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        statuses = {m.status for m in email_service.export_recipient_data(address=address)}
        if statuses == {"sent"}:
            return
        time.sleep(0.1)
    raise AssertionError(f"outbox rows for {address} not all sent: {statuses}")


@pytest.mark.worker
def test_export_then_delete_me_removes_the_outbox_rows(api_client, make_user, celery_worker, smtp) -> None:
    user = make_user("leaving@example.com")
    assert api_client.post("/api/v2/account/password/forgot", {"email": user.email}).status_code == 202
    (message,) = smtp.wait_for(1)
    assert "leaving@example.com" in str(message["To"])
    _wait_until_sent(user.email)  # delivered by the real worker through the SMTP sink

    client = _bearer(api_client, user.email)
    exported = client.get(EXPORT)
    assert exported.status_code == 200
    messages = exported.json()["email"]["messages"]
    assert [(m["template"], m["status"]) for m in messages] == [("account/password_reset", "sent")]
    assert messages[0]["sent_at"] is not None
    assert exported.json()["email"]["address"] == "leaving@example.com"
    assert "token=" not in exported.content.decode()  # no reset link in the export

    assert KnownDevice.objects.filter(user=user).exists()  # the sign-in above registered its device
    assert client.delete(ME).status_code == 204
    assert email_service.export_recipient_data(address="leaving@example.com") == []
    assert not KnownDevice.objects.filter(user=user).exists()


@pytest.mark.django_db(transaction=True)
def test_delete_me_and_export_call_the_email_interface(api_client, make_user, mode) -> None:
    """Both transports: rows the email app holds for the address are exported, then deleted with the account."""
    user = make_user("Mixed.Case@Example.com")
    other = make_user("stays@example.com")
    context = {"display_name": "M", "reset_url": "https://gau.example/password/reset?token=abc"}
    for address in (user.email, other.email):
        email_service.send(template="account/password_reset", to=address, context=context, idempotency_key=address)

    # Delivered (without a worker in this test: marked so in the email app's table directly).
    with connection.cursor() as cursor:
        cursor.execute("UPDATE email_outboundemail SET status = 'sent', sent_at = now()")

    client = _bearer(api_client, user.email)
    body = client.get(EXPORT).json()
    assert [m["template"] for m in body["email"]["messages"]] == ["account/password_reset"]
    assert "token=abc" not in str(body)

    assert [m["status"] for m in body["email"]["messages"]] == ["sent"]
    assert client.delete(ME).status_code == 204
    assert email_service.export_recipient_data(address="mixed.case@example.com") == []
    if mode is not None:
        assert "/internal/rpc/email/export_recipient_data/" in mode.calls
        assert "/internal/rpc/email/delete_recipient_data/" in mode.calls
    assert len(email_service.export_recipient_data(address=other.email)) == 1  # another user's mail stays
