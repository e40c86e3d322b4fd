"""Middleware: Django's own error pages (404, 405, 413, CSRF 403, 500) in the JSON error shape, and the
session/auth/messages middleware limited to the pages that use them."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
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


# --- page-only middleware -----------------------------------------------------------------------
#: Paths whose views never use Django sessions, ``request.user`` from the session or messages: the JSON
#: API (DRF authenticates with bearer tokens and API keys only), internal RPC, the CDN, the JWKS and the
#: health checks. Session, authentication and message middleware are skipped there (~10 % of an empty API
#: request); the admin and the hosted account pages (``/verify-email``, ``/password/...``) keep them.
API_PREFIXES = ("/api/v2/", "/internal/", "/images/", "/.well-known/", "/healthz", "/readyz")


def _skip(request: HttpRequest) -> bool:
    return request.path_info.startswith(API_PREFIXES)


class PageSessionMiddleware(SessionMiddleware):
    """Django's SessionMiddleware, except on :data:`API_PREFIXES` (no ``request.session`` there)."""

    def __call__(self, request: HttpRequest) -> Any:
        if _skip(request):
            return self.get_response(request)
        return super().__call__(request)


class PageAuthenticationMiddleware(AuthenticationMiddleware):
    """Django's AuthenticationMiddleware, except on :data:`API_PREFIXES` (DRF sets ``request.user``)."""

    def __call__(self, request: HttpRequest) -> Any:
        if _skip(request):
            return self.get_response(request)
        return super().__call__(request)


class PageMessageMiddleware(MessageMiddleware):
    """Django's MessageMiddleware, except on :data:`API_PREFIXES`."""

    def __call__(self, request: HttpRequest) -> Any:
        if _skip(request):
            return self.get_response(request)
        return super().__call__(request)
