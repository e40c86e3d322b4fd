"""Middleware: the request id, Django's own error pages (404, 405, 413, CSRF 403, 500) in the JSON error
shape, and the session/auth/messages middleware limited to the pages that use them."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.core.exceptions import RequestDataTooBig
from django.core.signals import request_finished, request_started
from django.http import HttpRequest, HttpResponse

from gau import tracing
from gau.api.errors import CACHE_UNAVAILABLE_MESSAGE, UNAVAILABLE_RETRY_AFTER, cache_unavailable, error_response
from gau.logformat import REQUEST_ID_HEADER, new_request_id, request_id, sane_request_id

logger = logging.getLogger("gau.errors")


def _incoming_request_id(environ: Any = None, scope: Any = None) -> str | None:
    if environ is not None:
        return sane_request_id(environ.get("HTTP_X_REQUEST_ID"))
    for name, value in (scope or {}).get("headers", ()):
        if name == b"x-request-id":
            return sane_request_id(value.decode("latin-1"))
    return None


def _request_started(sender: object, environ: Any = None, scope: Any = None, **kwargs: object) -> None:
    # From the handler's first step to the response's close, so Django's own lines about the request
    # ("django.request": "Not Found: /x", logged after the middleware returned) carry the id too.
    request_id.set(_incoming_request_id(environ, scope) or new_request_id())


def _request_finished(sender: object, **kwargs: object) -> None:
    request_id.set("")


request_started.connect(_request_started, dispatch_uid="gau.request_id.started")
request_finished.connect(_request_finished, dispatch_uid="gau.request_id.finished")


class RequestIdMiddleware:
    """One id per request: the caller's ``X-Request-ID`` when sane (the ingress's, or the calling app's in an
    internal call), else a new one; set when the request starts (``request_started``). In every log line of
    the request (``gau.logformat``), on the request's span (``gau.request_id``), passed on in internal calls
    and task headers, and returned in the response."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        rid = request_id.get()
        if not rid:  # a handler that sent no request_started (tests calling the middleware directly)
            rid = sane_request_id(request.headers.get(REQUEST_ID_HEADER)) or new_request_id()
            request_id.set(rid)
        tracing.set_attribute("gau.request_id", rid)
        response = self.get_response(request)
        response[REQUEST_ID_HEADER] = rid
        return response


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
