"""The revoked-session set in Redis: what makes revoking a session stop its access tokens at once.

Access JWTs are verified without the database, so a revoked session's tokens would otherwise live until
they expire. Revoking a session adds ``authz:revoked:<sid>`` to the cache named by
``AUTHZ_REVOCATION_CACHE`` for as long as a token of that session can still be valid; verification reads
that one key (one round trip). If the cache cannot be reached, verification fails closed (503) unless
``AUTHZ_REVOCATION_FAIL_OPEN`` is true, in which case tokens are accepted and a warning is logged.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable

from django.core.cache import caches

from apps.authz import conf

logger = logging.getLogger("gau.authz")


class RevocationStoreError(Exception):
    """The revoked-session store could not be read."""


def _key(session_id: uuid.UUID | str) -> str:
    return f"authz:revoked:{session_id}"


def _ttl() -> int:
    # A token issued just before the revocation is valid for its lifetime plus the clock leeway.
    return int(conf.get("AUTHZ_ACCESS_TOKEN_LIFETIME") + conf.get("AUTHZ_LEEWAY") + 60)


def publish(session_ids: Iterable[uuid.UUID]) -> bool:
    """Mark sessions revoked for access-token checks. Returns False (and logs) if the store is down."""
    entries = {_key(sid): 1 for sid in session_ids}
    if not entries:
        return True
    try:
        caches[conf.get("AUTHZ_REVOCATION_CACHE")].set_many(entries, timeout=_ttl())
    except Exception:
        # The database already says revoked (refresh is refused); access tokens keep working until
        # `authz.republish_revocations` runs again with Redis back, at most their lifetime.
        logger.exception("could not publish %d session revocation(s) to the cache", len(entries))
        return False
    return True


def is_revoked(session_id: uuid.UUID | str) -> bool:
    """Whether the session was revoked recently. Raises :class:`RevocationStoreError` if the store is down."""
    try:
        return caches[conf.get("AUTHZ_REVOCATION_CACHE")].get(_key(session_id)) is not None
    except Exception as exc:
        raise RevocationStoreError(str(exc)) from exc
