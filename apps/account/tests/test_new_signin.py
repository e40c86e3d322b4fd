"""A password sign-in from a device the user never used sends the account/new_signin notice (after commit,
through the email app and the real worker to the SMTP sink); known devices and the first device do not."""

from __future__ import annotations

import time
from typing import Any

import pyotp
import pytest

from apps.account.models import KnownDevice, TotpDevice
from apps.account.tests.conftest import PASSWORD
from apps.email.services import email_service

LOGIN = "/api/v2/account/login"


def _login(client: Any, email: str, *, device: str | None = None, agent: str = "pytest/1") -> Any:
    headers = {"User-Agent": agent, **({"X-Device-ID": device} if device else {})}
    response = client.post(LOGIN, {"email": email, "password": PASSWORD}, format="json", headers=headers)
    assert response.status_code == 200, response.json()
    return response


def _notices(address: str) -> list[Any]:
    return [m for m in email_service.export_recipient_data(address=address) if m.template == "account/new_signin"]


@pytest.mark.worker
def test_unknown_device_gets_a_notice_once(api_client, make_user, celery_worker, smtp) -> None:
    user = make_user("traveller@example.com", display_name="Trav")
    _login(api_client, user.email, device="laptop")  # the first device: no notice
    _login(api_client, user.email, device="laptop")  # known
    assert _notices(user.email) == []
    assert KnownDevice.objects.filter(user=user).count() == 1

    _login(api_client, user.email, device="phone", agent="Mozilla/5.0 (Phone)")
    (message,) = smtp.wait_for(1)
    assert "traveller@example.com" in str(message["To"])
    text = message.as_string()
    assert "Mozilla/5.0 (Phone)" in text
    assert "127.0.0.1" in text

    _login(api_client, user.email, device="phone", agent="Mozilla/5.0 (Phone)")  # now known
    # Without a device id the user agent names the device: a new browser is new.
    _login(api_client, user.email, agent="Firefox/200")
    messages = smtp.wait_for(2)
    assert "Firefox/200" in messages[1].as_string()
    time.sleep(1)
    assert len(smtp.messages()) == 2
    assert len(_notices(user.email)) == 2
    # Only fingerprints are stored, never the device id or user agent.
    stored = " ".join(KnownDevice.objects.filter(user=user).values_list("fingerprint", flat=True))
    assert "phone" not in stored
    assert "Firefox" not in stored


@pytest.mark.django_db(transaction=True)
def test_mfa_sign_in_from_a_new_device_also_notifies(api_client, make_user, as_principal) -> None:
    user = make_user()
    _login(api_client, user.email, device="laptop")
    client = as_principal(user)
    secret = client.post("/api/v2/account/mfa/totp/setup").json()["secret"]
    assert client.post("/api/v2/account/mfa/totp/enable", {"code": pyotp.TOTP(secret).now()}).status_code == 200
    step = _login(api_client, user.email, device="tablet").json()
    assert _notices(user.email) == []  # password alone is not a sign-in yet
    step_code = pyotp.TOTP(secret).at((TotpDevice.objects.get(user=user).last_used_step + 1) * 30)
    done = api_client.post("/api/v2/account/login/mfa", {"mfa_token": step["mfa_token"], "code": step_code})
    assert done.status_code == 200, done.json()
    assert len(_notices(user.email)) == 1


@pytest.mark.django_db(transaction=True)
def test_failed_password_does_not_register_a_device(api_client, make_user) -> None:
    user = make_user()
    _login(api_client, user.email, device="laptop")
    bad = api_client.post(
        LOGIN, {"email": user.email, "password": "wrong"}, format="json", headers={"X-Device-ID": "x"}
    )
    assert bad.status_code == 401
    assert KnownDevice.objects.filter(user=user).count() == 1
    assert _notices(user.email) == []
