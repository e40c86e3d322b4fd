"""Issue 12, finding 11: the admin site's sign-in goes through the API's sign-in rules.

Each test failed against Django's stock ``/admin/login/`` (no throttle, no second factor, no verified
rule, no notice, ``/accounts/profile/`` without ``next``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pyotp
import pytest
from django.test import Client

from apps.account import mfa, throttle
from apps.account.models import TotpDevice, User
from apps.email.services import email_service

from .conftest import PASSWORD

LOGIN = "/admin/login/"


@pytest.fixture
def staff(make_user: Callable[..., User]) -> User:
    return make_user(is_staff=True, is_superuser=True)


def admin_client(agent: str = "Firefox on a laptop") -> Client:
    return Client(HTTP_USER_AGENT=agent)


def signed_in(client: Client) -> bool:
    return client.get("/admin/").status_code == 200


def sent_to(address: str) -> list[str]:
    return [m.template for m in email_service.export_recipient_data(address=address)]


def sign_in(client: Client, email: str, password: str, **extra: str) -> Any:
    return client.post(LOGIN, {"username": email, "password": password, **extra})


def test_wrong_passwords_lock_the_admin_sign_in_like_the_api(staff: User) -> None:
    client = admin_client()
    statuses = [sign_in(client, staff.email, "wrong password").status_code for _ in range(8)]
    assert statuses[: throttle.ACCOUNT_FREE_FAILURES] == [401] * throttle.ACCOUNT_FREE_FAILURES
    assert statuses[-1] == 429
    right = sign_in(client, staff.email, PASSWORD)
    assert right.status_code == 429
    assert b"Too many failed sign-in attempts" in right.content
    assert not signed_in(client)
    # the API sees the same lock: one set of counters per account + IP
    api = client.post(
        "/api/v2/account/login", {"email": staff.email, "password": PASSWORD}, content_type="application/json"
    )
    assert api.status_code == 429
    # and the owner was emailed an unlock link, as for the API
    assert "account/unlock" in sent_to(staff.email)


def test_many_failures_from_one_ip_lock_that_ip(staff: User) -> None:
    client = admin_client()
    for n in range(throttle.IP_FREE_FAILURES + 1):
        sign_in(client, f"nobody-{n}@example.com", "wrong password")
    response = sign_in(client, staff.email, PASSWORD)
    assert response.status_code == 429
    assert not signed_in(client)
    other_ip = Client(REMOTE_ADDR="198.51.100.7")
    assert sign_in(other_ip, staff.email, PASSWORD).status_code == 302


def test_totp_staff_need_the_second_factor(staff: User) -> None:
    secret, _ = mfa.setup(staff)
    mfa.enable(staff, pyotp.TOTP(secret).now())
    client = admin_client()
    step = sign_in(client, staff.email, PASSWORD)
    assert step.status_code == 200
    assert b'name="code"' in step.content
    assert not signed_in(client)  # the password alone does not open the admin
    wrong = client.post(LOGIN, {"code": "000000"})
    assert wrong.status_code == 401
    assert not signed_in(client)
    device = TotpDevice.objects.get(user=staff)  # the code that enabled TOTP is spent; use the next step's
    done = client.post(LOGIN, {"code": pyotp.TOTP(secret).at((device.last_used_step + 1) * 30)})
    assert done.status_code == 302
    assert done["Location"] == "/admin/"
    assert signed_in(client)


def test_a_code_without_a_password_step_does_nothing(staff: User) -> None:
    secret, _ = mfa.setup(staff)
    mfa.enable(staff, pyotp.TOTP(secret).now())
    client = admin_client()
    response = client.post(LOGIN, {"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 400  # read as a password form, which it is not
    assert not signed_in(client)


def test_unverified_staff_cannot_sign_in(make_user: Callable[..., User]) -> None:
    user = make_user(verified=False, is_staff=True)
    client = admin_client()
    response = sign_in(client, user.email, PASSWORD)
    assert response.status_code == 403
    assert b"Verify your email" in response.content
    assert not signed_in(client)


def test_non_staff_cannot_sign_in(make_user: Callable[..., User]) -> None:
    user = make_user()
    client = admin_client()
    assert sign_in(client, user.email, PASSWORD).status_code == 401
    assert client.get("/admin/").status_code == 302


def test_a_new_device_gets_the_notice(staff: User, smtp: Any, django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        assert sign_in(admin_client("Firefox on a laptop"), staff.email, PASSWORD).status_code == 302
    assert "account/new_signin" not in sent_to(staff.email)  # the account's first device: silent
    with django_capture_on_commit_callbacks(execute=True):
        assert sign_in(admin_client("Chrome on a phone"), staff.email, PASSWORD).status_code == 302
    assert sent_to(staff.email).count("account/new_signin") == 1
    (message,) = smtp.wait_for(1)
    assert message["To"] == staff.email
    assert "Chrome on a phone" in message.get_body(("plain",)).get_content()


def test_without_next_it_lands_on_the_admin_index(staff: User) -> None:
    response = sign_in(admin_client(), staff.email, PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == "/admin/"


def test_next_is_followed_only_on_this_site(staff: User) -> None:
    inside = sign_in(admin_client(), staff.email, PASSWORD, next="/admin/account/user/")
    assert inside["Location"] == "/admin/account/user/"
    outside = sign_in(admin_client(), staff.email, PASSWORD, next="https://evil.example/")
    assert outside["Location"] == "/admin/"


def test_the_login_page_renders_and_redirects_signed_in_staff(staff: User) -> None:
    client = admin_client()
    page = client.get("/admin/")
    assert page.status_code == 302
    assert page["Location"].startswith("/admin/login/?next=")
    form = client.get(page["Location"])
    assert form.status_code == 200
    assert b'name="password"' in form.content
    sign_in(client, staff.email, PASSWORD)
    assert client.get(LOGIN)["Location"] == "/admin/"
