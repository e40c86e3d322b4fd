"""The revoked-session set: what makes revoking a session stop its access tokens at once.

Access JWTs are verified without the database, so a revoked session's tokens would otherwise live until
they expire. Revoking a session adds ``authz:revoked:<sid>`` to the cache named by
``AUTHZ_REVOCATION_CACHE`` for as long as a token of that session can still be valid, and (Redis only)
publishes the session ids on a pub/sub channel.

Checking a token has two modes:

- **Subscribed** (``AUTHZ_REVOCATION_SUBSCRIBE``, on by default with Redis): each process keeps the set in
  memory. A daemon thread subscribes to the channel, *then* loads the current set with SCAN (so nothing
  published in between is missed), and applies every message; it pings Redis every
  ``AUTHZ_REVOCATION_PING_SECONDS``. The in-memory set answers only while the subscription is proven
  alive (a pong or a message within ``AUTHZ_REVOCATION_STALE_SECONDS``): no network round trip per
  request. A revocation reaches the other processes in about a millisecond (measured by
  ``apps/authz/tests/test_revocation_subscription.py``); the revoking process adds it to its own set
  before returning.
- **Direct** (the fallback whenever the subscription is not proven alive, and the only mode without it):
  one GET of the key per check.

Either way, if the store cannot be reached the check raises :class:`RevocationStoreError`, and
verification fails closed (503) unless ``AUTHZ_REVOCATION_FAIL_OPEN`` is true.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
import uuid
from collections.abc import Iterable
from typing import Any

from django.core.cache import caches

from apps.authz import conf

logger = logging.getLogger("gau.authz")

CHANNEL = "authz:revocations"


class RevocationStoreError(Exception):
    """The revoked-session store could not be read."""


def _key(session_id: uuid.UUID | str) -> str:
    return f"authz:revoked:{session_id}"


def _ttl() -> int:
    # A token issued just before the revocation is valid for its lifetime plus the clock leeway.
    return int(conf.get("AUTHZ_ACCESS_TOKEN_LIFETIME") + conf.get("AUTHZ_LEEWAY") + 60)


def _redis_client(alias: str) -> Any | None:
    """The redis-py client behind cache ``alias`` (django-redis), or None for other backends."""
    cache = caches[alias]
    client = getattr(cache, "client", None)
    get_client = getattr(client, "get_client", None)
    return get_client(write=True) if callable(get_client) else None


def publish(session_ids: Iterable[uuid.UUID]) -> bool:
    """Mark sessions revoked for access-token checks. Returns False (and logs) if the store is down."""
    sids = [str(sid) for sid in session_ids]
    if not sids:
        return True
    alias = conf.get("AUTHZ_REVOCATION_CACHE")
    for listener in list(_listeners.values()):  # this process refuses them at once, whatever happens next
        listener.add(sids)
    try:
        cache = caches[alias]
        cache.set_many({_key(sid): 1 for sid in sids}, timeout=_ttl())
        client = _redis_client(alias)
        if client is not None:  # after the keys: a listener that subscribed and then scanned sees one or both
            client.publish(cache.make_key(CHANNEL), ",".join(sids))
    except Exception:
        # The database already says revoked (refresh is refused); access tokens keep working until
        # `authz.republish_revocations` runs again with Redis back, at most their lifetime.
        logger.exception("could not publish %d session revocation(s) to the cache", len(sids))
        return False
    return True


class RevocationListener:
    """This process's copy of the revoked-session set, kept current by a Redis subscription."""

    def __init__(self, alias: str) -> None:
        self.alias = alias
        self._revoked: dict[str, float] = {}  # sid -> monotonic time after which it can be forgotten
        self._alive_until = 0.0  # the set is trusted only before this (monotonic)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"authz-revocations-{alias}", daemon=True)
        self._thread.start()

    def ready(self) -> bool:
        return time.monotonic() < self._alive_until

    def add(self, sids: Iterable[str]) -> None:
        forget_at = time.monotonic() + _ttl()
        for sid in sids:
            self._revoked[sid] = forget_at

    def is_revoked(self, sid: str) -> bool:
        forget_at = self._revoked.get(sid)
        if forget_at is None:
            return False
        if forget_at < time.monotonic():
            self._revoked.pop(sid, None)
            return False
        return True

    def stop(self) -> None:
        self._stop.set()
        self._alive_until = 0.0

    def _run(self) -> None:
        backoff = 0.05
        while not self._stop.is_set():
            try:
                self._listen()
                backoff = 0.05
            except Exception as exc:  # Redis down or the connection dropped: direct checks until resubscribed
                self._alive_until = 0.0
                logger.warning("revocation subscription (%s) lost: %s", self.alias, exc)
            if self._stop.wait(backoff):
                return
            backoff = min(backoff * 2, 2.0)

    def _listen(self) -> None:
        cache = caches[self.alias]
        client = _redis_client(self.alias)
        if client is None:
            raise RevocationStoreError(f"cache {self.alias!r} is not Redis")
        channel = cache.make_key(CHANNEL)
        ping_every = float(conf.get("AUTHZ_REVOCATION_PING_SECONDS"))
        stale_after = float(conf.get("AUTHZ_REVOCATION_STALE_SECONDS"))
        pubsub = client.pubsub()
        try:
            pubsub.subscribe(channel)
            confirmed = pubsub.get_message(timeout=stale_after)
            if not confirmed or confirmed.get("type") != "subscribe":
                raise RevocationStoreError("no subscription confirmation")
            # Subscribed: now load what was revoked before; anything newer arrives as a message.
            pattern = cache.make_key(_key("*"))
            prefix_length = len(cache.make_key(_key("")))
            self.add(
                (raw.decode() if isinstance(raw, bytes) else str(raw))[prefix_length:]
                for raw in client.scan_iter(match=pattern, count=1000)
            )
            last_ping = time.monotonic()
            self._alive_until = last_ping + stale_after
            pubsub.ping()
            while not self._stop.is_set():
                message = pubsub.get_message(timeout=min(ping_every, 0.5))
                now = time.monotonic()
                if message is not None:
                    if message.get("type") == "message":
                        data = message["data"]
                        self.add((data.decode() if isinstance(data, bytes) else str(data)).split(","))
                    self._alive_until = now + stale_after  # a message or a pong proves the link
                if now - last_ping >= ping_every:
                    pubsub.ping()
                    last_ping = now
        finally:
            self._alive_until = 0.0
            with contextlib.suppress(Exception):  # closing a dead connection
                pubsub.close()


_listeners: dict[str, RevocationListener] = {}
_listeners_lock = threading.Lock()


def _listener(alias: str) -> RevocationListener | None:
    listener = _listeners.get(alias)
    if listener is not None:
        return listener
    if not conf.get("AUTHZ_REVOCATION_SUBSCRIBE") or _redis_client(alias) is None:
        return None
    with _listeners_lock:
        if alias not in _listeners:
            _listeners[alias] = RevocationListener(alias)
        return _listeners[alias]


def reset_listeners() -> None:
    """Stop this process's subscriptions and forget their sets (tests; they restart on the next check)."""
    with _listeners_lock:
        for listener in _listeners.values():
            listener.stop()
        _listeners.clear()


def is_revoked(session_id: uuid.UUID | str) -> bool:
    """Whether the session was revoked recently. Raises :class:`RevocationStoreError` if the store is down."""
    alias = conf.get("AUTHZ_REVOCATION_CACHE")
    try:
        listener = _listener(alias)
        if listener is not None and listener.ready():
            return listener.is_revoked(str(session_id))
        return caches[alias].get(_key(session_id)) is not None
    except Exception as exc:
        raise RevocationStoreError(str(exc)) from exc
