"""The ``GET me`` document, cached per user in the shared cache (Redis) with versioned invalidation.

Two keys per user: a *version* (a random token) and the *entry* ``(version, avatar_file_id, avatar_url)``
plus the body, the document as the orjson bytes every ``GET me`` answers. One ``MGET`` reads both; an
entry counts only while its version is the current one, so no database query is needed on a hit.

Correctness (a write is visible on the next ``GET`` in every process):

- A reader takes the version *before* reading the database and stores the entry under it. When there
  is no version yet, it creates one with ``add`` (set-if-absent) *after* the read, and stores nothing if
  someone else created it first.
- Every write to what the document shows bumps the version (a new random token): once before the write
  (:func:`bump`, which raises when the cache is down, so the write fails closed instead of leaving a
  stale entry behind) and once after the commit (:func:`bump_after_commit`). An entry read before a
  commit was stored under a version that the post-commit bump has replaced, so it is never served after
  the writer has answered. The post-commit bump only logs a failure; the pre-write bump already
  invalidated what was cached, and ``ENTRY_TTL`` bounds what a reader could store in between.
- Writes through model ``save``/``delete`` (User, TotpDevice) are covered by the signal receivers at the
  bottom; ``QuerySet.update`` calls wrap themselves in :func:`invalidating`.
- The avatar's URL comes from the upload app, where the file can be deleted on its own: a hit whose
  entry has an avatar asks the upload app for the file (as an uncached read does) and is a miss unless
  the URL is unchanged.
"""

from __future__ import annotations

import logging
import secrets
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, NamedTuple

import orjson
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save, pre_delete, pre_save

from apps.upload.services import upload_service

logger = logging.getLogger(__name__)

#: How long an entry lives without a read refreshing it (bounds memory, and staleness if a
#: post-commit bump ever fails right after a concurrent read).
ENTRY_TTL = 600
#: Versions outlive entries (an entry whose version expired is a miss, never served).
VERSION_TTL = 24 * 3600


class Entry(NamedTuple):
    """A cached document: the bytes to answer and the avatar they show."""

    version: str
    body: bytes
    avatar_file_id: str | None
    avatar_url: str | None

    def encode(self) -> bytes:
        """``<JSON header>\n<body>`` (plain bytes: no pickle to undo on the hot path)."""
        return orjson.dumps([self.version, self.avatar_file_id, self.avatar_url]) + b"\n" + self.body

    @classmethod
    def decode(cls, raw: bytes) -> Entry:
        header, _, body = raw.partition(b"\n")
        version, avatar_file_id, avatar_url = orjson.loads(header)
        return cls(version, body, avatar_file_id, avatar_url)


def _keys(user_id: uuid.UUID) -> tuple[str, str]:
    hexid = user_id.hex
    return f"account:me:v:{hexid}", f"account:me:e:{hexid}"


def _redis() -> Any | None:
    """The redis-py client behind the default cache (django-redis), or None for other backends.

    The hot read goes straight to it: django-redis's ``get_many`` (key building, unpickling each value)
    costs about half again the round trip itself."""
    get_client = getattr(getattr(cache, "client", None), "get_client", None)
    return get_client(write=True) if callable(get_client) else None


def _read(version_key: str, entry_key: str) -> tuple[str | None, bytes | None]:
    client = _redis()
    if client is None:
        found = cache.get_many([version_key, entry_key])
        return found.get(version_key), found.get(entry_key)
    version, raw = client.mget([cache.make_key(version_key), cache.make_key(entry_key)])
    return (version.decode() if version is not None else None), raw


def _write(key: str, value: str | bytes, ttl: int, *, only_if_absent: bool = False) -> bool:
    client = _redis()
    if client is None:
        if only_if_absent:
            return bool(cache.add(key, value, ttl))
        cache.set(key, value, ttl)
        return True
    return bool(client.set(cache.make_key(key), value, ex=ttl, nx=only_if_absent))


def lookup(user_id: uuid.UUID) -> tuple[str | None, bytes | None]:
    """``(version, body)``: the current version and the cached body when the entry is current, one round trip.

    Raises the cache's error when it is down (callers fail closed)."""
    version, raw = _read(*_keys(user_id))
    if version is None or raw is None:
        return version, None
    entry = Entry.decode(raw)
    if entry.version != version:
        return version, None
    if entry.avatar_file_id is not None:
        file = upload_service.get_file(file_id=uuid.UUID(entry.avatar_file_id))
        if file is None or file.url != entry.avatar_url:
            return version, None
    return version, entry.body


def store(
    user_id: uuid.UUID, version: str | None, body: bytes, avatar_file_id: uuid.UUID | None, avatar_url: str | None
) -> None:
    """Cache ``body`` under ``version`` (what :func:`lookup` returned *before* the database read)."""
    version_key, entry_key = _keys(user_id)
    if version is None:
        fresh = secrets.token_hex(8)
        if not _write(version_key, fresh, VERSION_TTL, only_if_absent=True):
            return  # a writer (or another reader) got there first: do not cache what we read
        version = fresh
    entry = Entry(version, body, avatar_file_id.hex if avatar_file_id else None, avatar_url)
    _write(entry_key, entry.encode(), ENTRY_TTL)


def bump(user_ids: Iterable[uuid.UUID]) -> None:
    """Give each user a new version now (cached entries stop counting). Raises when the cache is down."""
    for user_id in user_ids:
        _write(_keys(user_id)[0], secrets.token_hex(8), VERSION_TTL)


def bump_after_commit(user_ids: Iterable[uuid.UUID]) -> None:
    """Bump once the current transaction commits (right away outside one); a failure is only logged."""
    ids = list(user_ids)

    def run() -> None:
        try:
            bump(ids)
        except Exception:
            logger.exception("could not bump the me-cache version of %s after a write", ids)

    transaction.on_commit(run)


@contextmanager
def invalidating(user_ids: Iterable[uuid.UUID]) -> Iterator[None]:
    """Around a write that bypasses model signals (``QuerySet.update``): bump before and after commit."""
    ids = list(user_ids)
    bump(ids)
    yield
    bump_after_commit(ids)


# --- signal receivers (connected in AccountConfig.ready) -------------------------------------------


def _user_id(sender: Any, instance: Any) -> uuid.UUID | None:
    from apps.account.models import User

    value = instance.pk if sender is User else getattr(instance, "user_id", None)
    return value if isinstance(value, uuid.UUID) else None


def _before_write(sender: Any, instance: Any, **kwargs: Any) -> None:
    from apps.account.models import User

    if sender is User and instance._state.adding:
        return  # a new user has nothing cached
    user_id = _user_id(sender, instance)
    if user_id is not None:
        bump([user_id])


def _after_write(sender: Any, instance: Any, **kwargs: Any) -> None:
    if sender.__name__ == "User" and kwargs.get("created"):
        return
    user_id = _user_id(sender, instance)
    if user_id is not None:
        bump_after_commit([user_id])


def connect() -> None:
    """Invalidate on every save/delete of a model the document shows (the user, their TOTP device)."""
    from apps.account.models import TotpDevice, User

    for model in (User, TotpDevice):
        label = model.__name__
        pre_save.connect(_before_write, sender=model, dispatch_uid=f"me-cache-pre-save-{label}")
        pre_delete.connect(_before_write, sender=model, dispatch_uid=f"me-cache-pre-delete-{label}")
        post_save.connect(_after_write, sender=model, dispatch_uid=f"me-cache-post-save-{label}")
        post_delete.connect(_after_write, sender=model, dispatch_uid=f"me-cache-post-delete-{label}")
