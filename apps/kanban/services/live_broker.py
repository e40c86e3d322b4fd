"""Where live board events are numbered, kept for resume and fanned out: Redis, or this process.

Every event gets the next id of its board (1, 2, 3 … per board), goes into the board's bounded backlog
(the last ``BACKLOG_SIZE`` events, none older than ``BACKLOG_SECONDS``) and is published as one message
on the fan-out channel. With Redis, one Lua script does the three at once (``INCR`` the board's counter,
``XADD … MAXLEN`` to its stream, ``PUBLISH``), so ids, backlog order and message order always agree
whichever process publishes. Without Redis (``make run``), :class:`LocalBroker` does the same in memory
and hands the message straight to this process's hub.

Messages (text, one per event or control):

- ``E <board_id> <id> <verb>\\n<payload JSON>``: an event of a board;
- ``C <project_id> <user_id | ->``: membership changed; the streams of that user (``-``: everyone) in
  that project must check it again and close if it is gone.
"""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import caches

CHANNEL = "kanban:events"

_APPEND = """
local id = redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[7])
redis.call('XADD', KEYS[2], 'MAXLEN', ARGV[5], id .. '-0', 'e', ARGV[3], 'd', ARGV[4], 't', ARGV[8])
redis.call('PEXPIRE', KEYS[2], ARGV[6])
redis.call('PUBLISH', ARGV[1], 'E ' .. ARGV[2] .. ' ' .. id .. ' ' .. ARGV[3] .. '\\n' .. ARGV[4])
return id
"""

#: A board's counter outlives its backlog by far, so ids keep increasing across quiet spells.
_COUNTER_TTL_MS = 30 * 86_400 * 1000


@dataclass(frozen=True)
class Backlog:
    """What a resume gets: the events after the client's id, or ``complete=False`` if some are gone."""

    entries: list[tuple[int, str, str]]  # (id, verb, payload JSON), oldest first
    complete: bool
    last_id: int  # the board's newest id (0 if none yet)


def conf() -> dict[str, Any]:
    return dict(settings.KANBAN_EVENTS)


def event_message(board_id: str, event_id: int, verb: str, payload: str) -> str:
    return f"E {board_id} {event_id} {verb}\n{payload}"


def control_message(project_id: uuid.UUID, user_id: uuid.UUID | None) -> str:
    return f"C {project_id} {user_id or '-'}"


def _slice(entries: list[tuple[int, str, str, float]], after: int, last_id: int, now: float) -> Backlog:
    """The backlog after ``after`` from ``entries`` (id, verb, payload, unix time), oldest first."""
    if after > last_id:  # a counter that restarted (expired or a new Redis): the client's id means nothing
        return Backlog([], False, last_id)
    if after == last_id:
        return Backlog([], True, last_id)
    oldest_allowed = now - float(conf()["BACKLOG_SECONDS"])
    kept = [(i, verb, payload) for i, verb, payload, t in entries if i > after and t >= oldest_allowed]
    complete = bool(kept) and kept[0][0] == after + 1
    return Backlog(kept if complete else [], complete, last_id)


class RedisBroker:
    """Counters, backlogs (streams) and fan-out (pub/sub) in the Redis of the default cache."""

    def __init__(self, client: Any, prefix: str) -> None:
        self.client = client
        db = client.connection_pool.connection_kwargs.get("db", 0)
        # Pub/sub channels are global to a Redis server (not per db): the db index keeps two deployments
        # (or test sessions) sharing one server apart.
        self.channel = f"{prefix}{CHANNEL}:db{db}"
        self.prefix = prefix
        self._append = client.register_script(_APPEND)

    def _keys(self, board_id: str) -> tuple[str, str]:
        tag = "{" + board_id + "}"  # one hash slot for both keys (Redis Cluster)
        return f"{self.prefix}kanban:events:seq:{tag}", f"{self.prefix}kanban:events:log:{tag}"

    def append(self, board_id: str, verb: str, payload: str) -> int:
        c = conf()
        seq, log = self._keys(board_id)
        args = [
            self.channel,
            board_id,
            verb,
            payload,
            int(c["BACKLOG_SIZE"]),
            int(c["BACKLOG_SECONDS"]) * 1000,
            _COUNTER_TTL_MS,
            f"{time.time():.3f}",
        ]
        return int(self._append(keys=[seq, log], args=args))

    def control(self, project_id: uuid.UUID, user_id: uuid.UUID | None) -> None:
        self.client.publish(self.channel, control_message(project_id, user_id))

    def last_id(self, board_id: str) -> int:
        return int(self.client.get(self._keys(board_id)[0]) or 0)

    def backlog(self, board_id: str, after: int) -> Backlog:
        seq, log = self._keys(board_id)
        pipe = self.client.pipeline(transaction=True)
        pipe.get(seq)
        pipe.xrange(log, min=f"({max(after, 0)}-0", max="+")
        raw_last, raw_entries = pipe.execute()
        entries = []
        for raw_id, fields in raw_entries:
            text = {(k.decode() if isinstance(k, bytes) else k): v.decode() for k, v in fields.items()}
            entries.append((int(raw_id.decode().split("-")[0]), text["e"], text["d"], float(text["t"])))
        return _slice(entries, after, int(raw_last or 0), time.time())

    def listen(
        self, on_message: Callable[[str], None], on_resubscribed: Callable[[], None], stop: threading.Event
    ) -> None:
        """Deliver every channel message to ``on_message`` until ``stop`` (one subscription; raises when lost)."""
        pubsub = self.client.pubsub(ignore_subscribe_messages=False)
        try:
            pubsub.subscribe(self.channel)
            confirmed = pubsub.get_message(timeout=5)
            if not confirmed or confirmed.get("type") != "subscribe":
                raise ConnectionError("no subscription confirmation")
            on_resubscribed()  # anything published while unsubscribed is refilled from the backlogs
            last_ping = time.monotonic()
            while not stop.is_set():
                message = pubsub.get_message(timeout=1.0)
                if message is not None and message.get("type") == "message":
                    data = message["data"]
                    on_message(data.decode() if isinstance(data, bytes) else str(data))
                if time.monotonic() - last_ping >= 5:  # a dead connection shows as an error here
                    pubsub.ping()
                    last_ping = time.monotonic()
        finally:
            with contextlib.suppress(Exception):  # closing a dead connection
                pubsub.close()


class LocalBroker:
    """The embedded default: counters and ring buffers in this process, fan-out to this process's hub."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seq: dict[str, int] = {}
        self._logs: dict[str, deque[tuple[int, str, str, float]]] = {}
        self.deliver: Callable[[str], None] = lambda message: None

    def append(self, board_id: str, verb: str, payload: str) -> int:
        size = int(conf()["BACKLOG_SIZE"])
        with self._lock:
            event_id = self._seq.get(board_id, 0) + 1
            self._seq[board_id] = event_id
            log = self._logs.get(board_id)
            if log is None or log.maxlen != size:
                log = self._logs[board_id] = deque(log or (), maxlen=size)
            log.append((event_id, verb, payload, time.time()))
            # Under the lock: messages reach the hub in id order, as Redis' single thread guarantees.
            self.deliver(event_message(board_id, event_id, verb, payload))
        return event_id

    def control(self, project_id: uuid.UUID, user_id: uuid.UUID | None) -> None:
        self.deliver(control_message(project_id, user_id))

    def last_id(self, board_id: str) -> int:
        with self._lock:
            return self._seq.get(board_id, 0)

    def backlog(self, board_id: str, after: int) -> Backlog:
        with self._lock:
            entries = list(self._logs.get(board_id, ()))
            last = self._seq.get(board_id, 0)
        return _slice(entries, after, last, time.time())


Broker = RedisBroker | LocalBroker
_brokers: dict[str, Broker] = {}
_broker_lock = threading.Lock()


def broker() -> Broker:
    """This process's broker: Redis when the default cache is Redis (django-redis), else in-process."""
    found = _brokers.get("default")
    if found is not None:
        return found
    with _broker_lock:
        if "default" not in _brokers:
            cache = caches["default"]
            get_client = getattr(getattr(cache, "client", None), "get_client", None)
            if callable(get_client):
                _brokers["default"] = RedisBroker(get_client(write=True), cache.make_key(""))
            else:
                _brokers["default"] = LocalBroker()
        return _brokers["default"]
