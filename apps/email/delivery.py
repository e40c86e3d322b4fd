"""One delivery attempt of an outbox row, and the retry / suppression bookkeeping around it.

Called by the ``email.deliver`` task (see tasks.py); the guarantees are described in README.md.
"""

from __future__ import annotations

import concurrent.futures
import functools
import logging
import os
import random
import time
import uuid
from contextlib import AbstractContextManager, nullcontext
from datetime import datetime, timedelta
from typing import Any, cast

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import close_old_connections, connection, transaction
from django.db.models import Exists, F, Field, OuterRef, Q
from django.db.models.functions import Lower
from django.utils import timezone

from apps.email import catalog, conf, selectors
from apps.email.models import OutboundEmail, Suppression
from apps.email.rendering import Rendered, RenderError, render
from apps.email.transport import LeaseLost, PermanentFailure, TemporaryFailure, current_mailer
from gau import tracing

logger = logging.getLogger("apps.email")
Status = OutboundEmail.Status

#: Slack for a countdown message that arrives a little before its row's next_attempt_at.
_EARLY_SLACK = timedelta(seconds=2)


def message_id_for(row: OutboundEmail) -> str:
    """A Message-ID fixed per outbox row, so that a rare duplicate is recognisable (and collapsed by clients)."""
    domain = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip(" >") or "gau.local"
    return f"<{row.pk}@{domain}>"


def build_message(row: OutboundEmail, rendered: Rendered) -> EmailMultiAlternatives:
    """The Django message for a rendered row: text body with an HTML alternative."""
    message = EmailMultiAlternatives(
        subject=rendered.subject,
        body=rendered.text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[row.to],
        headers={
            "Message-ID": message_id_for(row),
            "X-Gau-Email-Id": str(row.pk),
            "Auto-Submitted": "auto-generated",
            "Content-Language": rendered.locale,
        },
    )
    message.attach_alternative(rendered.html, "text/html")
    return message


def _log(row: OutboundEmail, outcome: str, *, started: float, level: int = logging.INFO, **fields: Any) -> None:
    """The one structured line per attempt: ids, template, attempt number, outcome. Never the body."""
    data = {
        "email_id": str(row.pk),
        "template": row.template,
        "attempt": row.attempts,
        "outcome": outcome,
        "ms": round((time.monotonic() - started) * 1000, 1),
        **fields,
    }
    logger.log(level, "email.attempt %s", " ".join(f"{k}={v}" for k, v in data.items()), extra=data)


def _claim_fast(email_id: uuid.UUID, token: uuid.UUID, *, now: datetime) -> OutboundEmail | None:
    """The common case in one statement: a due ``queued`` row, not suppressed, becomes ``sending``.

    A concurrent claimer blocks on the row lock, then sees ``status != queued`` and updates nothing.
    Anything unusual (not due, already handled, leased, suppressed) returns None: :func:`_claim` decides.
    On PostgreSQL this is one ``UPDATE ... RETURNING`` (the ORM's update + get cost ~4 ms per email).
    """
    if connection.vendor != "postgresql":
        return _claim_fast_orm(email_id, token, now=now)
    with connection.cursor() as cursor:
        cursor.execute(
            _claim_sql(),
            [Status.SENDING, token, now, now, email_id, Status.QUEUED, now + _EARLY_SLACK, _security_templates(), now],
        )
        found = cursor.fetchone()
    if found is None:
        return None
    values = [
        field.from_db_value(value, None, connection) if hasattr(field, "from_db_value") else value
        for field, value in zip(_FIELDS, found, strict=True)
    ]
    return OutboundEmail.from_db(connection.alias, [field.attname for field in _FIELDS], values)


_FIELDS = OutboundEmail._meta.concrete_fields


@functools.cache
def _security_templates() -> list[str]:
    return [m.name for m in catalog.MESSAGES.values() if m.security]


@functools.cache
def _claim_sql() -> str:
    q = connection.ops.quote_name
    columns = ", ".join(f"o.{q(str(field.column))}" for field in _FIELDS)
    # Identifiers come from the model's metadata, never from input; values are parameters.
    # synchronous_commit=off for this statement's own transaction only (set_config(..., true)): the
    # claim need not wait for the WAL flush. Losing it in a database crash is harmless -- the row is
    # still ``queued`` and the attempt cannot get past its dot marker, whose synchronous commit
    # flushes the WAL up to and including this claim first (the WAL is sequential). Saves one fsync
    # wait per email.
    return f"""
        UPDATE {q(OutboundEmail._meta.db_table)} o
        SET status = %s, attempt_token = %s, sending_started_at = %s, dot_sent = false,
            attempts = o.attempts + 1, updated_at = %s
        WHERE o.id = %s AND o.status = %s AND o.next_attempt_at <= %s
          AND (SELECT set_config('synchronous_commit', 'off', true)) = 'off'
          AND (o.template = ANY(%s) OR NOT EXISTS (
                SELECT 1 FROM {q(Suppression._meta.db_table)} s
                WHERE s.address = LOWER(o.{q("to")}) AND s.expires_at > %s))
        RETURNING {columns}"""  # noqa: S608


def _claim_fast_orm(email_id: uuid.UUID, token: uuid.UUID, *, now: datetime) -> OutboundEmail | None:
    """:func:`_claim_fast` for other databases (SQLite, the development default)."""
    suppressed = Suppression.objects.filter(address=Lower(OuterRef("to")), expires_at__gt=now)
    claimed = (
        OutboundEmail.objects.filter(pk=email_id, status=Status.QUEUED, next_attempt_at__lte=now + _EARLY_SLACK)
        .filter(Q(template__in=_security_templates()) | ~Exists(suppressed))
        .update(
            status=Status.SENDING,
            attempt_token=token,
            sending_started_at=now,
            dot_sent=False,
            attempts=F("attempts") + 1,
            updated_at=now,
        )
    )
    if not claimed:
        return None
    return OutboundEmail.objects.get(pk=email_id)


def _claim(email_id: uuid.UUID, token: uuid.UUID, *, now: datetime, started: float, eager: bool) -> OutboundEmail | str:
    """Lock the row and mark it ``sending`` under ``token``; or say why not (an outcome string)."""
    settings_ = conf.get()
    with transaction.atomic():
        row = OutboundEmail.objects.select_for_update(skip_locked=True).filter(pk=email_id).first()
        if row is None:
            # Locked: another worker is claiming this very row right now and will handle it.
            return "missing" if not OutboundEmail.objects.filter(pk=email_id).exists() else "busy"
        if row.status in (Status.SENT, Status.FAILED, Status.SUPPRESSED):
            return f"already-{row.status}"
        if row.status == Status.QUEUED and row.next_attempt_at > now + _EARLY_SLACK:
            return "not-due"  # a stale duplicate message; the retry's own message or the sweeper runs it
        if row.status == Status.SENDING:
            assert row.sending_started_at is not None
            lease_end = row.sending_started_at + timedelta(seconds=settings_.sending_lease)
            if lease_end > now:
                # The owning attempt may still be alive (this is a redelivery after a worker died, or a
                # duplicate message): look again when its lease ends.
                if not eager:
                    _publish(row.pk, countdown=(lease_end - now).total_seconds() + 1)
                _log(row, "deferred-leased", started=started)
                return "deferred-leased"
            if row.dot_sent:
                # The dead attempt had sent the final dot: the server may have accepted the message.
                # We resend (at-least-once) rather than risk losing it; the Message-ID is the same.
                row.possible_duplicate = True
                _log(row, "takeover-after-dot", started=started, level=logging.WARNING)
        message = catalog.get(row.template)
        if message is not None and not message.security:
            suppression = selectors.suppression_active(address=row.to, now=now)
            if suppression is not None:
                row.status = Status.SUPPRESSED
                row.last_error = f"suppressed until {suppression.expires_at.isoformat()}: {suppression.reason}"
                row.save(update_fields=["status", "last_error", "possible_duplicate", "updated_at"])
                _log(row, "suppressed", started=started)
                return "suppressed"
        row.status = Status.SENDING
        row.attempt_token = token
        row.sending_started_at = now
        row.dot_sent = False
        row.attempts += 1
        row.save(
            update_fields=[
                "status",
                "attempt_token",
                "sending_started_at",
                "dot_sent",
                "attempts",
                "possible_duplicate",
                "updated_at",
            ]
        )
    return row


def deliver(email_id: uuid.UUID, *, eager: bool = False) -> str:
    """Make one delivery attempt of row ``email_id``; return the outcome (also logged).

    ``eager``: running in-process (no broker), so follow-ups are left to the sweeper or an operator
    instead of being published.
    """
    started = time.monotonic()
    now = timezone.now()
    token = uuid.uuid4()
    claimed = _claim_fast(email_id, token, now=now) or _claim(email_id, token, now=now, started=started, eager=eager)
    if isinstance(claimed, str):
        return claimed
    return _attempt(claimed, token, now=now, started=started, eager=eager)


#: A batch stops starting new messages after this many seconds (well inside the task's soft time limit
#: and the lease); the rest of its rows go back to ``queued`` for the next drain.
BATCH_BUDGET = 30.0


def drain(*, redelivered: bool = False) -> dict[str, int]:
    """One batch: claim up to ``EMAIL_BATCH_SIZE`` due ``queued`` rows in one statement (one commit) and
    send them in ``EMAIL_SEND_THREADS`` lanes (threads of this process, each with its own SMTP and
    database connection, kept between drains), each lane one message after the other with its own dot
    marker and outcome, exactly as :func:`deliver` does for one row. Returns the count of each outcome.

    A full batch publishes another drain first (more rows are probably waiting; another worker process
    can take them). ``redelivered``: this drain's message was redelivered (its worker died), so rows it
    had claimed may be left ``sending``: each ``sending`` row gets a ``deliver`` at its lease end (at once
    if it has ended), which takes the row over (flagging it if its dot had been sent), as a redelivered
    ``deliver`` would.
    """
    settings_ = conf.get()
    started = time.monotonic()
    now = timezone.now()
    if redelivered:
        _recover_sending(now)
    token = uuid.uuid4()
    batch = _claim_batch(token, now=now, limit=settings_.batch_size)
    if len(batch) >= settings_.batch_size:
        _publish_drain()
    threads = min(settings_.send_threads, len(batch))
    if threads <= 1:
        return _send_lane(batch, token, now=now, started=started, own_thread=False)
    # Round-robin lanes, one per thread, each with its own SMTP and database connection; every message
    # still goes through _attempt (its own dot marker before its own dot).
    lanes = [batch[i::threads] for i in range(threads)]
    futures = [
        _executor(threads).submit(_send_lane, lane, token, now=now, started=started, own_thread=True) for lane in lanes
    ]
    concurrent.futures.wait(futures)
    outcomes: dict[str, int] = {}
    for future in futures:
        for outcome, n in future.result().items():  # re-raises a lane's unexpected error
            outcomes[outcome] = outcomes.get(outcome, 0) + n
    return outcomes


_EXECUTOR: list[Any] = []  # [pid, ThreadPoolExecutor]: one per process (a forked child makes its own)


def _executor(threads: int) -> concurrent.futures.ThreadPoolExecutor:
    if not _EXECUTOR or _EXECUTOR[0] != os.getpid() or _EXECUTOR[1]._max_workers < threads:
        _EXECUTOR[:] = [os.getpid(), concurrent.futures.ThreadPoolExecutor(threads, thread_name_prefix="email-send")]
    return cast("concurrent.futures.ThreadPoolExecutor", _EXECUTOR[1])


def _send_lane(
    lane: list[tuple[OutboundEmail, bool]], token: uuid.UUID, *, now: datetime, started: float, own_thread: bool
) -> dict[str, int]:
    """Attempt the claimed rows of ``lane`` one after the other (see :func:`drain`)."""
    if own_thread:
        close_old_connections()  # like a task's prerun: drop a broken or expired connection
    outcomes: dict[str, int] = {}
    try:
        for index, (row, suppressed) in enumerate(lane):
            if time.monotonic() - started > BATCH_BUDGET:
                outcomes["released"] = _release([r for r, _ in lane[index:]], token)
                _publish_drain()
                break
            if suppressed:
                outcome = _mark_suppressed(row, token, now=now, started=time.monotonic())
            else:
                outcome = _attempt(row, token, now=now, started=time.monotonic(), eager=False)
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
    finally:
        if own_thread:
            close_old_connections()
    return outcomes


def _claim_batch(token: uuid.UUID, *, now: datetime, limit: int) -> list[tuple[OutboundEmail, bool]]:
    """Mark up to ``limit`` due ``queued`` rows ``sending`` under ``token`` (rows locked by another claim
    are skipped); each with whether its address is suppressed (for a non-security message)."""
    if connection.vendor != "postgresql":
        return _claim_batch_orm(token, now=now, limit=limit)
    with connection.cursor() as cursor:
        cursor.execute(
            _claim_batch_sql(),
            [Status.SENDING, token, now, now, _security_templates(), now, Status.QUEUED, now, limit],
        )
        found = cursor.fetchall()
    names = [field.attname for field in _FIELDS]
    batch = []
    for suppressed, *raw in found:
        values = [
            field.from_db_value(value, None, connection) if hasattr(field, "from_db_value") else value
            for field, value in zip(_FIELDS, raw, strict=True)
        ]
        batch.append((OutboundEmail.from_db(connection.alias, names, values), bool(suppressed)))
    batch.sort(key=lambda item: item[0].next_attempt_at)
    return batch


@functools.cache
def _claim_batch_sql() -> str:
    q = connection.ops.quote_name
    table, suppressions = q(OutboundEmail._meta.db_table), q(Suppression._meta.db_table)
    columns = ", ".join(f"o.{q(str(field.column))}" for field in _FIELDS)
    # One statement, one commit per batch: SKIP LOCKED lets concurrent drains take disjoint rows.
    # synchronous_commit=off for the claim only, as in _claim_sql (the dot marker's commit flushes it).
    return f"""
        UPDATE {table} o
        SET status = %s, attempt_token = %s, sending_started_at = %s, dot_sent = false,
            attempts = o.attempts + 1, updated_at = %s
        FROM (
            SELECT c.id, (NOT c.template = ANY(%s) AND EXISTS (
                SELECT 1 FROM {suppressions} s WHERE s.address = LOWER(c.{q("to")}) AND s.expires_at > %s
            )) AS suppressed
            FROM {table} c
            WHERE c.status = %s AND c.next_attempt_at <= %s
            ORDER BY c.next_attempt_at
            LIMIT %s
            FOR UPDATE OF c SKIP LOCKED
        ) picked
        WHERE o.id = picked.id AND (SELECT set_config('synchronous_commit', 'off', true)) = 'off'
        RETURNING picked.suppressed, {columns}"""  # noqa: S608


def _claim_batch_orm(token: uuid.UUID, *, now: datetime, limit: int) -> list[tuple[OutboundEmail, bool]]:
    """:func:`_claim_batch` for other databases (SQLite, the development default)."""
    with transaction.atomic():
        ids = list(
            OutboundEmail.objects.select_for_update(skip_locked=True)
            .filter(status=Status.QUEUED, next_attempt_at__lte=now)
            .order_by("next_attempt_at")
            .values_list("id", flat=True)[:limit]
        )
        OutboundEmail.objects.filter(pk__in=ids, status=Status.QUEUED).update(
            status=Status.SENDING,
            attempt_token=token,
            sending_started_at=now,
            dot_sent=False,
            attempts=F("attempts") + 1,
            updated_at=now,
        )
    rows = OutboundEmail.objects.filter(pk__in=ids, attempt_token=token).order_by("next_attempt_at")
    security = set(_security_templates())
    return [
        (row, row.template not in security and selectors.suppression_active(address=row.to, now=now) is not None)
        for row in rows
    ]


def _mark_suppressed(row: OutboundEmail, token: uuid.UUID, *, now: datetime, started: float) -> str:
    """A claimed row whose address is suppressed: ``suppressed``, without contacting the server (and
    without counting an attempt)."""
    suppression = selectors.suppression_active(address=row.to, now=now)
    reason = f"suppressed until {suppression.expires_at.isoformat()}: {suppression.reason}" if suppression else ""
    _finish(row, token, status=Status.SUPPRESSED, last_error=reason, attempts=row.attempts - 1)
    _log(row, "suppressed", started=started)
    return "suppressed"


def _release(rows: list[OutboundEmail], token: uuid.UUID) -> int:
    """Give claimed rows that were not attempted back to ``queued`` (their attempt is not counted)."""
    return OutboundEmail.objects.filter(
        pk__in=[row.pk for row in rows], attempt_token=token, status=Status.SENDING, dot_sent=False
    ).update(status=Status.QUEUED, attempt_token=None, attempts=F("attempts") - 1, updated_at=timezone.now())


def _recover_sending(now: datetime) -> None:
    """Publish a ``deliver`` for every ``sending`` row: at once if its lease ran out (it takes the row
    over), else just after its lease ends (the owner may still be alive)."""
    lease = timedelta(seconds=conf.get().sending_lease)
    rows = OutboundEmail.objects.filter(status=Status.SENDING).values_list("id", "sending_started_at")[:1000]
    for email_id, sending_started_at in rows:
        remaining = (sending_started_at + lease - now).total_seconds() if sending_started_at else 0.0
        _publish(email_id, countdown=remaining + 1 if remaining > 0 else 0)


def _attempt(row: OutboundEmail, token: uuid.UUID, *, now: datetime, started: float, eager: bool) -> str:
    """Render and send claimed row ``row`` (owned by ``token`` since ``now``); record the outcome."""
    settings_ = conf.get()
    try:
        rendered = render(row.template, row.context, row.locale)
    except RenderError as exc:
        _finish(row, token, status=Status.FAILED, last_error=f"render: {exc}")
        _log(row, "render-failed", started=started, level=logging.ERROR, error=str(exc))
        return "render-failed"

    lease_end = now + timedelta(seconds=settings_.sending_lease)

    def before_dot() -> bool:
        # Committed before the dot: a later attempt can tell "certainly not delivered" from "maybe".
        if timezone.now() >= lease_end:
            return False
        return _update_owned(row.pk, token, {"dot_sent": True}, sending_only=True)

    try:
        # In the trace of the request that queued the row (a drain task carries many rows, and its own
        # trace is the first one's), as a child of the task's span when the task is already in that trace.
        with (
            _in_row_trace(row),
            tracing.span("email.smtp_send", **{"gau.email_id": str(row.pk), "gau.email_template": row.template}),
        ):
            reply = current_mailer().send(build_message(row, rendered), before_dot=before_dot)
    except LeaseLost:
        _log(row, "lease-lost", started=started, level=logging.WARNING)
        return "lease-lost"
    except PermanentFailure as exc:
        if exc.suppress:  # first, so that whoever sees the row failed also sees the suppression
            suppress(address=row.to, reason=str(exc), source_email_id=row.pk)
        _finish(row, token, status=Status.FAILED, last_error=str(exc))
        _log(row, "failed-permanent", started=started, level=logging.WARNING, error=str(exc), suppressed=exc.suppress)
        return "failed-permanent"
    except TemporaryFailure as exc:
        return _retry_or_fail(row, token, exc, started=started, eager=eager)

    # Not waiting for the WAL flush: a worker killed now loses nothing (the row is committed); only a
    # PostgreSQL crash within ~0.2 s could forget it, leaving the row ``sending`` with its durable dot
    # marker: resent and flagged, as for any ambiguous dot. The next dot marker's commit flushes it.
    _finish(
        row,
        token,
        durable=False,
        status=Status.SENT,
        smtp_response=reply,
        message_id=message_id_for(row),
        sent_at=timezone.now(),
        last_error="",
    )
    _log(row, "sent", started=started)
    return "sent"


def _finish(row: OutboundEmail, token: uuid.UUID, *, durable: bool = True, **fields: Any) -> bool:
    """Record the attempt's outcome, only if the attempt still owns the row (``durable=False``: without
    waiting for the WAL flush, see :func:`_update_owned`)."""
    fields.setdefault("attempt_token", None)
    updated = _update_owned(row.pk, token, {"updated_at": timezone.now(), **fields}, durable=durable)
    for name, value in fields.items():
        setattr(row, name, value)
    return updated


def _update_owned(
    pk: uuid.UUID, token: uuid.UUID, fields: dict[str, Any], *, sending_only: bool = False, durable: bool = True
) -> bool:
    """``UPDATE ... SET fields WHERE id = pk AND attempt_token = token``: one statement, no ORM query
    building (which cost ~1 ms per statement here). True if the attempt still owned the row.

    ``durable=False`` (PostgreSQL, outside a transaction): the statement's own transaction commits with
    ``synchronous_commit=off`` (visible at once, on disk within ~0.2 s or at the next synchronous
    commit)."""
    meta = OutboundEmail._meta
    q = connection.ops.quote_name
    assignments: list[str] = []
    params: list[Any] = []
    for name, value in fields.items():
        field = cast("Field[Any, Any]", meta.get_field(name))
        assignments.append(f"{q(str(field.column))} = %s")
        params.append(field.get_db_prep_save(value, connection))
    # Identifiers come from the model's metadata, never from input; values are parameters.
    sql = f"UPDATE {q(meta.db_table)} SET {', '.join(assignments)} WHERE id = %s AND attempt_token = %s"  # noqa: S608
    params += [meta.pk.get_db_prep_value(pk, connection), meta.pk.get_db_prep_value(token, connection)]
    if sending_only:
        sql += " AND status = %s"
        params.append(Status.SENDING)
    if not durable and connection.vendor == "postgresql" and not connection.in_atomic_block:
        sql += " AND (SELECT set_config('synchronous_commit', 'off', true)) = 'off'"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return bool(cursor.rowcount == 1)


def retry_delay(attempts: int) -> float:
    """Seconds before the next attempt after ``attempts`` attempts: the configured step, ± jitter."""
    settings_ = conf.get()
    base = settings_.retry_delays[min(max(attempts, 1), len(settings_.retry_delays)) - 1]
    return max(0.0, base * random.uniform(1 - settings_.jitter, 1 + settings_.jitter))  # noqa: S311


def _retry_or_fail(row: OutboundEmail, token: uuid.UUID, exc: TemporaryFailure, *, started: float, eager: bool) -> str:
    settings_ = conf.get()
    if row.attempts >= settings_.max_attempts:
        _finish(row, token, status=Status.FAILED, last_error=f"gave up after {row.attempts} attempts: {exc}")
        _log(row, "failed-retries-exhausted", started=started, level=logging.WARNING, error=str(exc))
        return "failed-retries-exhausted"
    delay = retry_delay(row.attempts)
    due = timezone.now() + timedelta(seconds=delay)
    publish = not eager and delay <= settings_.max_countdown
    _finish(
        row,
        token,
        status=Status.QUEUED,
        next_attempt_at=due,
        enqueued_at=due if publish else None,
        last_error=str(exc),
        dot_sent=False,
        possible_duplicate=row.possible_duplicate or exc.after_dot,
    )
    if publish:
        _publish(row.pk, countdown=delay)
    _log(row, "retry", started=started, level=logging.WARNING, error=str(exc), retry_in=round(delay, 2))
    return "retry"


def _in_row_trace(row: OutboundEmail) -> AbstractContextManager[None]:
    """The row's stored trace as the current context, unless the current span is already in it."""
    current, stored = tracing.current_traceparent(), row.traceparent or ""
    if stored and current.split("-")[1:2] != stored.split("-")[1:2]:
        return tracing.attached(stored)
    return nullcontext()


def _publish(email_id: uuid.UUID, *, countdown: float, traceparent: str = "") -> None:
    from apps.email.tasks import deliver as deliver_task

    deliver_task.apply_async_safely(str(email_id), countdown=countdown, traceparent=traceparent)


def _publish_drain() -> None:
    from apps.email.tasks import drain as drain_task

    drain_task.apply_async_safely()


def suppress(*, address: str, reason: str, source_email_id: uuid.UUID | None = None) -> Suppression:
    """Put ``address`` on the suppression list for the configured number of days (extending it)."""
    expires = timezone.now() + timedelta(days=conf.get().suppression_days)
    suppression, _ = Suppression.objects.update_or_create(
        address=address.strip().lower(),
        defaults={"reason": reason[:500], "source_email_id": source_email_id, "expires_at": expires},
    )
    return suppression


def sweep() -> int:
    """Re-publish every stuck row (see :func:`selectors.outbound_stuck`); return how many."""
    settings_ = conf.get()
    now = timezone.now()
    rows = list(
        selectors.outbound_stuck(
            now=now, stuck_after=settings_.stuck_after, sending_lease=settings_.sending_lease
        ).values_list("id", "traceparent")[:1000]
    )
    if not rows:
        return 0
    ids = [email_id for email_id, _ in rows]
    OutboundEmail.objects.filter(pk__in=ids, status=Status.QUEUED).update(enqueued_at=now)
    for email_id, traceparent in rows:  # each in the trace of the request that asked for it
        _publish(email_id, countdown=0, traceparent=traceparent)
    logger.info("email.sweep requeued=%d", len(ids), extra={"requeued": len(ids)})
    return len(ids)
