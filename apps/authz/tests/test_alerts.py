"""Refresh-token reuse emails the owner a security alert (through the account and email interfaces).

No skips: the email app is built, and a broken email interface must fail here, not skip. The alert's
failure is real in the second test: the app it needs is unreachable (a closed port over the signed
RPC transport), exactly what a split deployment sees when it is down.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.test.utils import override_settings

from apps.account.services import account_service
from apps.authz.services import TokenReusedError, authz_service
from apps.email.services import email_service
from tests.support import processes


@pytest.mark.django_db(transaction=True)
def test_reuse_sends_a_security_alert(celery_worker: Any, smtp: Any) -> None:
    user = account_service.create_user(email="victim@example.com", password="correct horse battery", display_name="Vi")
    pair = authz_service.issue_tokens(user_id=user.id)
    authz_service.refresh_tokens(refresh_token=pair.refresh_token)
    with pytest.raises(TokenReusedError):
        authz_service.refresh_tokens(refresh_token=pair.refresh_token)
    (message,) = smtp.wait_for(1)
    assert message["To"] == "victim@example.com"
    assert "used twice" in message.get_body(preferencelist=("plain",)).get_content()
    sent = email_service.export_recipient_data(address="victim@example.com")
    assert [e.template for e in sent] == ["account/security_alert"]


@pytest.mark.parametrize("down", ["email", "account"])
@pytest.mark.django_db(transaction=True)
def test_reuse_is_refused_even_if_the_alert_cannot_be_sent(down: str, caplog: pytest.LogCaptureFixture) -> None:
    """The 401 and the revocation never depend on email or account being reachable."""
    user = account_service.create_user(email="v2@example.com", password="correct horse battery")
    pair = authz_service.issue_tokens(user_id=user.id)
    authz_service.refresh_tokens(refresh_token=pair.refresh_token)
    dead = f"http://127.0.0.1:{processes.free_port()}"  # nothing listens: connection refused
    with (
        override_settings(GAU_SERVICE_URLS={down: dead}, GAU_RPC_TIMEOUT=2),
        caplog.at_level(logging.ERROR, logger="gau.authz"),
        pytest.raises(TokenReusedError),
    ):
        authz_service.refresh_tokens(refresh_token=pair.refresh_token)
    assert authz_service.list_sessions(user_id=user.id)[0].revoked_reason == "refresh_token_reused"
    failed = [r for r in caplog.records if "could not send the refresh-reuse alert" in r.getMessage()]
    assert len(failed) == 1, "the alert must really have failed"
    assert failed[0].exc_info is not None
    assert email_service.export_recipient_data(address="v2@example.com") == []  # no alert was recorded
