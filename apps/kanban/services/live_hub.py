"""This process's open board streams and the one thread that feeds them.

Each stream registers a :class:`Subscriber` (its board, project, user, event loop and a bounded queue).
:meth:`Hub.dispatch` turns a broker message into one ready SSE frame and queues it for every stream of
that board, with one ``call_soon_threadsafe`` per event loop (not per stream), so a thousand streams on
one loop cost one wake-up per event. With Redis, a daemon thread holds this process's single
subscription to the fan-out channel (started with the first stream); after a lost subscription every
stream is told to refill from its backlog, so nothing published in between is lost.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import uuid
from collections import defaultdict
from dataclasses import dataclass, field

from apps.kanban.services.live_broker import LocalBroker, broker

logger = logging.getLogger(__name__)

#: What a stream's queue holds: ("event", id, frame), ("check", 0, b"") or ("resync", 0, b"").
Item = tuple[str, int, bytes]
CHECK: Item = ("check", 0, b"")
RESYNC: Item = ("resync", 0, b"")


def frame(event_id: int, verb: str, payload: str) -> bytes:
    """One SSE event: the payload with its ``id`` first, on a single ``data:`` line (JSON has no newline)."""
    data = f'{{"id":{event_id},{payload[1:]}' if payload.startswith("{") and payload != "{}" else payload
    return f"id: {event_id}\nevent: {verb}\ndata: {data}\n\n".encode()


@dataclass(eq=False)
class Subscriber:
    """One open stream: where its events go."""

    board_id: str
    project_id: str
    user_id: str
    loop: asyncio.AbstractEventLoop
    queue: asyncio.Queue[Item] = field(default_factory=lambda: asyncio.Queue(maxsize=1000))
    #: Set when an event was dropped on a full queue; the stream refills from the backlog.
    overflowed: bool = False

    def put(self, item: Item) -> None:
        try:
            self.queue.put_nowait(item)
        except asyncio.QueueFull:
            self.overflowed = True


def _deliver(subscribers: list[Subscriber], item: Item) -> None:
    for sub in subscribers:
        sub.put(item)


class Hub:
    """Streams by board, fed from the broker's messages."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._boards: dict[str, set[Subscriber]] = defaultdict(set)
        self._listener: threading.Thread | None = None
        self._stop = threading.Event()

    def add(self, sub: Subscriber) -> None:
        with self._lock:
            self._boards[sub.board_id].add(sub)
        self._ensure_feed()

    def remove(self, sub: Subscriber) -> None:
        with self._lock:
            subs = self._boards.get(sub.board_id)
            if subs is not None:
                subs.discard(sub)
                if not subs:
                    del self._boards[sub.board_id]

    def count(self) -> int:
        with self._lock:
            return sum(len(s) for s in self._boards.values())

    def _send(self, subs: list[Subscriber], item: Item) -> None:
        by_loop: dict[asyncio.AbstractEventLoop, list[Subscriber]] = defaultdict(list)
        for sub in subs:
            by_loop[sub.loop].append(sub)
        for loop, group in by_loop.items():
            try:
                loop.call_soon_threadsafe(_deliver, group, item)
            except RuntimeError:  # the loop is closed: its streams are gone
                for sub in group:
                    self.remove(sub)

    def dispatch(self, message: str) -> None:
        """Queue a broker message (see :mod:`live_broker`) for the streams it concerns."""
        try:
            if message.startswith("E "):
                head, _, payload = message.partition("\n")
                _, board_id, raw_id, verb = head.split(" ", 3)
                with self._lock:
                    subs = list(self._boards.get(board_id, ()))
                if subs:
                    event_id = int(raw_id)
                    self._send(subs, ("event", event_id, frame(event_id, verb, payload)))
            elif message.startswith("C "):
                _, project_id, user_id = message.split(" ", 2)
                with self._lock:
                    subs = [
                        s
                        for group in self._boards.values()
                        for s in group
                        if s.project_id == project_id and user_id in ("-", s.user_id)
                    ]
                if subs:
                    self._send(subs, CHECK)
        except ValueError:
            logger.warning("ignoring a malformed live event message: %.80r", message)

    def resync_all(self) -> None:
        with self._lock:
            subs = [s for group in self._boards.values() for s in group]
        if subs:
            self._send(subs, RESYNC)

    def _ensure_feed(self) -> None:
        if self._listener is not None:
            return
        with self._lock:
            if self._listener is not None:
                return
            current = broker()
            if isinstance(current, LocalBroker):
                current.deliver = self.dispatch
                self._listener = threading.current_thread()  # nothing to run: marks the feed as wired
                return
            self._listener = threading.Thread(target=self._listen, name="kanban-live-events", daemon=True)
            self._listener.start()

    def _listen(self) -> None:
        backoff = 0.05
        while not self._stop.is_set():
            current = broker()
            if isinstance(current, LocalBroker):
                return
            try:
                current.listen(self.dispatch, self.resync_all, self._stop)
                backoff = 0.05
            except Exception as exc:  # Redis down or the connection dropped: resubscribe with backoff
                logger.warning("live events subscription lost: %s", exc)
            if self._stop.wait(backoff):
                return
            backoff = min(backoff * 2, 2.0)


hub = Hub()


def new_subscriber(*, board_id: uuid.UUID, project_id: uuid.UUID, user_id: uuid.UUID, queue_size: int) -> Subscriber:
    """A subscriber on the running event loop (not yet registered)."""
    return Subscriber(
        board_id=str(board_id),
        project_id=str(project_id),
        user_id=str(user_id),
        loop=asyncio.get_running_loop(),
        queue=asyncio.Queue(maxsize=queue_size),
    )
