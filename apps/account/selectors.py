"""Read queries of the account app (HackSoft style: selectors read, services write)."""

from __future__ import annotations

import uuid

from django.db import connections, router

from apps.account.models import TotpDevice, User, normalize_email


def user_get(*, user_id: uuid.UUID) -> User | None:
    """The user with this id, or ``None``."""
    return User.objects.filter(id=user_id).first()


def user_list(*, user_ids: set[uuid.UUID]) -> list[User]:
    """The users with these ids (missing ids are skipped)."""
    return list(User.objects.filter(id__in=user_ids))


def user_get_by_email(*, email: str) -> User | None:
    """The user with this email (case-insensitive), or ``None``."""
    return User.objects.filter(email=normalize_email(email)).first()


def user_get_by_username(*, username: str) -> User | None:
    """The user with this username (case-insensitive), or ``None``."""
    return User.objects.filter(username__iexact=username.strip()).first() if username.strip() else None


def user_get_by_phone(*, phone: str) -> User | None:
    """The user with this E.164 phone number, or ``None``."""
    return User.objects.filter(phone=phone.strip()).first() if phone.strip() else None


def user_get_profile(*, user_id: uuid.UUID) -> User | None:
    """The user with this id, in one query, with ``mfa_confirmed_at`` from their TOTP device, or ``None``.

    "me" is the hottest authenticated read: a fixed raw query skips the ORM's per-call SQL compilation
    (most of the cost of ``select_related`` on this box) while still returning a ``User``. The id is
    bound as the database's own representation of a UUID (a ``uuid`` on PostgreSQL, 32 hex characters
    on SQLite): a raw query gets no field conversion, and SQLite cannot bind a ``uuid.UUID`` at all.
    """
    alias = router.db_for_read(User)
    param = User._meta.pk.get_db_prep_value(user_id, connections[alias])
    sql = (
        f"SELECT u.*, t.confirmed_at AS mfa_confirmed_at FROM {User._meta.db_table} u "  # noqa: S608  # table names, not input
        f"LEFT JOIN {TotpDevice._meta.db_table} t ON t.user_id = u.id WHERE u.id = %s"
    )
    found = list(User.objects.using(alias).raw(sql, [param]))
    return found[0] if found else None
