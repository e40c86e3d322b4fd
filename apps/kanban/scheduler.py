"""The embedded scheduler: reminders and digests without a broker, beat or any other process.

With ``CELERY_BROKER_URL`` unset (``make run``), Celery beat does not run, so a server process starts one
daemon thread that calls :func:`tick` every :data:`TICK_SECONDS`. It starts only in a server process
(``runserver``'s serving child, or a gunicorn/uvicorn/granian/daphne process), never in ``manage.py``
commands, the Celery worker or tests. ``settings.KANBAN_EMBEDDED_SCHEDULER`` (``True``/``False``)
overrides the guess. Several server processes each run a thread; that is safe (the scanner's claims
are atomic) and merely repeats empty scans. Limits: nothing fires while no server process runs (missed
reminders go out, late, at the next start while the due time is still ahead; overdue notices always);
the thread shares the process with requests.
"""

from __future__ import annotations

import logging
import os
import sys
import threading

from django.conf import settings
from django.db import close_old_connections

logger = logging.getLogger(__name__)

#: Seconds between two scans (reminders go out at most this late, plus the email's delivery).
TICK_SECONDS = 15.0
_SERVERS = ("gunicorn", "uvicorn", "granian", "daphne")
_lock = threading.Lock()
_threads: list[threading.Thread] = []
_stop = threading.Event()


def wanted(argv: list[str] | None = None, environ: dict[str, str] | None = None) -> bool:
    """Whether this process should run the embedded scheduler (see the module docstring)."""
    forced = getattr(settings, "KANBAN_EMBEDDED_SCHEDULER", None)
    if forced is not None:
        return bool(forced)
    if not getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False):
        return False  # a broker is configured: beat runs the scans
    argv = sys.argv if argv is None else argv
    environ = dict(os.environ) if environ is None else environ
    if "runserver" in argv:
        # The autoreloader's parent only watches files; its child (RUN_MAIN=true) serves.
        return environ.get("RUN_MAIN") == "true" or "--noreload" in argv
    program = os.path.basename(argv[0]) if argv else ""
    return any(name in program for name in _SERVERS)


def tick() -> None:
    """One round: send due reminders, then due digests, then fail imports stuck past their time. Never raises."""
    from apps.kanban.services import notifications, reminders, trello_import

    close_old_connections()
    try:
        reminders.scan()
        notifications.flush()
        trello_import.sweep_stuck()
    except Exception:
        logger.exception("kanban.scheduler_tick_failed")
    finally:
        close_old_connections()


def _run() -> None:
    while not _stop.wait(TICK_SECONDS):
        tick()


def start_if_embedded() -> bool:
    """Start the scheduler thread once if :func:`wanted`; returns whether it runs."""
    if not wanted():
        return False
    with _lock:
        if not any(t.is_alive() for t in _threads):
            _stop.clear()
            thread = threading.Thread(target=_run, name="kanban-scheduler", daemon=True)
            _threads[:] = [thread]
            thread.start()
            logger.info("kanban.scheduler_started every=%ss", TICK_SECONDS)
    return True


def stop() -> None:
    """Stop the thread (tests)."""
    _stop.set()
