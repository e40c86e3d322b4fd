"""TOTP two-factor sign-in (RFC 6238, pyotp) and one-time recovery codes.

A TOTP code is accepted for the current 30-second step or one step either side, and only for a step
later than the last accepted one (a conditional UPDATE), so each code works once even under races.
Recovery codes are 50 random bits, stored as HMAC-SHA256 under SECRET_KEY and marked used on use.
The TOTP secret itself is stored encrypted under a key derived from SECRET_KEY (``gau.crypto``), so
rotating SECRET_KEY with the old value in SECRET_KEY_FALLBACKS keeps every authenticator working.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

import pyotp
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.account import me_cache
from apps.account.models import RecoveryCode, TotpDevice, User
from apps.account.services.errors import InvalidMfaCodeError, MfaStateError
from gau import crypto

ISSUER = "Gau"
RECOVERY_CODE_COUNT = 10
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


_SALT = b"gau.account"
_INFO = b"totp-secret"


def seal_secret(secret: str) -> str:
    """The TOTP ``secret`` encrypted for storage (under the current SECRET_KEY)."""
    return crypto.encrypt(secret.encode("ascii"), salt=_SALT, info=_INFO).decode("ascii")


def open_secret(sealed: str) -> str:
    """The TOTP secret in ``sealed``. Raises ``gau.crypto.DecryptionError`` if no known key opens it."""
    return crypto.decrypt(sealed.encode("ascii"), salt=_SALT, info=_INFO).decode("ascii")


def is_enabled(user: User) -> bool:
    """Whether ``user`` must give a second factor at sign-in."""
    return TotpDevice.objects.filter(user=user, confirmed_at__isnull=False).exists()


def setup(user: User) -> tuple[str, str]:
    """Start (or restart) an unconfirmed TOTP setup; returns the secret and its otpauth:// URI."""
    if is_enabled(user):
        raise MfaStateError("Two-factor authentication is already enabled; disable it first.")
    secret = pyotp.random_base32()
    TotpDevice.objects.update_or_create(
        user=user, defaults={"secret_encrypted": seal_secret(secret), "confirmed_at": None, "last_used_step": 0}
    )
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)
    return secret, uri


def _code_hash(code: str, key: str | None = None) -> str:
    normalised = code.strip().lower().replace("-", "").replace(" ", "")
    secret = settings.SECRET_KEY if key is None else key
    return hmac.new(secret.encode(), normalised.encode(), hashlib.sha256).hexdigest()


def _code_hashes(code: str) -> list[str]:
    """The code's hash under SECRET_KEY and each SECRET_KEY_FALLBACKS entry (codes survive rotation)."""
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return [_code_hash(code, key) for key in keys]


def _new_recovery_code() -> str:
    raw = "".join(secrets.choice(_ALPHABET) for _ in range(10))
    return f"{raw[:5]}-{raw[5:]}"


def _use_totp(device: TotpDevice, code: str) -> bool:
    code = code.strip().replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        return False
    try:
        totp = pyotp.TOTP(open_secret(device.secret_encrypted))
    except crypto.DecryptionError:
        # Sealed under a SECRET_KEY this process no longer knows: the authenticator cannot be checked
        # (recovery codes still work, and support can reset it). Never a 500 at sign-in.
        return False
    now_step = int(time.time()) // totp.interval
    for step in (now_step - 1, now_step, now_step + 1):
        if step <= device.last_used_step:
            continue
        if hmac.compare_digest(totp.at(step * totp.interval), code):
            claimed = TotpDevice.objects.filter(user_id=device.user_id, last_used_step__lt=step).update(
                last_used_step=step
            )
            return claimed == 1
    return False


def enable(user: User, code: str) -> list[str]:
    """Confirm the pending setup with a code; returns fresh recovery codes (shown once)."""
    device = TotpDevice.objects.filter(user=user).first()
    if device is None or device.confirmed_at is not None:
        raise MfaStateError("Start with mfa/totp/setup." if device is None else "Already enabled.")
    if not _use_totp(device, code):
        raise InvalidMfaCodeError()
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    with transaction.atomic():
        with me_cache.invalidating([user.id]):
            TotpDevice.objects.filter(user=user).update(confirmed_at=timezone.now())
        RecoveryCode.objects.filter(user=user).delete()
        RecoveryCode.objects.bulk_create([RecoveryCode(user=user, code_hash=_code_hash(c)) for c in codes])
    return codes


def disable(user: User, code: str) -> None:
    """Turn two-factor sign-in off; needs a valid TOTP or recovery code."""
    if not is_enabled(user):
        raise MfaStateError("Two-factor authentication is not enabled.")
    if not verify_code(user, code):
        raise InvalidMfaCodeError()
    with transaction.atomic():
        TotpDevice.objects.filter(user=user).delete()
        RecoveryCode.objects.filter(user=user).delete()


def verify_code(user: User, code: str) -> bool:
    """Accept an unused TOTP code or an unused recovery code (marking it used)."""
    device = TotpDevice.objects.filter(user=user, confirmed_at__isnull=False).first()
    if device is None:
        return False
    if _use_totp(device, code):
        return True
    if not code or len(code) > 32:
        return False
    used = RecoveryCode.objects.filter(user=user, code_hash__in=_code_hashes(code), used_at__isnull=True).update(
        used_at=timezone.now()
    )
    return used == 1


def remaining_recovery_codes(user: User) -> int:
    """How many recovery codes are still unused."""
    return RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()
