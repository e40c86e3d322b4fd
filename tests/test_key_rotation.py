"""Rotating SECRET_KEY (old value in SECRET_KEY_FALLBACKS) and GAU_INTERNAL_KEYS loses nothing, end to end.

State is made by this process under the old keys (a TOTP secret sealed with ``gau.crypto``, the authz
signing key wrapped likewise, a signed private-file URL from ``gau.blobs``); then a real server process
starts with the rotated keys, configured only through its environment, and must still accept all of it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pyotp
import pytest

from apps.account.models import TotpDevice, User
from apps.account.services import account_service
from apps.authz.services import authz_service
from apps.upload.services import upload_service
from conftest import ServerFactory
from gau import blobs
from gau.rpc import RpcAuthenticationError
from gau.rpc import client as rpc_client

pytestmark = pytest.mark.live

PASSWORD = "correct horse battery staple 42"
NEW_SECRET_KEY = "gau-rotated-secret-key-for-the-rotation-test-0000000000"
NEW_INTERNAL_KEY = "gau-rotated-internal-key-for-the-rotation-test-000000"


@pytest.fixture
def real_http() -> Iterator[None]:
    previous = rpc_client.set_transport(rpc_client.HttpxTransport())
    yield
    rpc_client.set_transport(previous)


def _user_with_mfa(api_client) -> tuple[User, str]:
    """A verified user who enabled TOTP through the API of this process (old SECRET_KEY)."""
    email = f"rot-{uuid.uuid4().hex[:10]}@example.com"
    created = account_service.create_user(email=email, password=PASSWORD, display_name="Rot")
    User.objects.filter(pk=created.id).update(email_verified=True)
    tokens = authz_service.issue_tokens(user_id=created.id, user_agent="pytest", ip="127.0.0.1")
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens.access_token}")
    secret = api_client.post("/api/v2/account/mfa/totp/setup").json()["secret"]
    enabled = api_client.post("/api/v2/account/mfa/totp/enable", {"code": pyotp.TOTP(secret).now()})
    assert enabled.status_code == 200, enabled.json()
    return User.objects.get(pk=created.id), secret


def _mfa_login(base_url: str, user: User, secret: str) -> httpx.Response:
    step = httpx.post(f"{base_url}/api/v2/account/login", json={"email": user.email, "password": PASSWORD}, timeout=20)
    assert step.status_code == 200, step.text
    assert step.json()["mfa_required"] is True
    device = TotpDevice.objects.get(user=user)
    code = pyotp.TOTP(secret).at((device.last_used_step + 1) * 30)
    return httpx.post(
        f"{base_url}/api/v2/account/login/mfa", json={"mfa_token": step.json()["mfa_token"], "code": code}, timeout=20
    )


def test_secret_key_rotation_keeps_mfa_signed_urls_and_internal_calls(
    gau_server: ServerFactory, settings, api_client, real_http: None
) -> None:
    old_secret_key = settings.SECRET_KEY
    old_internal_keys = settings.GAU_INTERNAL_KEYS
    user, secret = _user_with_mfa(api_client)
    private = upload_service.create_file(
        owner_id=user.id, purpose="attachment", filename="notes.txt", data=b"kept across the rotation\n"
    )
    signed = urlsplit(private.url)
    assert "sig=" in signed.query
    key = signed.path.rsplit("/", 1)[-1]

    # The rotated deployment: new SECRET_KEY (old one only in the fallbacks), a new internal key first.
    rotated = gau_server(
        SECRET_KEY=NEW_SECRET_KEY,
        SECRET_KEY_FALLBACKS=old_secret_key,
        GAU_INTERNAL_KEYS=",".join([NEW_INTERNAL_KEY, *old_internal_keys]),
    )

    # MFA sign-in: the TOTP secret (and the authz signing key) were sealed under the old SECRET_KEY.
    ok = _mfa_login(rotated, user, secret)
    assert ok.status_code == 200, ok.text
    assert ok.json()["access_token"]

    # The private file's URL was signed under the old SECRET_KEY.
    got = httpx.get(f"{rotated}{signed.path}?{signed.query}", timeout=20)
    assert got.status_code == 200, got.text
    assert got.content == b"kept across the rotation\n"
    tampered = httpx.get(f"{rotated}{signed.path}?{signed.query.replace('sig=', 'sig=0')}", timeout=20)
    assert tampered.status_code == 403

    # Internal calls: a process still signing with an older internal key is accepted during the rotation...
    settings.GAU_SERVICE_URLS = {"account": rotated}
    settings.GAU_INTERNAL_KEYS = (old_internal_keys[-1],)
    assert account_service.get_user(user_id=user.id) is not None
    # ...and a key that was never listed is refused, as a 503-class error, not as missing data.
    settings.GAU_INTERNAL_KEYS = ("gau-never-configured-internal-key-000000000000",)
    with pytest.raises(RpcAuthenticationError):
        account_service.get_user(user_id=user.id)

    # In this process: the old signature verifies only while the old key is a fallback.
    settings.SECRET_KEY = NEW_SECRET_KEY
    settings.SECRET_KEY_FALLBACKS = [old_secret_key]
    params = dict(pair.split("=", 1) for pair in signed.query.split("&"))
    assert blobs.verify_signature(key, params) is True
    settings.SECRET_KEY_FALLBACKS = []
    assert blobs.verify_signature(key, params) is False
