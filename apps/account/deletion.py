"""Durable account deletion: the outbox behind ``DELETE me``.

``profile.delete_account`` anonymises the user and, in the same transaction, records a
:class:`~apps.account.models.DeletionRequest` with one :class:`~apps.account.models.DeletionStep` per
call the other apps must receive (:data:`STEPS`). Every call is idempotent, so a step may run again.

Who drives the steps (never inside a transaction, never two drivers at once: a lease on the request):
1. The request itself, right after the commit: one pass, so that normally sessions end and data is gone
   before the response (204), as before.
2. If a step failed (an app down, a timeout, a bug), the pass sets ``next_attempt_at`` with backoff
   (``ACCOUNT_DELETION["RETRY_DELAYS"]``, the last delay repeating: a deletion never gives up) and
   publishes the ``account.finish_deletion`` task with that countdown (with a broker).
3. ``account.sweep_deletions`` (beat, every ``ACCOUNT_DELETION["SWEEP_INTERVAL"]`` s) re-publishes every
   request that is due and not leased: a lost publish, a killed worker, a delay longer than a countdown.
4. Without a broker (embedded default: no worker, no beat) failed steps wait for
   ``manage.py account_finish_deletions`` (run it from cron, or once the app is back), which drives every
   due request in-process (``--all``: also the ones not yet due).

When every step has succeeded the request and its steps are deleted (with the address they held).
"""

from __future__ import annotations

import logging
import random
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from apps.account.models import DeletionRequest, DeletionStep
from apps.authz.services import authz_service
from apps.email.services import email_service
from apps.kanban.services import kanban_service
from apps.upload.services import upload_service
from gau import tracing
from gau.rpc import ServiceError

logger = logging.getLogger("apps.account")

DEFAULTS: dict[str, Any] = {
    "RETRY_DELAYS": (10, 60, 300, 1800, 3600),  # seconds; the last one repeats forever
    "JITTER": 0.2,
    "LEASE": 300,  # seconds a driver holds a request (5 calls x GAU_RPC_TIMEOUT, with room)
    "MAX_COUNTDOWN": 3600,  # longer delays are left to the sweeper rather than held by the broker
    "SWEEP_INTERVAL": 60,
}


class StepPending(Exception):  # not an error: the step must simply run again later
    """A step ran but its app still holds data it will only release later (e.g. mail being delivered)."""


def conf() -> dict[str, Any]:
    return {**DEFAULTS, **getattr(settings, "ACCOUNT_DELETION", {})}


def _authz_sessions(request: DeletionRequest) -> None:
    authz_service.revoke_all_sessions(user_id=request.user_id, reason="account_deleted")


def _authz_data(request: DeletionRequest) -> None:
    authz_service.delete_user_data(user_id=request.user_id)


def _upload(request: DeletionRequest) -> None:
    upload_service.delete_user_files(owner_id=request.user_id)


def _email(request: DeletionRequest) -> None:
    # Only the account's own address: an identity's or a pending change's address is not proven to be
    # this user's. Finished mail goes now; mail still queued/sending is delivered first (see
    # EmailService.delete_recipient_data), so the step stays pending until that mail is finished too.
    if not request.address:
        return
    email_service.delete_recipient_data(address=request.address)
    held = email_service.export_recipient_data(address=request.address)
    left = [m for m in held if m.created_at <= request.created_at]
    if left:
        raise StepPending(f"{len(left)} message(s) to the address still being delivered")


def _kanban(request: DeletionRequest) -> None:
    kanban_service.delete_user_data(user_id=request.user_id)


#: Step name -> the idempotent call, in the order a pass runs them (sessions end first).
STEPS: dict[str, Callable[[DeletionRequest], None]] = {
    "authz_sessions": _authz_sessions,
    "authz_data": _authz_data,
    "upload": _upload,
    "email": _email,
    "kanban": _kanban,
}


def record(*, user_id: uuid.UUID, address: str) -> DeletionRequest:
    """Record the deletion of ``user_id`` (call inside the transaction that anonymises the user).

    Idempotent per user: a request already recorded is returned, with any missing step added."""
    request, _ = DeletionRequest.objects.get_or_create(
        user_id=user_id,
        defaults={
            "address": address,
            "next_attempt_at": timezone.now(),
            "traceparent": tracing.current_traceparent(),
        },
    )
    DeletionStep.objects.bulk_create(
        [DeletionStep(request=request, name=name) for name in STEPS], ignore_conflicts=True
    )
    return request


def retry_delay(attempts: int) -> float:
    """Seconds before pass ``attempts + 1``: the configured step (the last one repeats), +- jitter."""
    c = conf()
    delays = c["RETRY_DELAYS"]
    base = float(delays[min(max(attempts, 1), len(delays)) - 1])
    return max(0.0, base * random.uniform(1 - c["JITTER"], 1 + c["JITTER"]))  # noqa: S311


def drive(request_id: uuid.UUID) -> tuple[str, float]:
    """One pass over the pending steps of ``request_id``: ``("done" | "retry" | "busy" | "missing", delay)``.

    Runs outside any transaction (the calls may be remote). On ``"retry"`` the request is due again in
    ``delay`` seconds; scheduling that is the caller's business (:func:`after_pass`)."""
    c = conf()
    now = timezone.now()
    token = uuid.uuid4()
    claimed = (
        DeletionRequest.objects.filter(pk=request_id)
        .filter(Q(leased_until__isnull=True) | Q(leased_until__lt=now))
        .update(lease_token=token, leased_until=now + timedelta(seconds=c["LEASE"]))
    )
    if not claimed:
        exists = DeletionRequest.objects.using("default").filter(pk=request_id).exists()
        return ("busy" if exists else "missing"), 0.0
    request = DeletionRequest.objects.using("default").get(pk=request_id)
    pending = DeletionStep.objects.using("default").filter(request_id=request_id, done_at__isnull=True)
    steps = list(pending.order_by("id"))
    failed: list[str] = []
    for step in steps:
        run = STEPS.get(step.name)
        try:
            if run is None:
                raise LookupError(f"unknown deletion step {step.name!r}")
            run(request)
        except Exception as exc:  # any failure of any app leaves the step for the next pass
            failed.append(step.name)
            error = f"{type(exc).__name__}: {exc}"[:500]
            DeletionStep.objects.filter(pk=step.pk).update(
                attempts=F("attempts") + 1, last_error=error, updated_at=timezone.now()
            )
            level = logging.INFO if isinstance(exc, StepPending) else logging.WARNING
            if not isinstance(exc, (ServiceError, StepPending)):
                level = logging.ERROR  # not an outage: a defect somewhere; still retried
            logger.log(
                level,
                "account.deletion_step_failed request=%s step=%s error=%s",
                request_id,
                step.name,
                error,
                extra={"deletion_request": str(request_id), "step": step.name, "error": error},
            )
        else:
            DeletionStep.objects.filter(pk=step.pk).update(
                done_at=timezone.now(), attempts=F("attempts") + 1, last_error="", updated_at=timezone.now()
            )
    if not failed:
        DeletionRequest.objects.filter(pk=request_id, lease_token=token).delete()  # steps cascade
        logger.info("account.deletion_done request=%s user=%s", request_id, request.user_id)
        return "done", 0.0
    attempts = request.attempts + 1
    delay = retry_delay(attempts)
    DeletionRequest.objects.filter(pk=request_id, lease_token=token).update(
        attempts=attempts,
        next_attempt_at=timezone.now() + timedelta(seconds=delay),
        lease_token=None,
        leased_until=None,
        updated_at=timezone.now(),
    )
    logger.warning(
        "account.deletion_retry request=%s pending=%s attempts=%d retry_in=%.1f",
        request_id,
        ",".join(failed),
        attempts,
        delay,
    )
    return "retry", delay


def after_pass(request_id: uuid.UUID, outcome: str, delay: float) -> None:
    """Schedule the next pass of a request left pending, when a worker can run it (not eagerly)."""
    if outcome != "retry" or current_app.conf.task_always_eager or delay > conf()["MAX_COUNTDOWN"]:
        return  # no broker: manage.py account_finish_deletions; too far ahead: the sweeper
    from apps.account.tasks import finish_deletion

    finish_deletion.apply_async_safely(str(request_id), countdown=delay)


def finish(request_id: uuid.UUID) -> str:
    """Drive ``request_id`` once and schedule what is left; return the outcome."""
    outcome, delay = drive(request_id)
    after_pass(request_id, outcome, delay)
    return outcome


def due(*, include_not_due: bool = False) -> list[uuid.UUID]:
    """Requests a sweeper should drive now: due (or all) and not held by a live driver."""
    now = timezone.now()
    qs = DeletionRequest.objects.using("default").filter(Q(leased_until__isnull=True) | Q(leased_until__lt=now))
    if not include_not_due:
        qs = qs.filter(next_attempt_at__lte=now)
    return list(qs.order_by("next_attempt_at").values_list("id", flat=True)[:1000])


def sweep() -> int:
    """Publish a pass for every due request (beat); return how many."""
    from apps.account.tasks import finish_deletion

    ids = due()
    traces = dict(DeletionRequest.objects.filter(pk__in=ids).values_list("id", "traceparent"))
    for request_id in ids:  # each pass in the trace of the request that asked for the deletion
        finish_deletion.apply_async_safely(str(request_id), countdown=0, traceparent=traces.get(request_id, ""))
    if ids:
        logger.info("account.deletion_sweep published=%d", len(ids))
    return len(ids)


def run_due(*, include_not_due: bool = False) -> dict[str, int]:
    """Drive every due request in this process (no broker needed); outcomes counted."""
    counts: dict[str, int] = {}
    for request_id in due(include_not_due=include_not_due):
        outcome, _ = drive(request_id)
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts


def start_after_commit(request_id: uuid.UUID) -> None:
    """Run the first pass as soon as the current transaction commits.

    ``robust``: whatever goes wrong in that pass is logged, not raised into the request that has already
    committed the deletion; the request stays due and the sweeper runs it."""
    traceparent = tracing.current_traceparent()

    def first_pass() -> None:
        with tracing.attached(traceparent):
            finish(request_id)

    transaction.on_commit(first_pass, robust=True)
