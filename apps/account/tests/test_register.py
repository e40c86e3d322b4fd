"""Registration, verification, resend, password reset, email change and unlock: the emails really arrive
(Celery worker on RabbitMQ -> SMTP sink) and their links work once."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from apps.account import throttle
from apps.account.models import AccountToken, User
from apps.account.tests.conftest import PASSWORD
from apps.account.tokens import token_issue

REGISTER = "/api/v2/account/register"
NEW_PASSWORD = "a different Long passphrase 7"


def body_of(message: Any) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    return str(part.get_content())


def token_in(message: Any) -> str:
    match = re.search(r"token=([A-Za-z0-9_\-]+)", body_of(message))
    assert match, body_of(message)
    return match.group(1)


def only_to(messages: list[Any], address: str) -> list[Any]:
    return [m for m in messages if address in str(m["To"])]


@pytest.mark.worker
def test_register_verify_login_end_to_end(api_client, celery_worker, smtp) -> None:
    response = api_client.post(REGISTER, {"email": "New@Example.com", "password": PASSWORD, "display_name": "New"})
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["email"] == "new@example.com"
    assert body["email_verified"] is False
    user = User.objects.get(email="new@example.com")
    assert str(user.id) == body["id"]
    assert (
        api_client.post("/api/v2/account/login", {"email": "new@example.com", "password": PASSWORD}).status_code == 403
    )

    (message,) = smtp.wait_for(1)
    assert "new@example.com" in str(message["To"])
    token = token_in(message)
    assert AccountToken.objects.filter(user=user, purpose="verify_email").exclude(token_hash=token).exists()
    verified = api_client.post("/api/v2/account/verify-email", {"token": token})
    assert verified.status_code == 200, verified.json()
    assert verified.json()["email_verified"] is True
    again = api_client.post("/api/v2/account/verify-email", {"token": token})
    assert again.status_code == 400
    assert again.json()["error"]["code"] == "account.invalid_token"
    assert (
        api_client.post("/api/v2/account/login", {"email": "new@example.com", "password": PASSWORD}).status_code == 200
    )


@pytest.mark.worker
def test_register_taken_address_same_answer_and_a_notice(api_client, make_user, celery_worker, smtp) -> None:
    owner = make_user("owner@example.com")
    fresh = api_client.post(REGISTER, {"email": "fresh@example.com", "password": PASSWORD, "display_name": "X"})
    taken = api_client.post(REGISTER, {"email": "OWNER@example.com", "password": PASSWORD, "display_name": "X"})
    assert fresh.status_code == taken.status_code == 201
    assert set(fresh.json()) == set(taken.json())
    assert taken.json()["id"] != str(owner.id)
    assert taken.json()["email_verified"] is False
    assert User.objects.filter(email="owner@example.com").count() == 1
    owner.refresh_from_db()
    assert owner.check_password(PASSWORD)

    messages = smtp.wait_for(2)
    notice = only_to(messages, "owner@example.com")
    assert len(notice) == 1
    assert "password/forgot" in body_of(notice[0])  # the "someone tried to register" email, with a reset link
    assert "token=" not in body_of(notice[0])


def test_register_validates_password(api_client, db) -> None:
    response = api_client.post(REGISTER, {"email": "weak@example.com", "password": "12345678"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "account.invalid_password"
    assert response.json()["error"]["details"]["messages"]
    similar = api_client.post(REGISTER, {"email": "johnsmith@example.com", "password": "johnsmith@example"})
    assert similar.status_code == 400
    assert api_client.post(REGISTER, {"email": "not-an-email", "password": PASSWORD}).status_code == 400
    assert not User.objects.exists()


@pytest.mark.usefixtures("argon2")
def test_passwords_are_hashed_with_argon2(api_client, db) -> None:
    import gau.settings

    assert gau.settings.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    assert api_client.post(REGISTER, {"email": "argon@example.com", "password": PASSWORD}).status_code == 201
    user = User.objects.get(email="argon@example.com")
    assert user.password.startswith("argon2$argon2id$")
    assert PASSWORD not in user.password


def test_verify_token_expires_after_ten_minutes(api_client, make_user) -> None:
    user = make_user(verified=False)
    row, secret = token_issue(user=user, purpose=AccountToken.Purpose.VERIFY_EMAIL)
    AccountToken.objects.filter(id=row.id).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert api_client.post("/api/v2/account/verify-email", {"token": secret}).status_code == 400
    user.refresh_from_db()
    assert user.email_verified is False


def test_resend_at_most_once_a_minute_for_any_address(api_client, make_user) -> None:
    user = make_user(verified=False)
    url = "/api/v2/account/verify-email/resend"
    for address in (user.email, "nobody@example.com"):
        first = api_client.post(url, {"email": address})
        assert first.status_code == 202
        second = api_client.post(url, {"email": address.upper()})
        assert second.status_code == 429
        assert second.json()["error"]["code"] == "account.resend_throttled"
        assert 1 <= int(second["Retry-After"]) <= 60
    assert AccountToken.objects.filter(user=user, purpose="verify_email").count() == 1


@pytest.mark.worker
def test_password_reset_end_to_end(api_client, make_user, celery_worker, smtp) -> None:
    user = make_user("reset@example.com")
    old = api_client.post("/api/v2/account/login", {"email": user.email, "password": PASSWORD}).json()
    assert api_client.post("/api/v2/account/password/forgot", {"email": "ghost@example.com"}).status_code == 202
    assert api_client.post("/api/v2/account/password/forgot", {"email": user.email}).status_code == 202
    (message,) = smtp.wait_for(1)
    assert "reset@example.com" in str(message["To"])
    token = token_in(message)
    weak = api_client.post("/api/v2/account/password/reset", {"token": token, "new_password": "123"})
    assert weak.status_code == 400  # and the token is still usable
    ok = api_client.post("/api/v2/account/password/reset", {"token": token, "new_password": NEW_PASSWORD})
    assert ok.status_code == 200, ok.json()
    reused = api_client.post("/api/v2/account/password/reset", {"token": token, "new_password": NEW_PASSWORD + "x"})
    assert reused.status_code == 400
    me = api_client.get("/api/v2/account/me", headers={"Authorization": f"Bearer {old['access_token']}"})
    assert me.status_code == 401  # every session ended
    login = api_client.post("/api/v2/account/login", {"email": user.email, "password": NEW_PASSWORD})
    assert login.status_code == 200
    changed = smtp.wait_for(2)
    assert len(only_to(changed, "reset@example.com")) == 2  # the reset link, then "your password was changed"


def test_reset_token_expires_after_thirty_minutes(api_client, make_user) -> None:
    user = make_user()
    row, secret = token_issue(user=user, purpose=AccountToken.Purpose.PASSWORD_RESET)
    AccountToken.objects.filter(id=row.id).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = api_client.post("/api/v2/account/password/reset", {"token": secret, "new_password": NEW_PASSWORD})
    assert response.status_code == 400


@pytest.mark.worker
def test_email_change_end_to_end(api_client, make_user, celery_worker, smtp) -> None:
    user = make_user("before@example.com")
    token = api_client.post("/api/v2/account/login", {"email": user.email, "password": PASSWORD}).json()
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token['access_token']}")
    wrong = api_client.post("/api/v2/account/email/change", {"new_email": "after@example.com", "password": "x"})
    assert wrong.status_code == 400
    response = api_client.post("/api/v2/account/email/change", {"new_email": "After@example.com", "password": PASSWORD})
    assert response.status_code == 202
    user.refresh_from_db()
    assert user.email == "before@example.com"  # not before the new address is confirmed
    messages = smtp.wait_for(2)
    (to_new,) = only_to(messages, "after@example.com")
    (to_old,) = only_to(messages, "before@example.com")
    assert "after@example.com" in body_of(to_old)
    confirmed = api_client.post("/api/v2/account/email/change/confirm", {"token": token_in(to_new)})
    assert confirmed.status_code == 200
    assert confirmed.json()["email"] == "after@example.com"
    assert confirmed.json()["email_verified"] is True


@pytest.mark.worker
def test_unlock_link_end_to_end(api_client, make_user, celery_worker, smtp) -> None:
    user = make_user("locked@example.com")
    for _ in range(throttle.ACCOUNT_FREE_FAILURES + 1):
        assert api_client.post("/api/v2/account/login", {"email": user.email, "password": "bad"}).status_code == 401
    assert api_client.post("/api/v2/account/login", {"email": user.email, "password": PASSWORD}).status_code == 429
    (message,) = smtp.wait_for(1)
    assert "locked@example.com" in str(message["To"])
    unlocked = api_client.post("/api/v2/account/unlock", {"token": token_in(message)})
    assert unlocked.status_code == 200
    assert api_client.post("/api/v2/account/login", {"email": user.email, "password": PASSWORD}).status_code == 200
