"""Celery tasks of the email app, named explicitly "email.<task>", on the ``email`` queue.

Publishing (``gau.tasks.OutboxTask``) never raises for a broker problem: the outbox row is already
committed, and the sweeper publishes it again later.

A fresh email does not publish a task of its own: it asks for an ``email.drain`` (:func:`request_drain`),
and a burst of emails shares one. A flag in the shared cache (Redis) says "a drain is published and has
not started yet"; only the commit that sets it publishes. The drain clears the flag *before* it claims
rows, so a row committed before the clear is claimed by that drain, and a row committed after it sets
the flag again and publishes the next drain: no committed row is left without a drain coming.
"""

from __future__ import annotations

import contextlib
import uuid
from typing import Any

from celery import Task, shared_task
from django.conf import settings
from django.core.cache import cache

from apps.email import delivery
from gau.tasks import OutboxTask

#: Lifetime of the "a drain is pending" flag: an extra drain after it expires is harmless (it finds
#: nothing to do); a flag that outlived its drain only delays rows until then.
DRAIN_FLAG_TTL = 10


def drain_flag() -> str:
    """The flag's cache key: one per outbox (database), so processes on other databases sharing the
    Redis (a test run beside a benchmark) never hold each other's drains back."""
    return f"email:drain-pending:{settings.DATABASES['default'].get('NAME', '')}"


@shared_task(
    name="email.deliver",
    base=OutboxTask,
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    soft_time_limit=90,
    time_limit=100,
)
def deliver(self: Task, email_id: str) -> str:  # type: ignore[type-arg]
    """Deliver outbox row ``email_id`` (idempotent: a row already sent is skipped)."""
    return delivery.deliver(uuid.UUID(email_id), eager=bool(self.request.is_eager))


@shared_task(
    name="email.drain",
    base=OutboxTask,
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    soft_time_limit=90,
    time_limit=100,
)
def drain(self: Task) -> dict[str, int]:  # type: ignore[type-arg]
    """Send one batch of due queued rows (see :func:`apps.email.delivery.drain`)."""
    with contextlib.suppress(Exception):  # Redis away: the flag expires on its own
        cache.delete(drain_flag())
    delivery_info: Any = self.request.delivery_info or {}
    return delivery.drain(redelivered=bool(delivery_info.get("redelivered")))


@shared_task(
    name="email.sweep", base=OutboxTask, acks_late=True, ignore_result=True, soft_time_limit=100, time_limit=120
)
def sweep() -> int:
    """Re-publish rows stuck in ``queued``/``sending`` (run by beat every EMAIL_SWEEP_INTERVAL seconds)."""
    return delivery.sweep()


def coalescing() -> bool:
    """Whether fresh emails share drains: a broker (not eager) and a cache shared by all processes."""
    if drain.app.conf.task_always_eager:
        return False
    backend = str(settings.CACHES.get("default", {}).get("BACKEND", ""))
    return "redis" in backend.lower()


def request_drain(traceparent: str = "") -> None:
    """Make sure a drain starts after now: publish one unless one is already pending (see the module
    docstring). Called after the commit of a fresh email; never raises. ``traceparent``: the trace the
    drain joins (the email's request; each row's send span goes to its own row's trace anyway)."""
    try:
        first = bool(cache.add(drain_flag(), 1, timeout=DRAIN_FLAG_TTL))
    except Exception:  # Redis away: publish every time (coalescing is only an optimisation)
        first = True
    if first and drain.apply_async_safely(traceparent=traceparent) is None:
        with contextlib.suppress(Exception):  # the publish failed: let the next commit try again
            cache.delete(drain_flag())
