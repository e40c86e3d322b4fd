"""Request count and latency per URL route template (installed only when ``GAU_METRICS`` is on)."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase

from gau.metrics import observe_request

#: The route label of a request nothing resolved (a 404 for an unknown path, a static file): raw paths
#: would make one time series per scanned URL.
UNMATCHED = "unmatched"


def route_of(request: HttpRequest) -> str:
    """The route template that answered (``api/v2/kanban/projects/<uuid:project_id>/``), never the path."""
    match = getattr(request, "resolver_match", None)
    route = getattr(match, "route", None) if match is not None else None
    return route or UNMATCHED


class MetricsMiddleware:
    """Outermost middleware: times the whole response, labels it with the resolved route and status."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        start = time.perf_counter()
        response = self.get_response(request)
        observe_request(
            method=request.method or "",
            route=route_of(request),
            status=response.status_code,
            seconds=time.perf_counter() - start,
        )
        return response
