"""The Celery base task shared by the apps whose tasks deliver an outbox row (email, account, kanban).

The row is the truth and is already committed when its task is published, so a broker outage must not
turn a successful request into an error: publishing tries once more after 0.2 s, then logs
``<app>.enqueue_failed`` on the ``apps.<app>`` logger (``<app>`` is the task name's prefix) and leaves
the row to the app's sweeper.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

from celery.contrib.django.task import DjangoTask
from django.db import transaction

from gau import tracing

#: Publishing must not hang a web request when the broker is away: one quick retry, then give up.
PUBLISH_RETRY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}


class OutboxTask(DjangoTask):  # type: ignore[type-arg]
    """A task whose ``delay`` / :meth:`apply_async_safely` never raise for a broker problem."""

    def delay(self, *args: Any, **kwargs: Any) -> Any:
        return self.apply_async_safely(*args, **kwargs)

    def apply_async_safely(self, *args: Any, countdown: float = 0, traceparent: str = "", **kwargs: Any) -> Any:
        """``apply_async(args, kwargs)`` that logs and swallows broker errors (returns None then).

        ``traceparent``: the trace the task joins (the one its outbox row was written in); by default the
        current one."""
        try:
            options: dict[str, Any] = {"countdown": countdown} if countdown > 0 else {}
            with tracing.attached(traceparent):
                return self.apply_async(args, kwargs, retry=True, retry_policy=PUBLISH_RETRY, **options)
        except Exception as exc:  # kombu raises OperationalError, OSError and friends
            app = str(self.name).split(".", 1)[0]
            error = type(exc).__name__
            logging.getLogger(f"apps.{app}").warning(
                "%s.enqueue_failed task=%s error=%s: left for the sweeper",
                app,
                self.name,
                error,
                extra={"task": self.name, "error": error},
            )
            return None

    def apply_async_safely_on_commit(self, *args: Any, countdown: float = 0, traceparent: str = "") -> None:
        """:meth:`apply_async_safely` once the current transaction commits (never if it rolls back), in the
        trace of ``traceparent`` (by default the one current now, not the one current at commit time)."""
        traceparent = traceparent or tracing.current_traceparent()
        transaction.on_commit(
            functools.partial(self.apply_async_safely, *args, countdown=countdown, traceparent=traceparent)
        )
