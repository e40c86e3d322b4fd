"""User names for kanban responses: one batched account call per request, never one per task.

Names are cached in the shared cache (Redis when configured) for ``KANBAN_NAME_CACHE_SECONDS``
(default 60; 0 turns the cache off), so a board read in a split deployment does not pay an
account call on every request. What that costs: a renamed or deactivated user keeps their old name on
boards for up to that long. A deleted user's entry is dropped at once by
:func:`forget` (called from kanban's erasure hook). A cache outage falls back to the account call:
names are display data, never an access decision.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable

from django.conf import settings
from django.core.cache import cache

from apps.account.services import AccountService, account_service

log = logging.getLogger(__name__)

#: What a user who no longer exists (or was anonymised) is shown as.
DELETED_USER = "Deleted user"
_PREFIX = "kanban:name:"


def _ttl() -> int:
    return int(getattr(settings, "KANBAN_NAME_CACHE_SECONDS", 60))


def _key(user_id: uuid.UUID) -> str:
    return f"{_PREFIX}{user_id}"


def _cached(wanted: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not wanted or _ttl() <= 0:
        return {}
    try:
        found = cache.get_many([_key(u) for u in wanted])
    except Exception:  # a cache outage only costs the account call
        log.warning("kanban name cache unavailable; asking the account service", exc_info=True)
        return {}
    return {u: found[_key(u)] for u in wanted if _key(u) in found}


def _remember(names: dict[uuid.UUID, str]) -> None:
    ttl = _ttl()
    if not names or ttl <= 0:
        return
    try:
        cache.set_many({_key(u): name for u, name in names.items()}, timeout=ttl)
    except Exception:
        log.warning("kanban name cache unavailable; names not cached", exc_info=True)


def display_names(user_ids: Iterable[uuid.UUID | None]) -> dict[uuid.UUID, str]:
    """``{user_id: display name}`` for every id given, in as few calls as the batch limit allows."""
    wanted = sorted({u for u in user_ids if u is not None})
    names = _cached(wanted)
    missing = [u for u in wanted if u not in names]
    fetched: dict[uuid.UUID, str] = dict.fromkeys(missing, DELETED_USER)
    for start in range(0, len(missing), AccountService.MAX_BATCH):
        for user in account_service.get_users(user_ids=missing[start : start + AccountService.MAX_BATCH]):
            if user.is_active:
                fetched[user.id] = user.display_name or user.email.split("@", 1)[0]
    _remember(fetched)
    names.update(fetched)
    return names


def forget(user_id: uuid.UUID) -> None:
    """Drop ``user_id``'s cached name (their account is being deleted)."""
    try:
        cache.delete(_key(user_id))
    except Exception:
        log.warning("kanban name cache unavailable; %s not forgotten until it expires", user_id, exc_info=True)
