"""The two views the framework benchmark compares: the same small JSON payload, bare and through DRF."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from gau.api.renderers import dumps

#: A small body, the size of a typical "get one thing" answer.
PAYLOAD: dict[str, Any] = {
    "id": "8a6f0d9e-4a43-4c3b-9d0e-2f6f3f5c1b7a",
    "name": "benchmark",
    "status": "ok",
    "count": 3,
    "tags": ["a", "b", "c"],
}
PAYLOAD_BYTES = dumps(PAYLOAD)


def bare_ping(request: HttpRequest) -> HttpResponse:
    """Baseline: a plain Django function view returning pre-serialised JSON bytes."""
    return HttpResponse(PAYLOAD_BYTES, content_type="application/json")


class PingApi(APIView):
    """Candidate: a DRF view with the project's defaults (orjson renderer, error handler, auth, perms)."""

    def get(self, request: Request) -> Response:
        return Response(PAYLOAD)
