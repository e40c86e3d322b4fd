"""Live board events: what a change publishes, who may follow a board, and the event stream itself.

- :func:`on_committed` (a ``changes.subscribe`` hook) publishes every committed change of a board, with
  the webhook event name and payload, to the board's stream (project-wide changes, such as members, to
  every board of the project), and tells streams to re-check membership after a member leaves or a
  board or project is deleted.
- :func:`token_issue` / :func:`token_user`: the short-lived signed ``?token=`` EventSource needs.
- :func:`stream`: the async iterator of SSE frames a view returns (backlog replay for ``Last-Event-ID``,
  live events, heartbeats); it closes when the follower is no longer a member.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

from asgiref.sync import sync_to_async
from django.core import signing
from django.db import close_old_connections

from apps.kanban.models import Board, Membership
from apps.kanban.services import webhooks
from apps.kanban.services.changes import Event
from apps.kanban.services.errors import KanbanNotFoundError
from apps.kanban.services.live_broker import Backlog, broker, conf
from apps.kanban.services.live_hub import CHECK, Subscriber, frame, hub, new_subscriber

logger = logging.getLogger(__name__)

#: Project-wide changes every board's followers see.
PROJECT_VERBS = frozenset({"member.added", "member.removed", "member.role_changed", "project.updated"})
_TOKEN_SALT = "gau.kanban.events-token"  # noqa: S105 - a signing namespace, not a secret


# --- publishing ----------------------------------------------------------------------------------


def payload_json(event: Event) -> str:
    fields = webhooks.event_fields(
        event=event.verb,
        created_at=event.created_at,
        project_id=event.project_id,
        board_id=event.board_id,
        actor_id=event.actor_id,
        data=webhooks.event_data(event),
    )
    return json.dumps(fields, separators=(",", ":"), ensure_ascii=False, default=str)


def on_committed(event: Event) -> None:
    """After commit: append ``event`` to its board's stream (or every board's, for project-wide ones)."""
    if event.board_id is not None:
        boards = [str(event.board_id)]
    elif event.verb in PROJECT_VERBS:
        boards = [str(b) for b in Board.objects.filter(project_id=event.project_id).values_list("id", flat=True)]
    else:
        boards = []
    current = broker()
    if boards:
        payload = payload_json(event)
        for board_id in boards:
            current.append(board_id, event.verb, payload)
    if event.verb == "member.removed":
        removed = event.data.get("user_id")
        current.control(event.project_id, uuid.UUID(str(removed)) if removed else None)
    elif event.verb in ("board.deleted", "project.deleted"):
        current.control(event.project_id, None)


# --- tokens ----------------------------------------------------------------------------------------


class EventsTokenError(Exception):
    """A ``?token=`` that cannot open this board's stream; ``status`` 401 (bad or expired) or 403."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def token_issue(*, user_id: uuid.UUID, board_id: uuid.UUID) -> tuple[str, int]:
    """A signed token for ``user_id`` to open ``board_id``'s stream, and its lifetime in seconds.

    The caller must have checked access to the board; the stream checks membership again when it opens.
    """
    token = signing.dumps({"u": str(user_id), "b": str(board_id)}, salt=_TOKEN_SALT, compress=False)
    return token, int(conf()["TOKEN_TTL"])


def token_user(*, token: str, board_id: uuid.UUID) -> uuid.UUID:
    """The user a stream token was issued to. Raises :class:`EventsTokenError` (expired, forged, other board)."""
    try:
        claims = signing.loads(token, salt=_TOKEN_SALT, max_age=int(conf()["TOKEN_TTL"]))
    except signing.SignatureExpired:
        raise EventsTokenError(
            401, "kanban.events_token_expired", "This stream token has expired; ask for a new one."
        ) from None
    except signing.BadSignature:
        raise EventsTokenError(401, "kanban.events_token_invalid", "This stream token is not valid.") from None
    if not isinstance(claims, dict) or claims.get("b") != str(board_id):
        raise EventsTokenError(403, "kanban.events_token_wrong_board", "This stream token is for another board.")
    return uuid.UUID(str(claims["u"]))


# --- following a board -----------------------------------------------------------------------------


def follow_access(*, board_id: uuid.UUID, user_id: uuid.UUID) -> uuid.UUID:
    """The board's project id if ``user_id`` may follow it (any role); :class:`KanbanNotFoundError` if not."""
    project_id = Board.objects.filter(pk=board_id).values_list("project_id", flat=True).first()
    if project_id is None or not Membership.objects.filter(project_id=project_id, user_id=user_id).exists():
        raise KanbanNotFoundError()
    return project_id


def _still_member(board_id: uuid.UUID, user_id: uuid.UUID) -> bool:
    try:
        follow_access(board_id=board_id, user_id=user_id)
    except KanbanNotFoundError:
        return False
    return True


def _fresh[T](fn: Callable[..., T], *args: Any) -> T:
    # Streams run their queries on the loop's small shared thread pool (not one thread per stream, as
    # thread-sensitive sync_to_async would), so connections are checked and recycled around each call.
    close_old_connections()
    try:
        return fn(*args)
    finally:
        close_old_connections()


async def in_thread[T](fn: Callable[..., T], *args: Any) -> T:
    """Run blocking work (database, Redis) off the event loop on the shared pool."""
    result: T = await sync_to_async(_fresh, thread_sensitive=False)(fn, *args)
    return result


def _reset_frame(last_id: int) -> bytes:
    data = json.dumps({"last_event_id": last_id, "reason": "The events after your Last-Event-ID are gone."})
    return f"id: {last_id}\nevent: reset\ndata: {data}\n\n".encode()


def _ready_frame(board_id: uuid.UUID, last_id: int) -> bytes:
    data = json.dumps({"board_id": str(board_id), "last_event_id": last_id})
    return f"id: {last_id}\nevent: ready\ndata: {data}\n\n".encode()


def _replay(backlog: Backlog) -> tuple[list[bytes], int]:
    """Frames for a backlog and the id they bring the client to (a ``reset`` if events are missing)."""
    if not backlog.complete:
        return [_reset_frame(backlog.last_id)], backlog.last_id
    frames = [frame(i, verb, payload) for i, verb, payload in backlog.entries]
    return frames, backlog.entries[-1][0] if backlog.entries else backlog.last_id


async def stream(
    *, board_id: uuid.UUID, project_id: uuid.UUID, user_id: uuid.UUID, last_event_id: int | None
) -> AsyncIterator[bytes]:
    """SSE frames for one follower until they stop being a member (or disconnect).

    Without ``last_event_id``: a ``ready`` event carrying the board's current id, then live events.
    With it: every event after that id from the backlog (or one ``reset`` if some are gone), then live.
    A comment line every ``HEARTBEAT`` seconds keeps proxies from closing an idle stream.
    """
    c = conf()
    heartbeat = float(c["HEARTBEAT"])
    sub = new_subscriber(board_id=board_id, project_id=project_id, user_id=user_id, queue_size=int(c["QUEUE_SIZE"]))
    hub.add(sub)  # before reading the backlog: nothing published in between is missed
    try:
        yield b"retry: 2000\n\n"
        current = broker()
        if last_event_id is None:
            cursor = await in_thread(current.last_id, str(board_id))
            yield _ready_frame(board_id, cursor)
        else:
            frames, cursor = _replay(await in_thread(current.backlog, str(board_id), last_event_id))
            for chunk in frames:
                yield chunk
        while True:
            try:
                kind, event_id, chunk = await asyncio.wait_for(sub.queue.get(), timeout=heartbeat)
            except TimeoutError:
                yield b": heartbeat\n\n"
                continue
            if kind == "check":
                if not await in_thread(_still_member, board_id, user_id):
                    yield b'event: closed\ndata: {"reason":"You are no longer a member of this project."}\n\n'
                    return
                continue
            if kind == "event" and event_id == cursor + 1 and not sub.overflowed:
                cursor = event_id
                yield chunk
                continue
            if kind == "event" and event_id <= cursor:
                continue  # already sent (from the backlog)
            # A gap (a lost message, a full queue) or a resubscribed feed: refill from the backlog.
            sub.overflowed = False
            frames, cursor = await _refill(sub, board_id, cursor)
            for chunk in frames:
                yield chunk
    finally:
        hub.remove(sub)


async def _refill(sub: Subscriber, board_id: uuid.UUID, cursor: int) -> tuple[list[bytes], int]:
    # Drop what is queued: the backlog read after this has it all (and anything newer arrives next).
    saw_check = False
    while not sub.queue.empty():
        saw_check = sub.queue.get_nowait()[0] == "check" or saw_check
    if saw_check:
        sub.put(CHECK)
    backlog = await in_thread(broker().backlog, str(board_id), cursor)
    if backlog.complete and not backlog.entries:
        return [], cursor
    return _replay(backlog)


__all__ = [
    "EventsTokenError",
    "follow_access",
    "in_thread",
    "on_committed",
    "stream",
    "token_issue",
    "token_user",
]
