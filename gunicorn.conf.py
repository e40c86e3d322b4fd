"""gunicorn's configuration file, read from the working directory (the image's /app, the repository root).

Only hooks live here; the command line (Dockerfile CMD, tests/e2e/topology.py) keeps the settings.
"""

from typing import Any


def post_fork(server: Any, worker: Any) -> None:
    """Each worker sets up tracing for itself (a no-op, importing nothing, when tracing is off)."""
    from gau import tracing

    tracing.after_fork("web")


def worker_exit(server: Any, worker: Any) -> None:
    """Export the spans still buffered before the worker goes (max-requests recycling, shutdown)."""
    from gau import tracing

    tracing.flush()


# The access log: no query string (links carry tokens: /verify-email?token=...) and no Referer (the same
# links, as the page a form was posted from); the request id (X-Request-ID) ties a line to the app's logs.
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms rid=%({x-request-id}o)s pid=%(p)s "%(a)s"'
