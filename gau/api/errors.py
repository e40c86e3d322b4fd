"""The one error shape: ``{"error": {"code", "message", "details"}}`` for every 4xx and 5xx.

:func:`exception_handler` is DRF's hook; :func:`error_response` builds the body for code elsewhere
(middleware, plain Django views). Service errors map to their own status and stable code.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.http import Http404, HttpResponse
from rest_framework import exceptions
from rest_framework.response import Response

from gau.api.renderers import dumps
from gau.rpc.errors import RateLimitedError, ServiceError, ServiceUnavailableError

logger = logging.getLogger("gau.errors")

#: Default code and message per status, used when nothing more specific is known.
STATUS_DEFAULTS: dict[int, tuple[str, str]] = {
    400: ("bad_request", "The request is not valid."),
    401: ("not_authenticated", "Authentication credentials were not provided or are not valid."),
    403: ("permission_denied", "You do not have permission to perform this action."),
    404: ("not_found", "Not found."),
    405: ("method_not_allowed", "This method is not allowed on this endpoint."),
    406: ("not_acceptable", "The requested response format is not available."),
    409: ("conflict", "The request conflicts with the current state."),
    413: ("request_too_large", "The request body is too large."),
    415: ("unsupported_media_type", "This content type is not supported; send application/json."),
    429: ("throttled", "Too many requests; try again later."),
    500: ("internal_error", "Something went wrong on our side."),
    502: ("service_unavailable", "A service Gau depends on is unavailable."),
    503: ("service_unavailable", "A service Gau depends on is unavailable; try again shortly."),
    504: ("service_unavailable", "A service Gau depends on timed out."),
}

_DRF_CODES: dict[type[exceptions.APIException], str] = {
    exceptions.ValidationError: "invalid_input",
    exceptions.ParseError: "malformed_request",
    exceptions.AuthenticationFailed: "authentication_failed",
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "throttled",
}


def error_body(status: int, code: str | None = None, message: str | None = None, details: Any = None) -> dict[str, Any]:
    """The error body for ``status``; ``code`` and ``message`` default from the status."""
    default_code, default_message = STATUS_DEFAULTS.get(status, ("error", "The request failed."))
    return {"error": {"code": code or default_code, "message": message or default_message, "details": details or {}}}


def error_response(
    status: int,
    code: str | None = None,
    message: str | None = None,
    details: Any = None,
    *,
    retry_after: int | None = None,
) -> HttpResponse:
    """A plain Django JSON response in the error shape (for code outside DRF views)."""
    response = HttpResponse(
        dumps(error_body(status, code, message, details)), status=status, content_type="application/json"
    )
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return response


#: Seconds a client is told to wait after a 503 for an unreachable dependency.
UNAVAILABLE_RETRY_AFTER = 5
CACHE_UNAVAILABLE_MESSAGE = "The cache Gau depends on is unavailable; try again shortly."


def cache_unavailable(exc: BaseException) -> bool:
    """True when ``exc`` says the Redis cache cannot be reached (connection refused, reset or timed out).

    Whatever used the cache (throttles, CDN variants, nonces) fails closed: the request gets the typed
    503 ``service_unavailable`` with ``Retry-After``, never a 500 and never an unthrottled pass."""
    try:
        from django_redis.exceptions import ConnectionInterrupted
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import TimeoutError as RedisTimeoutError
    except ImportError:  # pragma: no cover - both are dependencies
        return False
    return isinstance(exc, (ConnectionInterrupted, RedisConnectionError, RedisTimeoutError))


def _drf_code(exc: exceptions.APIException) -> str:
    for klass in type(exc).__mro__:
        if klass in _DRF_CODES:
            code = _DRF_CODES[klass]
            break
    else:
        code = STATUS_DEFAULTS.get(exc.status_code, ("error", ""))[0]
    detail = exc.detail
    # A view may raise e.g. ParseError(code="malformed_json"); keep that more specific code.
    own = getattr(detail, "code", None)
    if isinstance(own, str) and own not in {"invalid", "error", "parse_error", exc.default_code}:
        return own
    return code


def _message(detail: Any, fallback: str) -> str:
    if isinstance(detail, str):
        return str(detail)
    return fallback


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF exception handler producing the one error shape (and Retry-After on 429/503)."""
    headers: dict[str, str] = {}
    if isinstance(exc, ServiceError):
        status, code, message, details = exc.http_status, exc.code, exc.message, exc.extra
        retry = exc.extra.get("retry_after")
        if isinstance(exc, (RateLimitedError, ServiceUnavailableError)):
            headers["Retry-After"] = str(int(retry) if isinstance(retry, (int, float)) else 5)
        return Response(error_body(status, code, message, details), status=status, headers=headers)
    if isinstance(exc, RequestDataTooBig):
        return Response(error_body(413, details={"reason": str(exc)}), status=413)
    if cache_unavailable(exc):
        logger.warning("cache unavailable: %s: %s", type(exc).__name__, exc)
        body = error_body(503, "service_unavailable", CACHE_UNAVAILABLE_MESSAGE, {"dependency": "cache"})
        return Response(body, status=503, headers={"Retry-After": str(UNAVAILABLE_RETRY_AFTER)})
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, SuspiciousOperation):
        exc = exceptions.ParseError(str(exc))
    if not isinstance(exc, exceptions.APIException):
        return None  # a real bug: Django logs it, the middleware renders a JSON 500

    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail
        details = {"fields": detail} if isinstance(detail, dict) else {"non_field_errors": detail}
        body = error_body(400, "invalid_input", "Some fields are not valid.", details)
    else:
        _, default_message = STATUS_DEFAULTS.get(exc.status_code, ("error", "The request failed."))
        body = error_body(exc.status_code, _drf_code(exc), _message(exc.detail, default_message))
        throttle_wait = getattr(exc, "wait", None)
        if isinstance(exc, exceptions.Throttled) and throttle_wait is not None:
            wait = math.ceil(throttle_wait)
            headers["Retry-After"] = str(wait)
            body["error"]["details"] = {"retry_after": wait}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header  # type: ignore[attr-defined]
    return Response(body, status=exc.status_code, headers=headers)
