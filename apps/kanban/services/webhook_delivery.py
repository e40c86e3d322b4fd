"""Delivering webhook outbox rows: claim, sign, POST, log the attempt, retry with backoff, disable.

Who runs :func:`deliver`:
- With a broker: the Celery task ``kanban.webhook_deliver`` (published after commit, and again with a
  ``countdown`` for each retry up to ``MAX_COUNTDOWN``); longer waits, lost publishes and rows of a
  killed worker are re-published by the beat task ``kanban.webhooks_sweep``.
- Without a broker (``make run``): :class:`InProcessScheduler`, one daemon thread in the web process
  with a timer heap. It runs each delivery after commit (never in the request thread), each retry at its
  time, and the same sweep every ``SWEEP_INTERVAL`` seconds (which also picks up rows left by a
  restart, once the scheduler has started: it starts with the first delivery or with the app when
  ``KANBAN_WEBHOOKS["INPROCESS_AUTOSTART"]`` is on).

Exactly one attempt at a time per row: an attempt first claims the row with a conditional UPDATE (a
lease of ``TIMEOUT`` + 30 s), and only the lease holder may record its outcome.
"""

from __future__ import annotations

import functools
import hashlib
import heapq
import hmac
import logging
import random
import threading
import time
import uuid
from datetime import datetime, timedelta
from typing import Any

from django.db import close_old_connections, connection, transaction
from django.db.models import Q
from django.utils import timezone

from apps.account.services import account_service
from apps.email.services import email_service
from apps.kanban.models import Membership, Role, Webhook, WebhookAttempt, WebhookDelivery
from apps.kanban.services import webhook_net
from apps.kanban.services.webhooks import conf, unseal
from gau import crypto, tracing

logger = logging.getLogger("apps.kanban.webhooks")
Status = WebhookDelivery.Status
USER_AGENT = "Gau-Webhooks/1"
DISABLED_TEMPLATE = "kanban/webhook_disabled"


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The ``X-Gau-Signature`` value: ``t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">``."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def retry_delay(attempts: int) -> float | None:
    """Seconds to wait after ``attempts`` failed attempts (± jitter), or None when retries are used up."""
    settings_ = conf()
    delays: list[float] = list(settings_["RETRY_DELAYS"])
    if attempts > len(delays):
        return None
    jitter = float(settings_["JITTER"])
    return max(0.0, delays[attempts - 1] * random.uniform(1 - jitter, 1 + jitter))  # noqa: S311


def _claim(delivery_id: uuid.UUID, token: uuid.UUID, now: datetime) -> bool:
    lease = timedelta(seconds=float(conf()["TIMEOUT"]) + 30)
    claimed = (
        WebhookDelivery.objects.filter(pk=delivery_id, status=Status.PENDING)
        .filter(next_attempt_at__lte=now + timedelta(seconds=1))
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .update(lease_token=token, lease_until=now + lease)
    )
    return claimed == 1


def _finish(delivery_id: uuid.UUID, token: uuid.UUID, **fields: Any) -> bool:
    return (
        WebhookDelivery.objects.filter(pk=delivery_id, lease_token=token).update(
            lease_token=None, lease_until=None, **fields
        )
        == 1
    )


def deliver(delivery_id: uuid.UUID, *, now: datetime | None = None) -> str:
    """Make one attempt at a due, unclaimed delivery; returns the outcome (``delivered``, ``retry`` …).

    ``now`` (tests) stands for the current time in scheduling and the failure window.
    """
    now = now or timezone.now()
    token = uuid.uuid4()
    if not _claim(delivery_id, token, now):
        return "skipped"
    row = WebhookDelivery.objects.select_related("webhook__project").filter(pk=delivery_id).first()
    if row is None:  # the webhook was deleted meanwhile
        return "missing"
    webhook = row.webhook
    if not webhook.is_active and row.event != "ping":
        _finish(row.pk, token, status=Status.FAILED, last_error="webhook disabled", finished_at=now)
        return "webhook-disabled"
    try:
        secret = unseal(webhook.secret_sealed)
    except crypto.DecryptionError:
        error = "the signing secret cannot be decrypted (SECRET_KEY changed without SECRET_KEY_FALLBACKS)"
        _finish(row.pk, token, status=Status.FAILED, last_error=error, finished_at=now)
        logger.error("kanban.webhook %s", error, extra={"webhook": str(webhook.pk)})
        return "failed"
    settings_ = conf()
    body = row.body.encode()
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Gau-Event": row.event,
        "X-Gau-Delivery": str(row.pk),
        "X-Gau-Signature": sign(secret, timestamp, body),
    }
    outcome = webhook_net.post(
        webhook.url,
        body=body,
        headers=headers,
        timeout=float(settings_["TIMEOUT"]),
        ca_bundle=settings_.get("CA_BUNDLE") or None,
        allow_private=bool(settings_["ALLOW_PRIVATE"]),
    )
    attempts = row.attempts + 1
    WebhookAttempt.objects.create(
        delivery=row,
        started_at=now,
        status_code=outcome.status_code,
        duration_ms=outcome.duration_ms,
        response_excerpt=outcome.excerpt,
        error=outcome.error[:500],
        succeeded=outcome.ok,
    )
    log = {"delivery": str(row.pk), "webhook": str(webhook.pk), "event": row.event, "attempt": attempts}
    if outcome.ok:
        _finish(row.pk, token, status=Status.SUCCEEDED, attempts=attempts, last_error="", finished_at=timezone.now())
        Webhook.objects.filter(pk=webhook.pk, failing_since__isnull=False).update(failing_since=None)
        logger.info("kanban.webhook delivered status=%s", outcome.status_code, extra=log)
        return "delivered"
    with transaction.atomic():
        disabled = _note_failure(webhook, now=now, error=outcome.error)
        delay = None if disabled else retry_delay(attempts)
        if delay is None:
            reason = "webhook disabled" if disabled else f"gave up after {attempts} attempts"
            _finish(
                row.pk, token, status=Status.FAILED, attempts=attempts, finished_at=now,
                last_error=f"{reason}: {outcome.error}"[:500],
            )  # fmt: skip
            logger.warning("kanban.webhook failed error=%s (%s)", outcome.error, reason, extra=log)
            return "failed"
        due = now + timedelta(seconds=delay)
        publish = delay <= float(settings_["MAX_COUNTDOWN"])
        _finish(
            row.pk, token, status=Status.PENDING, attempts=attempts, next_attempt_at=due,
            enqueued_at=due if publish else None, last_error=outcome.error[:500],
        )  # fmt: skip
        if publish:
            transaction.on_commit(functools.partial(schedule, row.pk, countdown=delay))
    logger.warning("kanban.webhook retry error=%s in=%.1fs", outcome.error, delay, extra=log)
    return "retry"


def _note_failure(webhook: Webhook, *, now: datetime, error: str) -> bool:
    """Extend the webhook's failure run; disable it (and email the admins) once the run is long enough.

    Returns whether the webhook is now disabled.
    """
    Webhook.objects.filter(pk=webhook.pk, failing_since__isnull=True).update(failing_since=now)
    current = Webhook.objects.select_for_update().get(pk=webhook.pk)
    if not current.is_active:
        return True
    assert current.failing_since is not None
    if now - current.failing_since < timedelta(seconds=float(conf()["DISABLE_AFTER"])):
        return False
    current.is_active = False
    current.disabled_at = now
    current.disabled_reason = f"consecutive failures since {current.failing_since.isoformat()}"
    current.save(update_fields=["is_active", "disabled_at", "disabled_reason"])
    _email_admins(current, error=error)
    logger.warning("kanban.webhook disabled", extra={"webhook": str(current.pk)})
    return True


def _email_admins(webhook: Webhook, *, error: str) -> None:
    admins = list(
        Membership.objects.filter(project_id=webhook.project_id, role__in=[Role.ADMIN, Role.OWNER]).values_list(
            "user_id", flat=True
        )
    )
    project = webhook.project
    assert webhook.failing_since is not None
    assert webhook.disabled_at is not None
    for start in range(0, len(admins), 100):
        for user in account_service.get_users(user_ids=admins[start : start + 100]):
            if not user.is_active:
                continue
            email_service.send(
                template=DISABLED_TEMPLATE,
                to=user.email,
                locale=user.locale,
                context={
                    "project_name": project.name,
                    "endpoint": webhook.url,
                    "failing_since": webhook.failing_since.strftime("%Y-%m-%d %H:%M UTC"),
                    "last_error": error or "unknown",
                },
                idempotency_key=f"kanban:webhook_disabled:{webhook.pk}:{webhook.disabled_at.timestamp()}:{user.id}",
            )


def _purge_finished(now: datetime, batch: int = 1000) -> int:
    """Delete up to ``batch`` finished deliveries (with their attempts) older than ``RETENTION_DAYS``."""
    cutoff = now - timedelta(days=float(conf()["RETENTION_DAYS"]))
    old = WebhookDelivery.objects.filter(status__in=[Status.SUCCEEDED, Status.FAILED], finished_at__lt=cutoff)
    ids = list(old.values_list("id", flat=True)[:batch])
    if ids:
        WebhookDelivery.objects.filter(pk__in=ids).delete()
    return len(ids)


def sweep(*, now: datetime | None = None, limit: int = 500) -> int:
    """Publish every due row nobody is working on: never published (long waits), or due for
    ``STUCK_AFTER`` seconds without a claim (publish lost, worker killed). Returns how many.

    Also deletes finished deliveries older than ``RETENTION_DAYS`` (a batch per run)."""
    now = now or timezone.now()
    stuck = now - timedelta(seconds=float(conf()["STUCK_AFTER"]))
    _purge_finished(now)
    rows = list(
        WebhookDelivery.objects.filter(status=Status.PENDING, next_attempt_at__lte=now)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .filter(Q(enqueued_at__isnull=True) | Q(enqueued_at__lte=stuck))
        .order_by("next_attempt_at")
        .values_list("id", "traceparent")[:limit]
    )
    if not rows:
        return 0
    ids = [delivery_id for delivery_id, _ in rows]
    WebhookDelivery.objects.filter(pk__in=ids).update(enqueued_at=now)
    for delivery_id, traceparent in rows:  # each in the trace of the change that queued it
        with tracing.attached(traceparent):
            schedule(delivery_id, countdown=0)
    logger.info("kanban.webhooks_sweep requeued=%d", len(ids))
    return len(ids)


# --- who runs deliveries ----------------------------------------------------------------------------


def broker_configured() -> bool:
    """Whether Celery has a broker (tasks are not run eagerly in-process)."""
    from celery import current_app

    return not bool(current_app.conf.task_always_eager)


def schedule(delivery_id: uuid.UUID, *, countdown: float) -> None:
    """Run :func:`deliver` for ``delivery_id`` in ``countdown`` seconds: on a worker, or in-process."""
    if broker_configured():
        from apps.kanban.tasks import webhook_deliver

        webhook_deliver.apply_async_safely(str(delivery_id), countdown=countdown)
    else:
        in_process.call_later(countdown, delivery_id)


class InProcessScheduler:
    """One daemon thread running due deliveries and a periodic sweep, for when there is no broker."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, uuid.UUID | None]] = []
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._seq = 0
        self._next_sweep = 0.0
        self._stopping = False

    def call_later(self, delay: float, delivery_id: uuid.UUID) -> None:
        """Deliver ``delivery_id`` after ``delay`` seconds (from this process's thread)."""
        with self._cond:
            self._seq += 1
            heapq.heappush(self._heap, (time.monotonic() + max(0.0, delay), self._seq, delivery_id))
            self._ensure_thread()
            self._cond.notify()

    def start(self) -> None:
        with self._cond:
            self._ensure_thread()

    def _ensure_thread(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._stopping = False
            self._next_sweep = time.monotonic() + float(conf()["SWEEP_INTERVAL"])
            self._thread = threading.Thread(target=self._run, name="kanban-webhooks", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 15.0) -> None:
        """Stop the thread after the job in hand and forget queued ones (tests, shutdown)."""
        with self._cond:
            self._stopping = True
            self._heap.clear()
            self._cond.notify()
            thread = self._thread
        if thread is not None:
            thread.join(timeout)
        self._thread = None

    def _next(self) -> uuid.UUID | bool | None:
        """The next due job (a delivery id, or None for a sweep), or False to stop."""
        with self._cond:
            while not self._stopping:
                now = time.monotonic()
                if self._heap and self._heap[0][0] <= now:
                    return heapq.heappop(self._heap)[2]
                if self._next_sweep <= now:
                    self._next_sweep = now + float(conf()["SWEEP_INTERVAL"])
                    return None
                wake = min(self._heap[0][0] if self._heap else self._next_sweep, self._next_sweep)
                self._cond.wait(max(0.0, wake - now))
            return False

    def _run(self) -> None:
        while True:
            job = self._next()
            if job is False:
                return
            try:
                if job is None:
                    sweep()
                else:
                    assert isinstance(job, uuid.UUID)
                    deliver(job)
            except Exception:
                logger.exception("kanban.webhook in-process job failed")
            finally:
                close_old_connections()
                connection.close()


#: The process's in-process scheduler (used only without a broker).
in_process = InProcessScheduler()
