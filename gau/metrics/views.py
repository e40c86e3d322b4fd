"""``GET /internal/metrics``: the Prometheus scrape endpoint of a web process.

Internal only: the chart's Ingress refuses to route anything under ``/internal/`` (and the e2e suite's
nginx proves it answers 404 there), so only in-cluster clients reach it, and those must send
``Authorization: Bearer $GAU_METRICS_TOKEN`` (required unless DEBUG). Metrics off, a missing or wrong
token: 404 in the error shape, as if the endpoint did not exist.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from gau.metrics import enabled
from gau.metrics.exposition import authorized, render


@csrf_exempt
def metrics_view(request: HttpRequest) -> HttpResponse:
    """The scrape: every metric of this server's processes, plus the scrape-time collectors."""
    if not enabled() or not authorized(request.headers.get("Authorization"), settings.GAU_METRICS_TOKEN):
        return HttpResponse(status=404)  # JsonErrorMiddleware writes the error shape
    if request.method not in {"GET", "HEAD"}:
        response = HttpResponse(status=405)
        response["Allow"] = "GET, HEAD"
        return response
    body, content_type = render()
    response = HttpResponse(body, content_type=content_type)
    response["Cache-Control"] = "no-store"
    return response
