"""Read queries of the account app (HackSoft style: selectors read, services write)."""

from __future__ import annotations

import uuid

from apps.account.models import User, normalize_email


def user_get(*, user_id: uuid.UUID) -> User | None:
    """The user with this id, or ``None``."""
    return User.objects.filter(id=user_id).first()


def user_get_by_email(*, email: str) -> User | None:
    """The user with this email (case-insensitive), or ``None``."""
    return User.objects.filter(email=normalize_email(email)).first()


def user_get_by_username(*, username: str) -> User | None:
    """The user with this username (case-insensitive), or ``None``."""
    return User.objects.filter(username__iexact=username.strip()).first() if username.strip() else None


def user_get_by_phone(*, phone: str) -> User | None:
    """The user with this E.164 phone number, or ``None``."""
    return User.objects.filter(phone=phone.strip()).first() if phone.strip() else None
