"""Read queries of the authz app (HackSoft style: selectors read, services write)."""

from __future__ import annotations

import uuid

from django.db.models import Q, QuerySet
from django.utils import timezone

from apps.authz.models import ApiKey, Role, Session, UserRole

#: The role every user holds without a grant row.
BASE_ROLE = "user"


def session_list(*, user_id: uuid.UUID, limit: int = 100) -> list[Session]:
    """The user's sessions, newest first: every live one (not revoked, not expired; bounded by
    AUTHZ_MAX_SESSIONS_PER_USER) and the ``limit`` most recently created ended ones (until purged), so
    ended sessions never hide a live one."""
    mine = Session.objects.filter(user_id=user_id)
    is_live = Q(revoked_at__isnull=True, expires_at__gt=timezone.now())
    live = list(mine.filter(is_live))
    ended = list(mine.exclude(is_live).order_by("-created_at")[:limit])
    return sorted(live + ended, key=lambda s: (s.created_at, s.id), reverse=True)


def session_get(*, user_id: uuid.UUID, session_id: uuid.UUID) -> Session | None:
    """The user's session ``session_id`` (``None`` for another user's session)."""
    return Session.objects.filter(id=session_id, user_id=user_id).first()


def api_key_list(*, user_id: uuid.UUID) -> QuerySet[ApiKey]:
    """The user's unrevoked API keys, newest first."""
    return ApiKey.objects.filter(user_id=user_id, revoked_at__isnull=True).order_by("-created_at")


def roles_of(*, user_id: uuid.UUID) -> frozenset[str]:
    """The user's global roles, including the implicit base role."""
    names = UserRole.objects.filter(user_id=user_id).values_list("role_id", flat=True)
    return frozenset({BASE_ROLE, *names})


def role_permissions() -> dict[str, frozenset[str]]:
    """Every role with its permission strings."""
    return {role.name: frozenset(str(p) for p in role.permissions or []) for role in Role.objects.all()}
