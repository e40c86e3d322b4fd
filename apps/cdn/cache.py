"""Hot variants in Redis (size-capped entries with a TTL) and the lock that makes a miss generate once."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache


@dataclass(frozen=True)
class CachedVariant:
    """A rendered variant and what its response needs."""

    body: bytes
    content_type: str
    etag: str
    last_modified: float
    public: bool


def _key(key: str, cid: str) -> str:
    return f"cdn:v:{key}:{cid}"


def max_entry_bytes() -> int:
    """Variants larger than this are not kept in Redis (they are still in object storage)."""
    return int(getattr(settings, "CDN_REDIS_MAX_ENTRY_BYTES", 512 * 1024))


def ttl() -> int:
    return int(getattr(settings, "CDN_REDIS_TTL", 24 * 3600))


def get(key: str, cid: str) -> CachedVariant | None:
    raw: Any = cache.get(_key(key, cid))
    if raw is None:
        return None
    body, content_type, etag, last_modified, public = raw
    return CachedVariant(body, content_type, etag, last_modified, public)


def put(key: str, cid: str, variant: CachedVariant) -> None:
    if len(variant.body) > max_entry_bytes():
        return
    value = (variant.body, variant.content_type, variant.etag, variant.last_modified, variant.public)
    cache.set(_key(key, cid), value, timeout=ttl())


def forget(key: str) -> None:
    """Drop every cached variant of ``key`` (django-redis pattern delete; other caches expire by TTL)."""
    delete_pattern = getattr(cache, "delete_pattern", None)
    if delete_pattern is not None:
        delete_pattern(f"cdn:v:{key}:*")


def acquire(key: str, cid: str, timeout: int = 30) -> bool:
    """Try to become the one process generating this variant (atomic SET NX with expiry)."""
    return bool(cache.add(f"cdn:lock:{key}:{cid}", 1, timeout=timeout))


def release(key: str, cid: str) -> None:
    cache.delete(f"cdn:lock:{key}:{cid}")


def wait_for(key: str, cid: str, timeout: float = 15.0) -> CachedVariant | None:
    """Wait for another process to finish generating; None if it did not within ``timeout``."""
    deadline = time.monotonic() + timeout
    delay = 0.02
    while time.monotonic() < deadline:
        found = get(key, cid)
        if found is not None:
            return found
        if cache.get(f"cdn:lock:{key}:{cid}") is None:
            return get(key, cid)
        time.sleep(delay)
        delay = min(delay * 1.5, 0.2)
    return None
