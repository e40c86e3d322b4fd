"""TOTP setup, enable (hashed recovery codes), disable; each code accepted once."""

from __future__ import annotations

from typing import Any

import pyotp

from apps.account import mfa
from apps.account.models import RecoveryCode, TotpDevice


def _enable(client: Any) -> tuple[str, list[str]]:
    setup = client.post("/api/v2/account/mfa/totp/setup")
    assert setup.status_code == 200
    secret = setup.json()["secret"]
    assert setup.json()["otpauth_uri"].startswith("otpauth://totp/Gau:")
    response = client.post("/api/v2/account/mfa/totp/enable", {"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 200, response.json()
    return secret, response.json()["recovery_codes"]


def test_enable_stores_recovery_codes_hashed(make_user, as_principal) -> None:
    user = make_user()
    client = as_principal(user)
    _, codes = _enable(client)
    assert len(codes) == 10
    stored = set(RecoveryCode.objects.filter(user=user).values_list("code_hash", flat=True))
    assert not stored & set(codes)
    assert client.get("/api/v2/account/me").json()["mfa_enabled"] is True
    assert client.post("/api/v2/account/mfa/totp/setup").status_code == 409


def test_each_code_works_once(make_user, as_principal) -> None:
    user = make_user()
    secret, codes = _enable(as_principal(user))
    # The code used to enable is spent; the next step's code works once.
    device = TotpDevice.objects.get(user=user)
    totp = pyotp.TOTP(secret)
    code = totp.at((device.last_used_step + 1) * 30)
    assert mfa.verify_code(user, code) is True
    assert mfa.verify_code(user, code) is False
    assert mfa.verify_code(user, codes[0]) is True
    assert mfa.verify_code(user, codes[0]) is False
    assert mfa.verify_code(user, codes[1].upper()) is True  # case and dash do not matter
    assert mfa.remaining_recovery_codes(user) == 8


def test_wrong_code_and_disable(make_user, as_principal) -> None:
    user = make_user()
    client = as_principal(user)
    client.post("/api/v2/account/mfa/totp/setup")
    response = client.post("/api/v2/account/mfa/totp/enable", {"code": "12345x"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "account.invalid_mfa_code"
    TotpDevice.objects.filter(user=user).delete()
    _, codes = _enable(client)
    assert client.post("/api/v2/account/mfa/totp/disable", {"code": "bad"}).status_code == 401
    assert client.post("/api/v2/account/mfa/totp/disable", {"code": codes[3]}).status_code == 204
    assert mfa.is_enabled(user) is False
    assert client.post("/api/v2/account/mfa/totp/disable", {"code": codes[4]}).status_code == 409
