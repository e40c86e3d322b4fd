"""Celery hooks: task outcomes and run times, and the worker's own scrape endpoint.

Connected by ``gau/celery.py`` in every process; each hook returns at once when metrics are off.

- ``task_prerun``/``task_postrun`` (where a task runs: a pool child, or the caller for eager tasks):
  ``gau_celery_tasks_total`` and ``gau_celery_task_duration_seconds`` by task name and final state
  (``SUCCESS``, ``FAILURE``, ``RETRY``...).
- ``celeryd_init`` (the ``celery worker`` main process, before the pool forks): the multiprocess
  directory (:func:`gau.metrics.multiprocess.prepare_directory`).
- ``worker_ready`` (main process): the scrape endpoint on ``GAU_METRICS_WORKER_PORT``
  (:mod:`gau.metrics.exporter`), summing every pool child's files.
- ``worker_process_shutdown`` (a pool child): multiprocess bookkeeping for it.
"""

from __future__ import annotations

import logging
import os
import time
from typing import Any

from celery import signals

from gau import metrics
from gau.metrics import multiprocess

logger = logging.getLogger("gau.metrics")
_started: dict[str, float] = {}
_exporters: list[Any] = []


def _task_prerun(task_id: str | None = None, **kwargs: Any) -> None:
    if task_id and metrics.enabled():
        _started[task_id] = time.perf_counter()


def _task_postrun(task_id: str | None = None, task: Any = None, state: str | None = None, **kwargs: Any) -> None:
    if not metrics.enabled():
        return
    started = _started.pop(task_id, None) if task_id else None
    seconds = None if started is None else time.perf_counter() - started
    metrics.observe_task(task=getattr(task, "name", None) or "unknown", state=state or "UNKNOWN", seconds=seconds)


def _worker_init(**kwargs: Any) -> None:
    if metrics.enabled():
        path = multiprocess.prepare_directory()
        logger.info("metrics: multiprocess directory %s", path)


def _worker_ready(**kwargs: Any) -> None:
    from django.conf import settings

    port = settings.GAU_METRICS_WORKER_PORT
    if not metrics.enabled() or not port:
        return
    from gau.metrics.exporter import Exporter

    try:
        _exporters.append(Exporter(port, token=settings.GAU_METRICS_TOKEN))
    except OSError as exc:  # the worker keeps working without its scrape endpoint
        logger.error("metrics: cannot serve the worker's metrics on port %d: %s", port, exc)
        return
    logger.info("metrics: serving /internal/metrics on port %d", port)


def _child_shutdown(**kwargs: Any) -> None:
    if metrics.enabled():
        multiprocess.process_dead(os.getpid())


def _worker_shutdown(**kwargs: Any) -> None:
    while _exporters:
        _exporters.pop().close()
    multiprocess.cleanup()


def install() -> None:
    """Connect the hooks (idempotent: Celery signals keep one connection per receiver)."""
    signals.task_prerun.connect(_task_prerun, weak=False)
    signals.task_postrun.connect(_task_postrun, weak=False)
    signals.celeryd_init.connect(_worker_init, weak=False)
    signals.worker_ready.connect(_worker_ready, weak=False)
    signals.worker_process_shutdown.connect(_child_shutdown, weak=False)
    signals.worker_shutdown.connect(_worker_shutdown, weak=False)
