"""The serving side: one internal endpoint per served app, ``POST /internal/rpc/<app>/<method>/``.

A request is dispatched only when its signature verifies (see :mod:`gau.rpc.signing`); its JSON
arguments are validated against the interface's argument model, and the local implementation's result
is serialised through the declared return type. Errors use the API's one error shape, so the client
can raise the same :class:`ServiceError` class on its side.
"""

from __future__ import annotations

import logging
from typing import Any

import orjson
import pydantic
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from gau.rpc import signing
from gau.rpc.errors import ServiceError
from gau.rpc.service import service_for_app

logger = logging.getLogger("gau.rpc")


def _error(status: int, code: str, message: str, details: dict[str, Any] | None = None) -> HttpResponse:
    body = {"error": {"code": code, "message": message, "details": details or {}}}
    return HttpResponse(orjson.dumps(body), status=status, content_type="application/json")


@csrf_exempt
def rpc_view(request: HttpRequest, app: str, method: str) -> HttpResponse:
    """Verify, validate, dispatch to the local implementation, serialise."""
    if app not in settings.GAU_SERVED_APPS:
        return _error(404, "not_found", f"This process does not serve the {app!r} app.")
    if request.method != "POST":
        return _error(405, "method_not_allowed", "Internal calls use POST.")
    body = request.body
    try:
        signing.verify(
            keys=settings.GAU_INTERNAL_KEYS,
            method=request.method,
            path=request.path,
            app=app,
            body=body,
            headers=request.headers,
            max_skew=settings.GAU_RPC_MAX_SKEW,
        )
    except signing.SignatureError as exc:
        logger.warning("rpc %s.%s refused: %s", app, method, exc)
        return _error(401, "rpc.unauthenticated", f"Internal call refused: {exc}.")

    iface = service_for_app(app)
    spec = iface.specs().get(method)
    if spec is None:
        return _error(404, "rpc.unknown_method", f"The {app} service has no method {method!r}.")
    try:
        kwargs = spec.load_args(orjson.loads(body))
    except orjson.JSONDecodeError:
        return _error(400, "rpc.malformed_body", "The body is not valid JSON.")
    except pydantic.ValidationError as exc:
        details = {"errors": exc.errors(include_url=False, include_context=False, include_input=False)}
        return _error(400, "rpc.invalid_arguments", f"Invalid arguments for {app}.{method}.", details)

    try:
        result = getattr(iface.local(), method)(**kwargs)
    except ServiceError as exc:
        return _error(exc.http_status, exc.code, exc.message, exc.extra)
    except Exception:
        logger.exception("rpc %s.%s failed", app, method)
        return _error(500, "internal_error", "The service failed to handle the call.")
    payload = {"result": spec.returns.dump_python(result, mode="json")}
    return HttpResponse(orjson.dumps(payload), content_type="application/json")
