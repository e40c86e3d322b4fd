"""gunicorn's configuration file, read from the working directory by every ``gunicorn gau.wsgi``.

Only hooks, no settings (the command line sets those: Dockerfile, chart, tests, bench). With
``GAU_METRICS`` on they run Prometheus's multiprocess mode (gau/metrics/multiprocess.py): the arbiter
prepares ``PROMETHEUS_MULTIPROC_DIR`` before forking workers, and does the bookkeeping when one exits.
Off, each hook is one environment lookup; nothing of Gau is imported into the arbiter.
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


def child_exit(server: Any, worker: Any) -> None:
    if _metrics_on():
        from gau.metrics.multiprocess import process_dead

        process_dead(worker.pid)


def on_exit(server: Any) -> None:
    if _metrics_on():
        from gau.metrics.multiprocess import cleanup

        cleanup()
