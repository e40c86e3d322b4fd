"""Single-use tokens: stored hashed, expire, work once (even under a race)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from apps.account.models import AccountToken
from apps.account.tokens import digest, token_consume, token_issue

P = AccountToken.Purpose


def test_stored_as_hash_and_single_use(make_user) -> None:
    user = make_user()
    row, secret = token_issue(user=user, purpose=P.VERIFY_EMAIL)
    assert row.token_hash == digest(secret)
    assert secret not in row.token_hash
    assert not AccountToken.objects.filter(token_hash=secret).exists()
    assert token_consume(secret=secret, purpose=P.VERIFY_EMAIL) is not None
    assert token_consume(secret=secret, purpose=P.VERIFY_EMAIL) is None


def test_expiry_and_purpose(make_user) -> None:
    user = make_user()
    row, secret = token_issue(user=user, purpose=P.VERIFY_EMAIL)
    assert row.expires_at - row.created_at <= timedelta(minutes=10, seconds=1)
    assert token_consume(secret=secret, purpose=P.PASSWORD_RESET) is None  # wrong purpose
    AccountToken.objects.filter(id=row.id).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert token_consume(secret=secret, purpose=P.VERIFY_EMAIL) is None
    reset, _ = token_issue(user=user, purpose=P.PASSWORD_RESET)
    assert timedelta(minutes=29) < reset.expires_at - reset.created_at <= timedelta(minutes=30, seconds=1)
