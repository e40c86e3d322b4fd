"""Watcher notifications: recorded in the change's transaction, squashed into one email per user.

:func:`on_change` (an in-transaction hook of :mod:`changes`) turns a change into ``Notification`` rows:

- ``assigned``: new assignees of a task (created with them or added by a PATCH) — they start watching it —
  and everyone else who watches the task;
- ``mentioned``: project members named as ``@username`` in a new comment (username = the account's
  sign-in username, matched case-insensitively among the project's members);
- ``done``: the task's audience when it moves from a column that is not done into a done one.

Never for the actor's own change, never for a kind the user turned off (``PATCH me/notifications``).
:func:`flush` sends a user's pending rows as one ``kanban/notifications`` email once the oldest is
:data:`BATCH_WINDOW` old, and never two emails to a user within that window.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Min
from django.utils import timezone

from apps.account.services import AccountService, account_service
from apps.email.services import email_service
from apps.kanban.models import (
    Column,
    Comment,
    Membership,
    Notification,
    NotificationKind,
    NotificationPrefs,
    Task,
    TaskWatch,
)
from apps.kanban.services.audience import members_among, task_audience, wanting
from apps.kanban.services.changes import Event
from apps.kanban.services.people import display_names
from apps.kanban.services.reminders import task_url

#: A user hears at most once per window; their first pending change waits this long for company.
BATCH_WINDOW = timedelta(minutes=5)
#: ``@username`` (account usernames are ``[A-Za-z0-9_.-]{3,30}``), not inside an email address.
MENTION = re.compile(r"(?<![A-Za-z0-9_.@-])@([A-Za-z0-9_.-]{3,30})")
#: Most items listed in one email (the rest are counted).
MAX_ITEMS = 50


def mentioned_usernames(body: str) -> set[str]:
    """Lower-cased usernames mentioned in ``body`` (a trailing full stop is not part of a name)."""
    names: set[str] = set()
    for raw in MENTION.findall(body):
        names.add(raw.lower())
        names.add(raw.rstrip(".").lower())
    return names


def _task_data(task: Task) -> dict[str, Any]:
    return {"task_title": task.title, "number": f"{task.project.key}-{task.number:04d}", "board_id": str(task.board_id)}


def _add(kind: str, users: set[uuid.UUID], *, task: Task, actor_id: uuid.UUID | None, data: dict[str, Any]) -> None:
    users = wanting(users - ({actor_id} if actor_id else set()), kind)
    now = timezone.now()
    Notification.objects.bulk_create(
        [
            Notification(
                user_id=u,
                kind=kind,
                project_id=task.project_id,
                task_id=task.id,
                actor_id=actor_id,
                data={**_task_data(task), **data},
                created_at=now,
            )
            for u in sorted(users)
        ]
    )


def on_change(event: Event) -> None:
    """In-transaction hook: the notifications a recorded change causes."""
    verb, data, actor_id, task_id = event.verb, event.data or {}, event.actor_id, event.task_id
    if task_id is None or verb not in {"task.created", "task.updated", "task.moved", "comment.created"}:
        return
    if verb == "task.updated" and "assignee_ids" not in data.get("changes", {}):
        return  # the common case: no query at all
    task = Task.objects.select_related("project").filter(id=task_id).first()
    if task is None:
        return
    if verb in {"task.created", "task.updated"}:
        if verb == "task.created":
            new = set(task.assignees.values_list("user_id", flat=True))
        else:
            change = data.get("changes", {}).get("assignee_ids")
            if not change:
                return
            new = {uuid.UUID(u) for u in change["to"]} - {uuid.UUID(u) for u in change["from"]}
        if not new:
            return
        TaskWatch.objects.bulk_create([TaskWatch(task_id=task.id, user_id=u) for u in new], ignore_conflicts=True)
        _add(
            NotificationKind.ASSIGNED,
            task_audience(task),
            task=task,
            actor_id=actor_id,
            data={"assignee_ids": sorted(str(u) for u in new)},
        )
    elif verb == "task.moved":
        source_id = (data.get("from") or {}).get("column_id")
        target_id = (data.get("to") or {}).get("column_id")
        if not source_id or not target_id:
            return
        done = dict(Column.objects.filter(id__in=[source_id, target_id]).values_list("id", "is_done"))
        if done.get(uuid.UUID(target_id)) and not done.get(uuid.UUID(source_id)):
            column_name = Column.objects.filter(id=target_id).values_list("name", flat=True).first()
            _add(NotificationKind.DONE, task_audience(task), task=task, actor_id=actor_id, data={"column": column_name})
    elif verb == "comment.created":
        comment = Comment.objects.filter(id=str(data.get("comment_id") or uuid.UUID(int=0))).first()
        names = mentioned_usernames(comment.body) if comment else set()
        if not names or comment is None:
            return
        member_ids = sorted(Membership.objects.filter(project_id=task.project_id).values_list("user_id", flat=True))
        mentioned: set[uuid.UUID] = set()
        for start in range(0, len(member_ids), AccountService.MAX_BATCH):
            for user in account_service.get_users(user_ids=member_ids[start : start + AccountService.MAX_BATCH]):
                if user.username and user.username.lower() in names:
                    mentioned.add(user.id)
        excerpt = comment.body if len(comment.body) <= 200 else comment.body[:199] + "…"
        _add(
            NotificationKind.MENTIONED,
            mentioned,
            task=task,
            actor_id=actor_id,
            data={"comment_id": str(comment.id), "excerpt": excerpt},
        )


# --- sending -----------------------------------------------------------------------------------------


def flush(*, now: datetime | None = None) -> int:
    """Send the digests that are due; returns how many emails were queued."""
    now = now or timezone.now()
    ready = (
        Notification.objects.filter(sent_at=None)
        .values("user_id")
        .annotate(first=Min("created_at"))
        .filter(first__lte=now - BATCH_WINDOW)
        .values_list("user_id", flat=True)
    )
    return sum(_flush_user(user_id, now) for user_id in list(ready))


def _flush_user(user_id: uuid.UUID, now: datetime) -> int:
    with transaction.atomic():
        NotificationPrefs.objects.get_or_create(user_id=user_id)
        # One flusher per user at a time: the prefs row is the user's lock (waits, never skips).
        prefs = NotificationPrefs.objects.select_for_update().get(user_id=user_id)
        if prefs.last_digest_at is not None and prefs.last_digest_at > now - BATCH_WINDOW:
            return 0
        rows = list(Notification.objects.filter(user_id=user_id, sent_at=None, created_at__lte=now).order_by("id"))
        if not rows or rows[0].created_at > now - BATCH_WINDOW:
            return 0  # another flusher sent them while we waited
        Notification.objects.filter(id__in=[r.id for r in rows]).update(sent_at=now)
        projects = members_among_projects(user_id, {r.project_id for r in rows})
        wanted = [r for r in rows if r.project_id in projects and getattr(prefs, r.kind, True)]
        users = account_service.get_users(user_ids=[user_id])
        user = users[0] if users else None
        if not wanted or user is None or not user.is_active or not user.email:
            return 0
        names = display_names(r.actor_id for r in wanted)
        items = [
            {
                "kind": r.kind,
                "task_title": r.data.get("task_title", ""),
                "number": r.data.get("number", ""),
                "task_url": task_url(r.task_id) if r.task_id else "",
                "actor_name": names.get(r.actor_id, "") if r.actor_id else "",
                "you": r.kind != NotificationKind.ASSIGNED or str(user_id) in r.data.get("assignee_ids", []),
                "excerpt": r.data.get("excerpt", ""),
                "column": r.data.get("column", ""),
            }
            for r in wanted[:MAX_ITEMS]
        ]
        email_service.send(
            template="kanban/notifications",
            to=user.email,
            context={
                "display_name": user.display_name or user.email.split("@", 1)[0],
                "items": items,
                "count": len(wanted),
                "more": max(0, len(wanted) - MAX_ITEMS),
            },
            idempotency_key=f"kanban:digest:{user_id}:{rows[0].id}",
            locale=user.locale,
        )
        prefs.last_digest_at = now
        prefs.save(update_fields=["last_digest_at"])
        return 1


def members_among_projects(user_id: uuid.UUID, project_ids: set[uuid.UUID]) -> set[uuid.UUID]:
    """The projects of ``project_ids`` the user is still a member of."""
    return set(
        Membership.objects.filter(user_id=user_id, project_id__in=project_ids).values_list("project_id", flat=True)
    )


__all__ = ["BATCH_WINDOW", "flush", "members_among", "mentioned_usernames", "on_change"]
