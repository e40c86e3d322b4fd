"""Middleware that keeps Django's own error pages (404, 405, 413, CSRF 403, 500) in the JSON error shape."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse

from gau.api.errors import CACHE_UNAVAILABLE_MESSAGE, UNAVAILABLE_RETRY_AFTER, cache_unavailable, error_response

logger = logging.getLogger("gau.errors")

#: Paths that keep Django's HTML responses (the admin and the Swagger UI are HTML apps).
HTML_PREFIXES = ("/admin/", "/api/docs/", "/static/")


def _is_html_page(request: HttpRequest) -> bool:
    """A view marked ``html_page`` (the hosted pages, gau.pages.html_page) answers its own HTML outcome pages."""
    match = getattr(request, "resolver_match", None)
    return match is not None and bool(getattr(match.func, "html_page", False))


class JsonErrorMiddleware:
    """Rewrites non-JSON error responses outside the HTML apps into the one error shape."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code < 400 or request.path.startswith(HTML_PREFIXES) or _is_html_page(request):
            return response
        content_type = response.get("Content-Type", "")
        if content_type.startswith(("application/json", "application/problem+json")):
            return response
        replacement = error_response(response.status_code)
        for header in ("Allow", "Retry-After", "WWW-Authenticate"):
            if header in response:
                replacement[header] = response[header]
        return replacement

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if request.path.startswith(HTML_PREFIXES):
            return None
        if isinstance(exception, RequestDataTooBig):
            return error_response(413, details={"reason": str(exception)})
        if cache_unavailable(exception):  # plain Django views (the CDN): the same typed 503 as DRF's
            logger.warning("cache unavailable: %s: %s", type(exception).__name__, exception)
            return error_response(
                503,
                "service_unavailable",
                CACHE_UNAVAILABLE_MESSAGE,
                {"dependency": "cache"},
                retry_after=UNAVAILABLE_RETRY_AFTER,
            )
        return None
