"""gunicorn's configuration file, read from the working directory (the image's /app, the repository root)
by every ``gunicorn gau.wsgi``.

Hooks, plus the access log format; the command line (Dockerfile CMD, chart, tests, bench) keeps the other
settings.
- Tracing (gau/tracing.py): each worker sets up its exporter after the fork and flushes when it exits
  (a no-op, importing nothing, when tracing is off).
- Metrics: with ``GAU_METRICS`` on, Prometheus's multiprocess mode (gau/metrics/multiprocess.py): the
  arbiter prepares ``PROMETHEUS_MULTIPROC_DIR`` before forking workers and does the bookkeeping when one
  exits. Off, each hook is one environment lookup; nothing of Gau is imported into the arbiter.
"""

from __future__ import annotations

import os
from typing import Any


def _metrics_on() -> bool:
    return os.environ.get("GAU_METRICS", "").strip().lower() in {"1", "true", "yes", "on"}


def on_starting(server: Any) -> None:
    if _metrics_on():
        from gau.metrics.multiprocess import prepare_directory

        server.log.info("metrics: multiprocess directory %s", prepare_directory())


def post_fork(server: Any, worker: Any) -> None:
    """Each worker sets up tracing for itself (a no-op, importing nothing, when tracing is off)."""
    from gau import tracing

    tracing.after_fork("web")


def worker_exit(server: Any, worker: Any) -> None:
    """Export the spans still buffered before the worker goes (max-requests recycling, shutdown)."""
    from gau import tracing

    tracing.flush()


def child_exit(server: Any, worker: Any) -> None:
    if _metrics_on():
        from gau.metrics.multiprocess import process_dead

        process_dead(worker.pid)


def on_exit(server: Any) -> None:
    if _metrics_on():
        from gau.metrics.multiprocess import cleanup

        cleanup()


# The access log: no query string (links carry tokens: /verify-email?token=...) and no Referer (the same
# links, as the page a form was posted from); the request id (X-Request-ID) ties a line to the app's logs.
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms rid=%({x-request-id}o)s pid=%(p)s "%(a)s"'
