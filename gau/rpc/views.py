"""The serving side: one internal endpoint per served app, ``POST /internal/rpc/<app>/<method>/``.

A request is dispatched only when its signature verifies (see :mod:`gau.rpc.signing`); its JSON
arguments are validated against the interface's argument model, and the local implementation's result
is serialised through the declared return type. Errors use the API's one error shape, so the client
can raise the same :class:`ServiceError` class on its side; every answer of this view also carries
``"rpc": {"app": ...}``, so the client can tell it from anything else that answers at the URL (a proxy,
Django's own 404). Failures of the call itself have ``rpc.*`` codes (see ``gau.rpc.errors``).

The body is read here with its own cap, ``GAU_RPC_MAX_BODY`` (sized for the largest payload an interface
takes), not through ``request.body``, which Django caps at ``DATA_UPLOAD_MAX_MEMORY_SIZE`` for the API.
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


def _error(status: int, code: str, message: str, details: dict[str, Any] | None = None, *, app: str) -> HttpResponse:
    body = {"error": {"code": code, "message": message, "details": details or {}}, "rpc": {"app": app}}
    return HttpResponse(orjson.dumps(body), status=status, content_type="application/json")


def _read_body(request: HttpRequest, limit: int) -> bytes | None:
    """The request body, or None when it is larger than ``limit`` (refused from Content-Length unread)."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        return None
    body = request.read(limit + 1)
    return None if len(body) > limit else body


@csrf_exempt
def rpc_view(request: HttpRequest, app: str, method: str) -> HttpResponse:
    """Verify, validate, dispatch to the local implementation, serialise."""
    if app not in settings.GAU_SERVED_APPS:
        logger.warning("rpc %s.%s refused: this process does not serve %r (check GAU_SERVICE_URLS)", app, method, app)
        return _error(404, "rpc.app_not_served", f"This process does not serve the {app!r} app.", app=app)
    if request.method != "POST":
        return _error(405, "method_not_allowed", "Internal calls use POST.", app=app)
    limit = settings.GAU_RPC_MAX_BODY
    body = _read_body(request, limit)
    if body is None:
        logger.warning("rpc %s.%s refused: body over GAU_RPC_MAX_BODY (%d bytes)", app, method, limit)
        return _error(413, "rpc.body_too_large", "The body is larger than GAU_RPC_MAX_BODY.", {"limit": limit}, app=app)
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
        return _error(401, "rpc.unauthenticated", f"Internal call refused: {exc}.", app=app)

    iface = service_for_app(app)
    spec = iface.specs().get(method)
    if spec is None:
        return _error(404, "rpc.unknown_method", f"The {app} service has no method {method!r}.", app=app)
    try:
        kwargs = spec.load_args(orjson.loads(body))
    except orjson.JSONDecodeError:
        return _error(400, "rpc.malformed_body", "The body is not valid JSON.", app=app)
    except pydantic.ValidationError as exc:
        details = {"errors": exc.errors(include_url=False, include_context=False, include_input=False)}
        return _error(400, "rpc.bad_arguments", f"Invalid arguments for {app}.{method}.", details, app=app)

    try:
        result = getattr(iface.local(), method)(**kwargs)
    except ServiceError as exc:
        return _error(exc.http_status, exc.code, exc.message, exc.extra, app=app)
    except Exception:
        logger.exception("rpc %s.%s failed", app, method)
        return _error(500, "internal_error", "The service failed to handle the call.", app=app)
    payload = {"result": spec.returns.dump_python(result, mode="json")}
    return HttpResponse(orjson.dumps(payload), content_type="application/json")
