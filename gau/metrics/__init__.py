"""Prometheus metrics: what Gau measures, recorded through a few no-op-when-off helpers.

Off (``GAU_METRICS`` unset or false) every helper returns at once and ``prometheus_client`` is not even
imported. On, the metrics below are created on first use, in the process's registry, or, when
``PROMETHEUS_MULTIPROC_DIR`` is set (gunicorn with several workers, the Celery prefork pool), in that
directory's per-process files, summed at scrape time (:mod:`gau.metrics.exposition`).

Labels are bounded: URL route templates (never raw paths), interface app/method names, task names,
status codes and a handful of fixed values.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from django.conf import settings

if TYPE_CHECKING:
    from prometheus_client import Counter, Histogram
    from prometheus_client.registry import Collector

#: Latency buckets (seconds) for requests, internal calls and tasks: 5 ms .. 60 s.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
#: The CDN's variant sources, fastest first (apps/cdn/cache.py): ``miss`` means generated now.
CDN_TIERS = ("memory", "redis", "storage", "miss")
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

#: Collectors asked at scrape time, in the process that answers the scrape (e.g. the email outbox's).
_scrape_collectors: list[Collector] = []


def enabled() -> bool:
    """Whether this process records metrics (``GAU_METRICS``)."""
    return bool(getattr(settings, "GAU_METRICS", False))


class _Metrics:
    """The metric objects, created once metrics are first recorded."""

    def __init__(self) -> None:
        import os

        from prometheus_client import Counter, Histogram

        if directory := os.environ.get("PROMETHEUS_MULTIPROC_DIR"):  # e.g. beat or a command: not prepared
            os.makedirs(directory, exist_ok=True)

        self.http_requests: Counter = Counter(
            "gau_http_requests", "HTTP requests answered, by route template", ["method", "route", "status"]
        )
        self.http_duration: Histogram = Histogram(
            "gau_http_request_duration_seconds",
            "Time to answer an HTTP request, by route template",
            ["method", "route", "status"],
            buckets=BUCKETS,
        )
        self.rpc_duration: Histogram = Histogram(
            "gau_rpc_client_duration_seconds",
            "Internal calls to another app's process over signed HTTP, by outcome",
            ["app", "method", "outcome"],
            buckets=BUCKETS,
        )
        self.rpc_errors: Counter = Counter(
            "gau_rpc_client_errors",
            "Internal calls that raised, by error code (service_unavailable, rpc.*, or the app's own code)",
            ["app", "method", "code"],
        )
        self.task_duration: Histogram = Histogram(
            "gau_celery_task_duration_seconds",
            "Celery task run time, by final state",
            ["task", "state"],
            buckets=BUCKETS,
        )
        self.tasks: Counter = Counter("gau_celery_tasks", "Celery task runs, by final state", ["task", "state"])
        self.cdn_hits: Counter = Counter(
            "gau_cdn_cache_hits", "Image variants served, by the tier they came from (miss: generated)", ["tier"]
        )


_lock = threading.Lock()
#: (method, route, status) -> its counter and histogram children (bounded like the labels themselves).
_request_children: dict[tuple[str, str, int], tuple[Any, Any]] = {}
_instance: _Metrics | None = None


def _metrics() -> _Metrics:
    global _instance  # noqa: PLW0603  # one set of metric objects per process, made on first use
    if _instance is None:
        with _lock:  # two threads creating them at once would register every metric name twice
            if _instance is None:
                _instance = _Metrics()
    return _instance


def observe_request(*, method: str, route: str, status: int, seconds: float) -> None:
    """Count one answered HTTP request under its route template (``unmatched`` when nothing resolved)."""
    if not enabled():
        return
    labels = (method if method in _METHODS else "other", route, status)
    children = _request_children.get(labels)
    if children is None:  # labels() validates and locks: do it once per (method, route, status)
        m = _metrics()
        values = (labels[0], route, str(status))
        children = _request_children.setdefault(
            labels, (m.http_requests.labels(*values), m.http_duration.labels(*values))
        )
    children[0].inc()
    children[1].observe(seconds)


def observe_rpc(*, app: str, method: str, seconds: float, outcome: str, code: str | None = None) -> None:
    """Record one internal call. ``outcome``: ``ok``, ``error`` (the remote app answered with one of its
    errors, e.g. not found) or ``unavailable`` (unreachable, timed out, 5xx, ``rpc.*`` protocol failure);
    ``code``: the raised error's code, counted in ``gau_rpc_client_errors_total``."""
    if not enabled():
        return
    m = _metrics()
    m.rpc_duration.labels(app, method, outcome).observe(seconds)
    if code is not None:
        m.rpc_errors.labels(app, method, code).inc()


def observe_task(*, task: str, state: str, seconds: float | None) -> None:
    """Record one finished Celery task run (state: SUCCESS, FAILURE, RETRY, ...)."""
    if not enabled():
        return
    m = _metrics()
    m.tasks.labels(task, state).inc()
    if seconds is not None:
        m.task_duration.labels(task, state).observe(seconds)


def cdn_hit(tier: str) -> None:
    """Count one image variant served from ``tier`` (one of :data:`CDN_TIERS`)."""
    if enabled():
        _metrics().cdn_hits.labels(tier).inc()


def register_scrape_collector(collector: Collector) -> None:
    """Add a collector asked at scrape time (it may query the database); idempotent per instance."""
    if all(existing is not collector for existing in _scrape_collectors):
        _scrape_collectors.append(collector)


def scrape_collectors() -> list[Collector]:
    return list(_scrape_collectors)
