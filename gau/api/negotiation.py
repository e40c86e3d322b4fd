"""Content negotiation with a fast path for the common case: a JSON API asked for JSON (or anything).

DRF's ``DefaultContentNegotiation`` parses the ``Accept`` header into media types and matches them
against every renderer on each request (~8 % of an empty API request). When the header is absent, is
``*/*`` or is exactly ``application/json`` and the view's first renderer is JSON, the answer is known
without parsing; everything else (other types, quality values, ``?format=``) goes through DRF unchanged,
including the 406 for an Accept header nothing satisfies.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request

#: ``Accept`` values that mean "JSON" for a JSON API (also used by fast paths outside DRF).
OBVIOUS_JSON_ACCEPT = frozenset({"", "*/*", "application/json", "application/json, */*", "application/json,*/*"})


class FastJsonNegotiation(DefaultContentNegotiation):
    """DRF's negotiation, skipped when the answer is obviously the view's first (JSON) renderer."""

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> Any:
        renderers = list(renderers)
        if renderers and format_suffix is None and self.settings.URL_FORMAT_OVERRIDE not in request.query_params:
            first = renderers[0]
            if (
                first.media_type == "application/json"
                and request.META.get("HTTP_ACCEPT", "").strip() in OBVIOUS_JSON_ACCEPT
            ):
                return first, first.media_type
        return super().select_renderer(request, renderers, format_suffix)
