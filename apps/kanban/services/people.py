"""User names for kanban responses: one batched account call per request, never one per task."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from apps.account.services import AccountService, account_service

#: What a user who no longer exists (or was anonymised) is shown as.
DELETED_USER = "Deleted user"


def display_names(user_ids: Iterable[uuid.UUID | None]) -> dict[uuid.UUID, str]:
    """``{user_id: display name}`` for every id given, in as few calls as the batch limit allows."""
    wanted = sorted({u for u in user_ids if u is not None})
    names: dict[uuid.UUID, str] = dict.fromkeys(wanted, DELETED_USER)
    for start in range(0, len(wanted), AccountService.MAX_BATCH):
        for user in account_service.get_users(user_ids=wanted[start : start + AccountService.MAX_BATCH]):
            if user.is_active:
                names[user.id] = user.display_name or user.email.split("@", 1)[0]
    return names
