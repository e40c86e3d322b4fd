"""A small scrape server for processes that serve no HTTP themselves: the Celery worker's main process.

``serve(port, token=...)`` answers ``GET /internal/metrics`` (bearer ``token`` when set; anything else
is a 404) on ``0.0.0.0:port`` from a daemon thread, with the metrics of every process in the
multiprocess directory (the pool's children included).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from gau.metrics.exposition import authorized, render

PATH = "/internal/metrics"
_NOT_FOUND = b'{"error": {"code": "not_found", "message": "Not found.", "details": {}}}'


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # scrapes are not worth a log line
        pass


def wsgi_app(token: str | None) -> Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != PATH or not authorized(environ.get("HTTP_AUTHORIZATION"), token):
            start_response("404 Not Found", [("Content-Type", "application/json")])
            return [_NOT_FOUND]
        body, content_type = render(with_scrape_collectors=False)
        start_response("200 OK", [("Content-Type", content_type), ("Cache-Control", "no-store")])
        return [body]

    return app


class Exporter:
    """A running scrape server; :meth:`close` stops it."""

    def __init__(self, port: int, *, token: str | None, host: str = "0.0.0.0") -> None:  # noqa: S104  # in-pod scrape
        self.server = make_server(host, port, wsgi_app(token), server_class=_Server, handler_class=_QuietHandler)
        self.port = int(self.server.server_address[1])
        self.thread = threading.Thread(target=self.server.serve_forever, name="gau-metrics", daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
