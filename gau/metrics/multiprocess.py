"""prometheus_client's multiprocess mode for servers that fork workers (gunicorn, the Celery prefork pool).

Each worker process writes its metrics to ``$PROMETHEUS_MULTIPROC_DIR/<kind>_<pid>.db``; a scrape sums
them (:mod:`gau.metrics.exposition`). The supervising process (gunicorn's arbiter, Celery's main
process) calls :func:`prepare_directory` before it forks: it makes the directory (a fresh temporary one
when the variable is unset), exports the variable to the children, and deletes files left by a previous
run (their counters would otherwise be added to this run's). So one directory must belong to one server:
the chart gives every pod its own ``emptyDir``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
from pathlib import Path

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
_created: list[Path] = []


def prepare_directory() -> Path:
    """Make (or empty) this server's metrics directory and export it; call before forking workers."""
    raw = os.environ.get(MULTIPROC_ENV, "").strip()
    if raw:
        path = Path(raw)
        path.mkdir(parents=True, exist_ok=True)
    else:
        path = Path(tempfile.mkdtemp(prefix="gau-metrics-"))
        _created.append(path)
        os.environ[MULTIPROC_ENV] = str(path)
    for stale in path.glob("*.db"):
        with contextlib.suppress(FileNotFoundError):
            stale.unlink()
    values = sys.modules.get("prometheus_client.values")
    if values is not None:  # imported before the variable was set: no metric exists yet, switch mode now
        values.ValueClass = values.get_value_class()  # type: ignore[attr-defined]
    return path


def process_dead(pid: int) -> None:
    """Bookkeeping for a worker that exited (drops its files of live-only gauges)."""
    if not os.environ.get(MULTIPROC_ENV):
        return
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]


def cleanup() -> None:
    """Remove the temporary directory :func:`prepare_directory` made (if it made one)."""
    while _created:
        shutil.rmtree(_created.pop(), ignore_errors=True)
