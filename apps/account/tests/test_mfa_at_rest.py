"""The TOTP secret is encrypted at rest; SECRET_KEY rotation with fallbacks keeps MFA sign-in working;
the data migration seals secrets that were stored in plain text."""

from __future__ import annotations

from typing import Any

import pyotp
import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from rest_framework.test import APIClient

from apps.account import mfa
from apps.account.models import TotpDevice
from apps.account.tests.conftest import PASSWORD

LOGIN = "/api/v2/account/login"
LOGIN_MFA = "/api/v2/account/login/mfa"


def _enable(client: Any) -> tuple[str, list[str]]:
    secret = client.post("/api/v2/account/mfa/totp/setup").json()["secret"]
    response = client.post("/api/v2/account/mfa/totp/enable", {"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 200, response.json()
    return secret, response.json()["recovery_codes"]


def _next_code(user: Any, secret: str) -> str:
    device = TotpDevice.objects.get(user=user)
    return pyotp.TOTP(secret).at((device.last_used_step + 1) * 30)


def _mfa_login(user: Any, code: str) -> Any:
    anon = APIClient()
    step = anon.post(LOGIN, {"email": user.email, "password": PASSWORD}, format="json")
    assert step.status_code == 200, step.json()
    assert step.json()["mfa_required"] is True
    return anon.post(LOGIN_MFA, {"mfa_token": step.json()["mfa_token"], "code": code}, format="json")


@pytest.mark.django_db(transaction=True)
def test_secret_is_not_stored_in_plain_text_and_login_works(make_user, as_principal) -> None:
    user = make_user()
    secret, _ = _enable(as_principal(user))
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM account_totpdevice WHERE user_id = %s", [user.pk])
        row = cursor.fetchone()
    assert row is not None
    raw = " ".join(str(value) for value in row)
    assert secret not in raw
    assert secret.lower() not in raw.lower()
    assert mfa.open_secret(TotpDevice.objects.get(user=user).secret_encrypted) == secret
    # Two setups of the same secret would not even produce the same ciphertext (random IV).
    assert mfa.seal_secret(secret) != mfa.seal_secret(secret)

    ok = _mfa_login(user, _next_code(user, secret))
    assert ok.status_code == 200, ok.json()
    assert ok.json()["access_token"]


@pytest.mark.django_db(transaction=True)
def test_secret_key_rotation_with_fallback_still_decrypts(make_user, as_principal, settings) -> None:
    user = make_user()
    secret, codes = _enable(as_principal(user))
    old_key = settings.SECRET_KEY

    settings.SECRET_KEY = "rotated-" + "k" * 50
    settings.SECRET_KEY_FALLBACKS = [old_key]
    ok = _mfa_login(user, _next_code(user, secret))
    assert ok.status_code == 200, ok.json()
    # Recovery codes (HMAC under SECRET_KEY) survive the rotation too.
    assert _mfa_login(user, codes[0]).status_code == 200

    # Without the old key in the fallbacks the secret cannot be opened: a refusal (401), never a 500.
    settings.SECRET_KEY_FALLBACKS = []
    refused = _mfa_login(user, _next_code(user, secret))
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "account.invalid_mfa_code"


@pytest.mark.django_db(transaction=True)
def test_migration_seals_existing_plain_secrets(make_user) -> None:
    user = make_user()
    secret = pyotp.random_base32()
    before = [("account", "0002_tokens_mfa_identities")]
    after = [("account", "0003_totp_secret_encrypted")]
    executor = MigrationExecutor(connection)
    try:
        executor.migrate(before)
        old_apps = executor.loader.project_state(before).apps
        old_apps.get_model("account", "TotpDevice").objects.create(user_id=user.pk, secret=secret, last_used_step=0)
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(after)
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
    sealed = TotpDevice.objects.get(user=user).secret_encrypted
    assert secret not in sealed
    assert mfa.open_secret(sealed) == secret
    assert mfa.verify_code(user, pyotp.TOTP(secret).now()) is False  # not confirmed yet: not enabled
    TotpDevice.objects.filter(user=user).update(confirmed_at=user.created_at)
    assert mfa.verify_code(user, pyotp.TOTP(secret).now()) is True
