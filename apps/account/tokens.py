"""Single-use secrets sent by email or handed to a client between two login steps.

The secret is 256 random bits (URL-safe); only its SHA-256 is stored, so a database leak yields no
usable link. Consumption is one conditional UPDATE: used, expired or wrong-purpose tokens never match.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from apps.account.models import AccountToken, User

TTL: dict[str, timedelta] = {
    AccountToken.Purpose.VERIFY_EMAIL: timedelta(minutes=10),
    AccountToken.Purpose.PASSWORD_RESET: timedelta(minutes=30),
    AccountToken.Purpose.EMAIL_CHANGE: timedelta(minutes=30),
    AccountToken.Purpose.UNLOCK: timedelta(hours=1),
    AccountToken.Purpose.MFA_LOGIN: timedelta(minutes=5),
}


def digest(secret: str) -> str:
    """The stored form of a secret."""
    return hashlib.sha256(secret.encode()).hexdigest()


def token_issue(*, user: User, purpose: str, data: dict[str, Any] | None = None) -> tuple[AccountToken, str]:
    """Create a token for ``user``; returns the row and the secret (shown once)."""
    secret = secrets.token_urlsafe(32)
    row = AccountToken.objects.create(
        user=user,
        purpose=purpose,
        token_hash=digest(secret),
        data=data or {},
        expires_at=timezone.now() + TTL[purpose],
    )
    return row, secret


def token_peek(*, secret: str, purpose: str) -> AccountToken | None:
    """The live token for ``secret`` without using it (or ``None``)."""
    return (
        AccountToken.objects.select_related("user")
        .filter(token_hash=digest(secret), purpose=purpose, used_at__isnull=True, expires_at__gt=timezone.now())
        .first()
    )


def token_consume(*, secret: str, purpose: str) -> AccountToken | None:
    """Use the token for ``secret`` once: the row if it was live, else ``None`` (also on a lost race)."""
    if not secret or len(secret) > 200:
        return None
    now = timezone.now()
    with transaction.atomic():
        claimed = AccountToken.objects.filter(
            token_hash=digest(secret), purpose=purpose, used_at__isnull=True, expires_at__gt=now
        ).update(used_at=now)
        if claimed != 1:
            return None
        return AccountToken.objects.select_related("user").get(token_hash=digest(secret))


def token_revoke_all(*, user: User, purpose: str) -> int:
    """Mark every live token of ``purpose`` for ``user`` used (e.g. older reset links after a reset)."""
    return AccountToken.objects.filter(user=user, purpose=purpose, used_at__isnull=True).update(used_at=timezone.now())


def token_state(*, secret: str, purpose: str) -> str:
    """What a link's token is now, without using it: ``live``, ``expired``, ``used`` or ``invalid``
    (unknown, malformed or meant for another purpose). Hosted pages use it to say what happened."""
    if not secret or len(secret) > 200:
        return "invalid"
    row = AccountToken.objects.filter(token_hash=digest(secret), purpose=purpose).first()
    if row is None:
        return "invalid"
    if row.used_at is not None:
        return "used"
    if row.expires_at <= timezone.now():
        return "expired"
    return "live"
