"""Account write flows: registration, verification, sign-in, passwords and email changes.

Called by this app's API views. Other apps are reached only through their service interfaces, and
never inside ``transaction.atomic()`` (each flow commits its own rows first).
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.hashers import check_password, get_hasher, make_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.account import mfa, selectors, throttle
from apps.account.models import AccountToken, ExternalIdentity, KnownDevice, User, normalize_email
from apps.account.services.errors import (
    EmailNotVerifiedError,
    EmailTakenError,
    InvalidCredentialsError,
    InvalidMfaCodeError,
    InvalidPasswordError,
    InvalidTokenError,
    LoginThrottledError,
    OAuthFailedError,
    ResendThrottledError,
    WrongPasswordError,
)
from apps.account.tokens import token_consume, token_issue, token_peek, token_revoke_all
from apps.authz.services import TokenPairData, authz_service
from apps.email.services import email_service

Purpose = AccountToken.Purpose


# --- helpers ---------------------------------------------------------------------------------


def link(path: str, token: str, locale: str | None = None) -> str:
    """An absolute link to a page carrying ``token`` and the email's language (``lang``), under
    ``ACCOUNT_LINK_BASE_URL``: Gau's hosted pages by default, or a product's own front end."""
    return f"{settings.ACCOUNT_LINK_BASE_URL.rstrip('/')}/{path}?token={token}&lang={link_lang(locale)}"


def link_lang(locale: str | None) -> str:
    """The ``lang`` a link carries: the language part of the recipient's locale (``vi-VN`` -> ``vi``)."""
    return (locale or "en").replace("_", "-").split("-")[0].lower() or "en"


def send_email(*, template: str, to: str, context: dict[str, Any], key: str, locale: str | None = None) -> None:
    """Queue one email through the email app (idempotent on ``key``)."""
    email_service.send(template=template, to=to, context=context, idempotency_key=key, locale=locale)


def send_link(
    user: User, *, template: str, row: AccountToken, secret: str, url_field: str, path: str, key: str, to: str = ""
) -> None:
    """Email ``user`` (or ``to``) a link carrying a single-use token, idempotent per token row."""
    send_email(
        template=template,
        to=to or user.email,
        context={"display_name": user.display_name or user.email, url_field: link(path, secret, user.locale)},
        key=f"account:{key}:{row.id}",
        locale=user.locale,
    )


def validate_new_password(password: str, *, user: User) -> None:
    """Django's validators (length, common, similarity, numeric); raises InvalidPasswordError."""
    try:
        password_validation.validate_password(password, user=user)
    except ValidationError as exc:
        raise InvalidPasswordError(messages=list(exc.messages)) from None


_DUMMY_HASHES: dict[str, str] = {}


def burn_password_check(password: str) -> None:
    """Spend the same hashing work as a real check, for accounts that do not exist (timing)."""
    algorithm = str(get_hasher("default").algorithm)
    encoded = _DUMMY_HASHES.get(algorithm)
    if encoded is None:
        encoded = _DUMMY_HASHES[algorithm] = make_password(secrets.token_urlsafe(16))
    check_password(password, encoded)


def email_key(email: str) -> str:
    """A stable, non-reversible key for per-address limits."""
    return hashlib.sha256(normalize_email(email).encode()).hexdigest()[:32]


# --- registration and verification ----------------------------------------------------------


@dataclass(frozen=True)
class RegistrationResult:
    """What register answers: the same shape whether the address was free or taken."""

    id: uuid.UUID
    email: str
    display_name: str
    email_verified: bool
    created_at: datetime


def register(*, email: str, password: str, display_name: str, locale: str | None = None) -> RegistrationResult:
    """Create an unverified user and email a verification link.

    If the address is taken, nothing is created: the owner gets an "already registered" email and the
    caller gets an answer of the same shape (a throw-away id), after the same hashing work.
    """
    email = normalize_email(email)
    validate_new_password(password, user=User(email=email, display_name=display_name))
    existing = selectors.user_get_by_email(email=email)
    user: User | None = None
    if existing is None:
        try:
            with transaction.atomic():
                user = User.objects.create_user(
                    email=email, password=password, display_name=display_name, locale=locale or "en"
                )
                row, secret = token_issue(user=user, purpose=Purpose.VERIFY_EMAIL)
        except IntegrityError:  # a concurrent registration of the same address won
            existing = selectors.user_get_by_email(email=email)
    if user is not None:
        send_link(
            user,
            template="account/verify_email",
            row=row,
            secret=secret,
            url_field="verify_url",
            path="verify-email",
            key="verify",
        )
        return RegistrationResult(
            id=user.id,
            email=user.email,
            display_name=user.display_name,
            email_verified=False,
            created_at=user.created_at,
        )
    make_password(password)  # the same Argon2 work as creating the account
    # At most one such notice per address per hour: registering someone's address must not spam them.
    if existing is not None and throttle.once_per(f"already-registered:{email_key(email)}", 3600) is None:
        base = settings.ACCOUNT_LINK_BASE_URL.rstrip("/")
        send_email(
            template="account/already_registered",
            to=existing.email,
            context={
                "display_name": existing.display_name or existing.email,
                "login_url": f"{base}/login",
                "reset_url": f"{base}/password/forgot?lang={link_lang(existing.locale)}",
            },
            key=f"account:already-registered:{existing.id}:{uuid.uuid4()}",
            locale=existing.locale,
        )
    return RegistrationResult(
        id=uuid.uuid4(), email=email, display_name=display_name, email_verified=False, created_at=timezone.now()
    )


def verify_email(*, token: str) -> User:
    """Mark the address verified with a single-use, 10-minute token; raises InvalidTokenError."""
    row = token_consume(secret=token, purpose=Purpose.VERIFY_EMAIL)
    if row is None:
        raise InvalidTokenError()
    user = row.user
    if not user.email_verified:
        user.email_verified = True
        user.save(update_fields=["email_verified", "updated_at"])
    return user


def resend_verification(*, email: str) -> None:
    """Email a fresh verification link, at most once a minute per address (exists or not)."""
    wait = throttle.once_per(f"resend:{email_key(email)}", 60)
    if wait is not None:
        raise ResendThrottledError(retry_after=wait)
    user = selectors.user_get_by_email(email=email)
    if user is None or user.email_verified or not user.is_active:
        return
    row, secret = token_issue(user=user, purpose=Purpose.VERIFY_EMAIL)
    send_link(
        user,
        template="account/verify_email",
        row=row,
        secret=secret,
        url_field="verify_url",
        path="verify-email",
        key="verify",
    )


# --- sign-in ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoginResult:
    """Either a token pair, or an MFA step: ``mfa_token`` to present with a code to ``login/mfa``."""

    tokens: TokenPairData | None = None
    mfa_token: str | None = None


def _find_login_user(identifier: str) -> User | None:
    identifier = identifier.strip()
    if "@" in identifier:
        return selectors.user_get_by_email(email=identifier)
    if identifier.startswith("+"):
        return selectors.user_get_by_phone(phone=identifier)
    return selectors.user_get_by_username(username=identifier)


def _lock_notice(user: User) -> None:
    """Email the owner an unlock link, at most once per throttle window."""
    if throttle.once_per(f"unlock-mail:{user.id}", throttle.WINDOW) is not None:
        return
    row, secret = token_issue(user=user, purpose=Purpose.UNLOCK)
    send_link(
        user,
        template="account/unlock",
        row=row,
        secret=secret,
        url_field="unlock_url",
        path="unlock",
        key="unlock",
    )


def check_password_sign_in(*, identifier: str, password: str, ip: str) -> User:
    """The first factor of every password sign-in (API and admin site), throttled per account + IP and
    per IP. Raises LoginThrottledError or InvalidCredentialsError (wrong password, unknown or
    deactivated account, all alike); emails an unlock link when a lock starts."""
    user = _find_login_user(identifier)
    account_key = str(user.id) if user is not None else throttle.account_key_for_identifier(identifier)
    wait = throttle.retry_after(account_key=account_key, ip=ip)
    if wait is not None:
        raise LoginThrottledError(retry_after=wait)
    if user is None or not user.is_active or not user.has_usable_password():
        burn_password_check(password)
        ok = False
    else:
        ok = user.check_password(password)  # also upgrades the hash when the parameters changed
    if not ok:
        locked = throttle.record_failure(account_key=account_key, ip=ip)
        if locked is not None and user is not None and user.is_active:
            _lock_notice(user)
        raise InvalidCredentialsError()
    assert user is not None
    throttle.record_success(account_key=account_key, ip=ip)
    return user


def login(
    *, identifier: str, password: str, ip: str, user_agent: str = "", device_id: str | None = None
) -> LoginResult:
    """Check a password sign-in; issue tokens through authz, or ask for the second factor.

    Raises LoginThrottledError (429), InvalidCredentialsError (401: wrong password, unknown or
    deactivated account, all alike) or EmailNotVerifiedError (403, only after a correct password).
    """
    user = check_password_sign_in(identifier=identifier, password=password, ip=ip)
    return _finish_sign_in(user, device_id=device_id, user_agent=user_agent, ip=ip, note_new_device=True)


def _finish_sign_in(
    user: User, *, device_id: str | None, user_agent: str, ip: str | None, note_new_device: bool
) -> LoginResult:
    """After the first factor: refuse unverified addresses, ask for the second factor when enabled,
    else issue tokens (and, for password sign-ins, notice a new device)."""
    if settings.ACCOUNT_REQUIRE_VERIFIED_EMAIL and not user.email_verified:
        raise EmailNotVerifiedError()
    if mfa.is_enabled(user):
        _, secret = token_issue(
            user=user,
            purpose=Purpose.MFA_LOGIN,
            data={"device_id": device_id, "user_agent": user_agent[:512], "ip": ip},
        )
        return LoginResult(mfa_token=secret)
    pair = issue_for(user, device_id=device_id, user_agent=user_agent, ip=ip)
    if note_new_device:
        note_device(user, device_id=device_id, user_agent=user_agent, ip=ip)
    return LoginResult(tokens=pair)


def issue_for(user: User, *, device_id: str | None, user_agent: str, ip: str | None) -> TokenPairData:
    """Issue a token pair for a user who proved who they are."""
    User.objects.filter(id=user.id).update(last_login=timezone.now())
    pair: TokenPairData = authz_service.issue_tokens(
        user_id=user.id, device_id=device_id, user_agent=user_agent[:512], ip=ip
    )
    return pair


def _second_factor(*, mfa_token: str, code: str, ip: str) -> AccountToken:
    """Check a TOTP or recovery code against a pending MFA step (throttled like the password) and use
    the step's token; returns its row (user and the first step's device data)."""
    row = token_peek(secret=mfa_token, purpose=Purpose.MFA_LOGIN) if mfa_token else None
    if row is None:
        raise InvalidTokenError()
    user = row.user
    account_key = str(user.id)
    wait = throttle.retry_after(account_key=account_key, ip=ip)
    if wait is not None:
        raise LoginThrottledError(retry_after=wait)
    if not mfa.verify_code(user, code):
        throttle.record_failure(account_key=account_key, ip=ip)
        raise InvalidMfaCodeError()
    if token_consume(secret=mfa_token, purpose=Purpose.MFA_LOGIN) is None:
        raise InvalidTokenError()
    return row


def login_mfa(*, mfa_token: str, code: str, ip: str) -> TokenPairData:
    """Complete a sign-in with a TOTP or recovery code; each code works once."""
    row = _second_factor(mfa_token=mfa_token, code=code, ip=ip)
    user, data = row.user, row.data
    agent = str(data.get("user_agent") or "")
    pair = issue_for(user, device_id=data.get("device_id"), user_agent=agent, ip=data.get("ip"))
    note_device(user, device_id=data.get("device_id"), user_agent=agent, ip=data.get("ip"))
    return pair


@dataclass(frozen=True)
class StaffSignIn:
    """The admin site's sign-in: the user to log in, or an MFA step whose token stays on the server."""

    user: User | None = None
    mfa_token: str | None = None


def _first_step(user: User, *, channel: str, ip: str, user_agent: str, device_id: str | None) -> StaffSignIn:
    """After a good password: the verified-address rule, then the second factor (a pending step marked
    for ``channel``) or the new-device notice."""
    if settings.ACCOUNT_REQUIRE_VERIFIED_EMAIL and not user.email_verified:
        raise EmailNotVerifiedError()
    if mfa.is_enabled(user):
        _, secret = token_issue(
            user=user,
            purpose=Purpose.MFA_LOGIN,
            data={"device_id": device_id, "user_agent": user_agent[:512], "ip": ip, channel: True},
        )
        return StaffSignIn(mfa_token=secret)
    note_device(user, device_id=device_id, user_agent=user_agent, ip=ip)
    return StaffSignIn(user=user)


def _code_step(*, mfa_token: str, code: str, ip: str, channel: str, staff: bool = False) -> User:
    """A TOTP or recovery code for a pending step of ``channel``; the new-device notice; the user."""
    row = _second_factor(mfa_token=mfa_token, code=code, ip=ip)
    user, data = row.user, row.data
    if not data.get(channel) or not user.is_active or (staff and not user.is_staff):
        raise InvalidTokenError()
    note_device(user, device_id=data.get("device_id"), user_agent=str(data.get("user_agent") or ""), ip=data.get("ip"))
    return user


def staff_sign_in(*, identifier: str, password: str, ip: str, user_agent: str, device_id: str | None) -> StaffSignIn:
    """The admin site's password step, under the API's rules: the same throttle and unlock email, the
    verified-address rule, the second factor when enabled and the new-device notice. Only staff get
    through; anyone else gets InvalidCredentialsError (after the password check, so it is not free)."""
    user = check_password_sign_in(identifier=identifier, password=password, ip=ip)
    if not user.is_staff:
        raise InvalidCredentialsError()
    return _first_step(user, channel="staff", ip=ip, user_agent=user_agent, device_id=device_id)


def staff_sign_in_mfa(*, mfa_token: str, code: str, ip: str) -> User:
    """The admin site's second step: a TOTP or recovery code for the pending step; returns the user."""
    return _code_step(mfa_token=mfa_token, code=code, ip=ip, channel="staff", staff=True)


def page_sign_in(*, identifier: str, password: str, ip: str, user_agent: str) -> StaffSignIn:
    """A hosted page's password step (e.g. accepting a kanban invitation), under the API's rules: the same
    throttle and unlock email, the verified-address rule, the second factor when enabled and the
    new-device notice. Nothing is issued: the page acts once for the user it gets back."""
    user = check_password_sign_in(identifier=identifier, password=password, ip=ip)
    return _first_step(user, channel="page", ip=ip, user_agent=user_agent, device_id=None)


def page_sign_in_mfa(*, mfa_token: str, code: str, ip: str) -> User:
    """A hosted page's second step: a TOTP or recovery code for a pending page step; returns the user."""
    return _code_step(mfa_token=mfa_token, code=code, ip=ip, channel="page")


def unlock(*, token: str) -> None:
    """Lift the sign-in throttle of the account the unlock link was sent to."""
    row = token_consume(secret=token, purpose=Purpose.UNLOCK)
    if row is None:
        raise InvalidTokenError()
    throttle.unlock(account_key=str(row.user_id))


# --- passwords and email -----------------------------------------------------------------------


def _require_password(user: User, password: str, *, ip: str) -> None:
    account_key = str(user.id)
    wait = throttle.retry_after(account_key=account_key, ip=ip)
    if wait is not None:
        raise LoginThrottledError(retry_after=wait)
    if not user.check_password(password):
        throttle.record_failure(account_key=account_key, ip=ip)
        raise WrongPasswordError()


def change_password(
    *, user: User, current_password: str, new_password: str, session_id: uuid.UUID | None, ip: str
) -> int:
    """Change the password and end every other session; returns how many were ended."""
    _require_password(user, current_password, ip=ip)
    validate_new_password(new_password, user=user)
    user.set_password(new_password)
    user.save(update_fields=["password", "updated_at"])
    ended: int = authz_service.revoke_all_sessions(
        user_id=user.id, reason="password_changed", except_session_id=session_id
    )
    _password_changed_notice(user)
    return ended


def _password_changed_notice(user: User) -> None:
    send_email(
        template="account/password_changed",
        to=user.email,
        context={"display_name": user.display_name or user.email},
        key=f"account:password-changed:{user.id}:{uuid.uuid4()}",
        locale=user.locale,
    )


def forgot_password(*, email: str) -> None:
    """Email a reset link if the address has an active account (the caller always gets 202)."""
    if throttle.once_per(f"forgot:{email_key(email)}", 60) is not None:
        return  # silently: a 429 here would tell which addresses were just asked for
    user = selectors.user_get_by_email(email=email)
    if user is None or not user.is_active:
        return
    row, secret = token_issue(user=user, purpose=Purpose.PASSWORD_RESET)
    send_link(
        user,
        template="account/password_reset",
        row=row,
        secret=secret,
        url_field="reset_url",
        path="password/reset",
        key="reset",
    )


def reset_password(*, token: str, new_password: str) -> User:
    """Set a new password with a single-use, 30-minute token and end every session."""
    row = token_peek(secret=token, purpose=Purpose.PASSWORD_RESET)
    if row is None:
        raise InvalidTokenError()
    validate_new_password(new_password, user=row.user)  # the token stays usable if this fails
    row = token_consume(secret=token, purpose=Purpose.PASSWORD_RESET)
    if row is None:
        raise InvalidTokenError()
    user = row.user
    with transaction.atomic():
        user.set_password(new_password)
        user.email_verified = True  # the link proved control of the address
        user.save(update_fields=["password", "email_verified", "updated_at"])
        token_revoke_all(user=user, purpose=Purpose.PASSWORD_RESET)
    authz_service.revoke_all_sessions(user_id=user.id, reason="password_reset")
    throttle.unlock(account_key=str(user.id))
    _password_changed_notice(user)
    return user


def request_email_change(*, user: User, new_email: str, password: str, ip: str) -> None:
    """Send a confirmation link to the new address and a notice to the old one.

    The address changes only when the link is used. If the new address is taken, nothing is sent to
    it and the answer is the same.
    """
    _require_password(user, password, ip=ip)
    new_email = normalize_email(new_email)
    if new_email == user.email or selectors.user_get_by_email(email=new_email) is not None:
        return
    row, secret = token_issue(user=user, purpose=Purpose.EMAIL_CHANGE, data={"new_email": new_email})
    send_link(
        user,
        template="account/email_change_new",
        row=row,
        secret=secret,
        url_field="confirm_url",
        path="email/confirm",
        key="email-change-new",
        to=new_email,
    )
    send_email(
        template="account/email_change_old",
        to=user.email,
        context={"display_name": user.display_name or user.email, "new_email": new_email},
        key=f"account:email-change-old:{row.id}",
        locale=user.locale,
    )


def confirm_email_change(*, token: str) -> User:
    """Apply an email change with its single-use token; raises InvalidTokenError or EmailTakenError."""
    row = token_consume(secret=token, purpose=Purpose.EMAIL_CHANGE)
    if row is None:
        raise InvalidTokenError()
    user = row.user
    user.email = str(row.data["new_email"])
    user.email_verified = True
    try:
        with transaction.atomic():
            user.save(update_fields=["email", "email_verified", "updated_at"])
    except IntegrityError:
        raise EmailTakenError() from None
    return user


# --- sign-in with an OpenID provider ---------------------------------------------------------


def external_sign_in(
    *, provider: str, claims: dict[str, Any], ip: str, user_agent: str = "", device_id: str | None = None
) -> LoginResult:
    """Sign in (or up) with verified ID token claims.

    An identity already linked signs in its user. Otherwise an existing account with the same address
    is linked only when the provider says the address is verified; a local account that was never
    verified loses its password on linking (whoever registered it without owning the address cannot
    keep a way in). A new address creates an account without a password.
    """
    issuer, subject = str(claims["iss"]), str(claims["sub"])
    email = normalize_email(str(claims.get("email") or ""))
    email_verified = claims.get("email_verified") is True
    identity = ExternalIdentity.objects.select_related("user").filter(issuer=issuer, subject=subject).first()
    if identity is not None:
        user = identity.user
    else:
        if not email:
            raise OAuthFailedError("The provider did not share an email address.")
        existing = selectors.user_get_by_email(email=email)
        if existing is not None and not email_verified:
            raise OAuthFailedError(
                "The provider has not verified this address, so it cannot be linked to the existing account."
            )
        try:
            with transaction.atomic():
                if existing is None:
                    user = User.objects.create_user(
                        email=email,
                        password=None,
                        display_name=str(claims.get("name") or "")[:150],
                        email_verified=email_verified,
                    )
                else:
                    user = existing
                    if not user.email_verified:
                        user.set_unusable_password()
                        user.email_verified = True
                        user.save(update_fields=["password", "email_verified", "updated_at"])
                ExternalIdentity.objects.create(
                    user=user, provider=provider, issuer=issuer, subject=subject, email=email
                )
        except IntegrityError:  # a concurrent first sign-in with the same identity won
            identity = ExternalIdentity.objects.select_related("user").get(issuer=issuer, subject=subject)
            user = identity.user
    if not user.is_active:
        raise OAuthFailedError("This account is deactivated.")
    return _finish_sign_in(user, device_id=device_id, user_agent=user_agent, ip=ip, note_new_device=False)


def _device_fingerprint(device_id: str | None, user_agent: str) -> str:
    name = f"id:{device_id.strip()}" if device_id and device_id.strip() else f"ua:{user_agent.strip()[:512]}"
    return hashlib.sha256(name.encode()).hexdigest()


def note_device(user: User, *, device_id: str | None, user_agent: str, ip: str | None) -> bool:
    """Remember the device of a password sign-in; the first time (and not for the account's first device)
    email the owner a ``account/new_signin`` notice after the current transaction commits.

    The device is the ``X-Device-ID`` when given, else the user agent: both are chosen by the client, so
    this is a notice for the owner, not a control. Returns whether the notice was queued.
    """
    fingerprint = _device_fingerprint(device_id, user_agent)
    had_devices = KnownDevice.objects.filter(user=user).exists()
    device, created = KnownDevice.objects.get_or_create(user=user, fingerprint=fingerprint)
    if not created or not had_devices:
        return False
    context = {
        "display_name": user.display_name or user.email,
        "user_agent": user_agent[:200] or "unknown",
        "ip": ip or "unknown",
        "when": f"{timezone.now():%Y-%m-%d %H:%M} UTC",
    }
    to, locale, key = user.email, user.locale, f"account:new_signin:{device.pk}"
    # robust: the sign-in already succeeded; a failure to queue the notice is logged, not raised.
    transaction.on_commit(
        lambda: send_email(template="account/new_signin", to=to, context=context, key=key, locale=locale), robust=True
    )
    return True
