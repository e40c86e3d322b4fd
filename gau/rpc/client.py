"""The remote side of an interface: a proxy class generated from the interface's method specs.

Each proxy method validates its keyword arguments like the local call would, POSTs them as JSON to
``<url>/internal/rpc/<app>/<method>/`` signed with the newest internal key, and returns the result
validated into the declared return type, or raises the same :class:`ServiceError` class the remote
implementation raised. Network failures, timeouts and 5xx become :class:`ServiceUnavailableError`.

Only an answer of the RPC view itself (it carries ``"rpc": {...}``) can raise a domain error. Failures of
the call itself (``rpc.*`` codes: app not served, unknown method, bad arguments, body too large) and
answers from anything else at the URL are :class:`RpcProtocolError`, a ServiceUnavailableError logged
at ERROR: a deployment mistake must never reach users as "not found" or "invalid input".
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx
import orjson
from django.conf import settings
from django.db import connections

from gau import metrics
from gau.logformat import REQUEST_ID_HEADER, request_id
from gau.rpc import signing
from gau.rpc.errors import (
    RemoteCallInAtomicError,
    RpcAuthenticationError,
    RpcBadResponseError,
    RpcProtocolError,
    ServiceError,
    ServiceUnavailableError,
    error_class,
)
from gau.rpc.service import MethodSpec, Service

logger = logging.getLogger("gau.rpc")


class Transport(Protocol):
    """Sends one signed POST and returns ``(status, body)``; raises ``OSError``/``httpx`` errors."""

    def post(self, url: str, *, body: bytes, headers: dict[str, str], timeout: float) -> tuple[int, bytes]: ...


class HttpxTransport:
    """The production transport: one pooled, keep-alive HTTP client per process."""

    def __init__(self) -> None:
        self._client: httpx.Client | None = None
        self._lock = threading.Lock()

    def client(self) -> httpx.Client:
        if self._client is None:
            with self._lock:
                if self._client is None:
                    self._client = httpx.Client(
                        limits=httpx.Limits(max_connections=100, max_keepalive_connections=20),
                        headers={"User-Agent": "gau-rpc/1"},
                    )
        return self._client

    def post(self, url: str, *, body: bytes, headers: dict[str, str], timeout: float) -> tuple[int, bytes]:
        response = self.client().post(url, content=body, headers=headers, timeout=timeout)
        return response.status_code, response.content


_transport: Transport = HttpxTransport()


def set_transport(transport: Transport) -> Transport:
    """Swap the process's transport (tests route calls through the Django test client); returns the old one."""
    global _transport
    previous, _transport = _transport, transport
    return previous


def in_atomic_block() -> bool:
    """Whether this thread is inside ``transaction.atomic()`` on any open connection.

    The atomic block a Django ``TestCase`` wraps each test in does not count (it stands for autocommit).
    """
    for conn in connections.all(initialized_only=True):
        if conn.in_atomic_block and any(not getattr(block, "_from_testcase", False) for block in conn.atomic_blocks):
            return True
    return False


def _check_not_in_atomic(iface: type[Service], spec: MethodSpec) -> None:
    if not in_atomic_block():
        return
    message = (
        f"rpc {iface.app}.{spec.name} called inside transaction.atomic(): the remote service is not part of "
        "this transaction; call it after commit (transaction.on_commit) or through an outbox"
    )
    if settings.GAU_RPC_REMOTE_IN_ATOMIC == "raise":
        raise RemoteCallInAtomicError(message)
    logger.error(message)


def _call(iface: type[Service], base_url: str, spec: MethodSpec, kwargs: dict[str, Any]) -> Any:
    body = orjson.dumps(spec.dump_args(kwargs))
    _check_not_in_atomic(iface, spec)
    url = f"{base_url}/internal/rpc/{iface.app}/{spec.name}/"
    path = urlsplit(url).path
    attempts = 2 if spec.idempotent else 1
    for attempt in range(1, attempts + 1):
        keys = settings.GAU_INTERNAL_KEYS
        if not keys:
            raise RpcAuthenticationError("GAU_INTERNAL_KEYS is not set in the calling process.")
        headers = signing.sign(key=keys[0], method="POST", path=path, app=iface.app, body=body)
        headers["Content-Type"] = "application/json"
        # Not signed (nor is the traceparent the httpx instrumentation adds): they only label the call.
        rid = request_id.get()
        if rid:
            headers[REQUEST_ID_HEADER] = rid
        try:
            status, content = _transport.post(url, body=body, headers=headers, timeout=settings.GAU_RPC_TIMEOUT)
        except (httpx.TransportError, OSError) as exc:
            logger.warning("rpc %s.%s to %s failed (attempt %d): %s", iface.app, spec.name, base_url, attempt, exc)
            if attempt < attempts:
                continue
            raise ServiceUnavailableError(
                f"The {iface.app} service is unavailable ({type(exc).__name__}).", app=iface.app
            ) from None
        return _decode(iface, spec, status, content)
    raise AssertionError("unreachable")


def _decode(iface: type[Service], spec: MethodSpec, status: int, content: bytes) -> Any:
    try:
        payload = orjson.loads(content) if content else {}
    except orjson.JSONDecodeError:
        payload = {}
    if not isinstance(payload, dict):
        payload = {}
    if status == 200 and "result" in payload:
        return spec.returns.validate_python(payload["result"])
    error = payload.get("error")
    code = error.get("code") if isinstance(error, dict) else None
    message = error.get("message") if isinstance(error, dict) else None
    from_rpc_view = isinstance(payload.get("rpc"), dict)
    where = f"rpc {iface.app}.{spec.name}"
    # 401 means "signature refused" only for the endpoint's own code: a service may raise a domain
    # UnauthenticatedError (e.g. authz.invalid_token), which must reach the caller as that class.
    if status == 401 and code in (None, "rpc.unauthenticated"):
        logger.error("%s refused our signature (check GAU_INTERNAL_KEYS): %s", where, message)
        raise RpcAuthenticationError(app=iface.app)
    if isinstance(code, str) and code.startswith("rpc."):
        cls = error_class(code)
        protocol_cls = cls if cls is not None and issubclass(cls, ServiceUnavailableError) else RpcProtocolError
        logger.error("%s failed: HTTP %d %s: %s", where, status, code, message)
        raise protocol_cls(app=iface.app)
    if not from_rpc_view:
        if status >= 500:  # a proxy or load balancer in front of a down service: plain unavailability
            logger.warning("%s: HTTP %d, not from an RPC endpoint", where, status)
            raise ServiceUnavailableError(f"The {iface.app} service answered HTTP {status}.", app=iface.app)
        logger.error(
            "%s failed: HTTP %d %s did not come from an RPC endpoint (check GAU_SERVICE_URLS)", where, status, code
        )
        raise RpcBadResponseError(app=iface.app)
    if isinstance(code, str):
        cls = error_class(code)
        if status < 500 or (cls is not None and issubclass(cls, ServiceUnavailableError)):
            raise ServiceError.from_dict({"code": code, "message": message, "extra": error.get("details") or {}})  # type: ignore[union-attr]
    raise ServiceUnavailableError(f"The {iface.app} service answered HTTP {status}.", app=iface.app)


def _observed_call(iface: type[Service], base_url: str, spec: MethodSpec, kwargs: dict[str, Any]) -> Any:
    """:func:`_call`, timed and counted in the internal-call metrics (a no-op when metrics are off)."""
    start = time.perf_counter()
    try:
        result = _call(iface, base_url, spec, kwargs)
    except ServiceError as exc:
        unavailable = isinstance(exc, ServiceUnavailableError)
        metrics.observe_rpc(
            app=iface.app,
            method=spec.name,
            seconds=time.perf_counter() - start,
            outcome="unavailable" if unavailable else "error",
            code=exc.code if error_class(exc.code) is not None else "unknown",  # labels stay a known set
        )
        raise
    metrics.observe_rpc(app=iface.app, method=spec.name, seconds=time.perf_counter() - start, outcome="ok")
    return result


def _make_method(iface: type[Service], base_url: str, spec: MethodSpec) -> Callable[..., Any]:
    def method(self: Service, **kwargs: Any) -> Any:
        return _observed_call(iface, base_url, spec, kwargs)

    method.__name__ = spec.name
    method.__qualname__ = f"Remote{iface.__name__}.{spec.name}"
    method.__doc__ = getattr(iface, spec.name).__doc__
    return method


def remote_proxy(iface: type[Service], base_url: str) -> Service:
    """An instance of a generated subclass of ``iface`` whose methods call ``base_url`` over HTTP."""
    namespace: dict[str, Any] = {name: _make_method(iface, base_url, spec) for name, spec in iface.specs().items()}
    namespace["__repr__"] = lambda self: f"<Remote{iface.__name__} {base_url}>"
    proxy_cls = type(f"Remote{iface.__name__}", (iface,), namespace)
    return proxy_cls()  # type: ignore[no-any-return]
