"""``authenticate_password`` / ``authenticate_mfa`` (the sign-in of hosted pages) give the same answers and
errors in-process and over the signed RPC endpoint, under the sign-in rules, and issue nothing."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pyotp
import pytest

from apps.account import mfa
from apps.account.models import AccountToken
from apps.account.services import (
    EmailNotVerifiedError,
    InvalidCredentialsError,
    InvalidMfaCodeError,
    InvalidTokenError,
    LoginThrottledError,
    account_service,
)
from apps.authz.services import authz_service
from gau.rpc.testing import DjangoClientTransport, transport_modes

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db

mode = transport_modes("account")


def test_password_check_answers_the_user_and_issues_nothing(mode: DjangoClientTransport | None, make_user: Any) -> None:
    user = make_user()
    check = account_service.authenticate_password(
        identifier=user.email.upper(), password=PASSWORD, ip="192.0.2.7", user_agent="UA"
    )
    assert check.mfa_token is None
    assert check.user is not None
    assert check.user.id == user.id
    assert authz_service.list_sessions(user_id=user.id) == []
    with pytest.raises(InvalidCredentialsError):
        account_service.authenticate_password(identifier=user.email, password="nope", ip="192.0.2.7")
    with pytest.raises(InvalidCredentialsError):  # unknown address: the same error
        account_service.authenticate_password(identifier="nobody@example.com", password=PASSWORD, ip="192.0.2.7")
    if mode is not None:
        assert "/internal/rpc/account/authenticate_password/" in mode.calls


def test_throttle_and_verified_rule(mode: DjangoClientTransport | None, make_user: Any, settings: Any) -> None:
    settings.ACCOUNT_REQUIRE_VERIFIED_EMAIL = True
    unverified = make_user(verified=False)
    with pytest.raises(EmailNotVerifiedError):
        account_service.authenticate_password(identifier=unverified.email, password=PASSWORD, ip="192.0.2.8")
    user = make_user()
    errors: list[type[Exception]] = []
    for _ in range(8):
        try:
            account_service.authenticate_password(identifier=user.email, password="wrong", ip="192.0.2.8")
        except (InvalidCredentialsError, LoginThrottledError) as exc:
            errors.append(type(exc))
    assert errors[0] is InvalidCredentialsError
    assert LoginThrottledError in errors
    with pytest.raises(LoginThrottledError) as throttled:  # even the right password waits
        account_service.authenticate_password(identifier=user.email, password=PASSWORD, ip="192.0.2.8")
    assert throttled.value.extra.get("retry_after")


def test_second_factor(mode: DjangoClientTransport | None, make_user: Any) -> None:
    user = make_user()
    secret, _ = mfa.setup(user)
    totp = pyotp.TOTP(secret)
    mfa.enable(user, totp.now())
    check = account_service.authenticate_password(identifier=user.email, password=PASSWORD, ip="192.0.2.9")
    assert check.user is None
    assert check.mfa_token
    with pytest.raises(InvalidMfaCodeError):
        account_service.authenticate_mfa(mfa_token=check.mfa_token, code="000000", ip="192.0.2.9")
    with pytest.raises(InvalidTokenError):
        account_service.authenticate_mfa(mfa_token="forged", code=totp.now(), ip="192.0.2.9")
    code = totp.at(int(totp.timecode(datetime.now()) + 1) * 30)
    done = account_service.authenticate_mfa(mfa_token=check.mfa_token, code=code, ip="192.0.2.9")
    assert done.id == user.id
    with pytest.raises(InvalidTokenError):  # the step works once
        account_service.authenticate_mfa(mfa_token=check.mfa_token, code=code, ip="192.0.2.9")
    assert authz_service.list_sessions(user_id=user.id) == []


def test_an_api_mfa_step_cannot_be_finished_by_a_page(make_user: Any) -> None:
    """The pending step of the API's login (or the admin's) is not a page step."""
    from apps.account.tokens import token_issue

    user = make_user()
    secret, _ = mfa.setup(user)
    totp = pyotp.TOTP(secret)
    mfa.enable(user, totp.now())
    _, pending = token_issue(user=user, purpose=AccountToken.Purpose.MFA_LOGIN, data={"staff": True})
    code = totp.at(int(totp.timecode(datetime.now()) + 1) * 30)
    with pytest.raises(InvalidTokenError):
        account_service.authenticate_mfa(mfa_token=pending, code=code, ip="192.0.2.10")
