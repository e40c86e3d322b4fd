"""Hot variants: a small per-process memory tier in front of Redis (size-capped entries with a TTL), and
the lock that makes a miss generate once.

The memory tier holds only *public* variants, for ``CDN_MEMORY_TTL`` seconds (default 30): a Redis GET
costs a network round trip per request, and public, content-addressed responses are anyway cacheable by
browsers and edge caches for a year (``immutable``), so a few seconds of per-process staleness after a
delete changes nothing. Private variants are only ever in Redis, which purging clears at once.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from email.utils import formatdate
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
    last_modified_http: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if not self.last_modified_http:
            object.__setattr__(self, "last_modified_http", formatdate(self.last_modified, usegmt=True))


class MemoryTier:
    """A thread-safe LRU of public variants, bounded in bytes, entries expiring after ``ttl`` seconds."""

    def __init__(self, max_bytes: int, ttl: float) -> None:
        self.max_bytes = max_bytes
        self.ttl = ttl
        self._items: OrderedDict[str, tuple[float, CachedVariant]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, name: str) -> CachedVariant | None:
        with self._lock:
            item = self._items.get(name)
            if item is None:
                return None
            if item[0] < time.monotonic():
                self._drop(name)
                return None
            self._items.move_to_end(name)
            return item[1]

    def put(self, name: str, variant: CachedVariant) -> None:
        size = len(variant.body)
        if size > self.max_bytes // 8:
            return
        with self._lock:
            if name in self._items:
                self._drop(name)
            self._items[name] = (time.monotonic() + self.ttl, variant)
            self._bytes += size
            while self._bytes > self.max_bytes and self._items:
                self._drop(next(iter(self._items)))

    def forget_prefix(self, prefix: str) -> None:
        with self._lock:
            for name in [n for n in self._items if n.startswith(prefix)]:
                self._drop(name)

    def _drop(self, name: str) -> None:
        _, variant = self._items.pop(name)
        self._bytes -= len(variant.body)


_memory = MemoryTier(max_bytes=32 * 1024 * 1024, ttl=30)
#: Recently used source images, so a burst of misses on one image reads it from S3 once.
_sources = MemoryTier(max_bytes=96 * 1024 * 1024, ttl=60)


def get_source(key: str) -> bytes | None:
    found = _sources.get(key)
    return found.body if found is not None else None


def put_source(key: str, data: bytes) -> None:
    _sources.put(key, CachedVariant(data, "", "", 0.0, False, "-"))


def _key(key: str, cid: str) -> str:
    return f"cdn:v:{key}:{cid}"


def meta_key(key: str) -> str:
    """Cache key of the object's metadata (kept with the variants, purged with them)."""
    return _key(key, "meta")


def max_entry_bytes() -> int:
    """Variants larger than this are not kept in Redis (they are still in object storage)."""
    return int(getattr(settings, "CDN_REDIS_MAX_ENTRY_BYTES", 512 * 1024))


def ttl() -> int:
    return int(getattr(settings, "CDN_REDIS_TTL", 24 * 3600))


def lookup(key: str, cid: str) -> tuple[CachedVariant | None, str]:
    """The cached variant and the tier that had it: ``memory``, ``redis``, or ``""`` (not cached)."""
    name = _key(key, cid)
    found = _memory.get(name)
    if found is not None:
        return found, "memory"
    raw: Any = cache.get(name)
    if raw is None:
        return None, ""
    body, content_type, etag, last_modified, public = raw
    found = CachedVariant(body, content_type, etag, last_modified, public)
    if public:
        _memory.put(name, found)
    return found, "redis"


def get(key: str, cid: str) -> CachedVariant | None:
    return lookup(key, cid)[0]


@dataclass
class Lookup:
    """What one Redis round trip told about a variant: the variant itself (or None) and, for a miss, the
    object's cached metadata (JSON, or None) and whether the variant is in object storage."""

    variant: CachedVariant | None
    meta_json: str | None = None
    stored: bool = False
    #: The tier that had the variant: ``memory``, ``redis``, or ``""`` (not cached).
    tier: str = ""


def get_with_context(key: str, cid: str) -> Lookup:
    """:func:`get`, and in the same round trip (``MGET``) what a miss needs next: the metadata and the
    stored marker (a miss then costs one round trip fewer for each)."""
    name = _key(key, cid)
    found = _memory.get(name)
    if found is not None:
        return Lookup(found, tier="memory")
    stored_name = f"{name}:stored"
    values: dict[str, Any] = cache.get_many([name, meta_key(key), stored_name])
    raw = values.get(name)
    if raw is None:
        return Lookup(None, values.get(meta_key(key)), values.get(stored_name) is not None)
    body, content_type, etag, last_modified, public = raw
    found = CachedVariant(body, content_type, etag, last_modified, public)
    if public:
        _memory.put(name, found)
    return Lookup(found, tier="redis")


def put(key: str, cid: str, variant: CachedVariant) -> None:
    if len(variant.body) > max_entry_bytes():
        return
    value = (variant.body, variant.content_type, variant.etag, variant.last_modified, variant.public)
    cache.set(_key(key, cid), value, timeout=ttl())
    if variant.public:
        _memory.put(_key(key, cid), variant)


def remember(key: str, cid: str, variant: CachedVariant) -> None:
    """Keep a public variant in this process's memory tier only (no round trip)."""
    if variant.public:
        _memory.put(_key(key, cid), variant)


def forget(key: str) -> None:
    """Drop every cached variant of ``key`` (django-redis pattern delete; other caches expire by TTL)
    and, on every cache backend, its metadata: a deleted object must stop being served at once."""
    _memory.forget_prefix(f"cdn:v:{key}:")
    _sources.forget_prefix(key)
    cache.delete(meta_key(key))
    delete_pattern = getattr(cache, "delete_pattern", None)
    if delete_pattern is not None:
        delete_pattern(f"cdn:v:{key}:*")


def mark_stored(key: str, cid: str) -> None:
    """Remember that the variant is in object storage (saves a storage round trip on later misses)."""
    cache.set(f"{_key(key, cid)}:stored", 1, timeout=7 * 24 * 3600)


def is_stored(key: str, cid: str) -> bool:
    return cache.get(f"{_key(key, cid)}:stored") is not None


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
