"""Liveness (``/healthz``: no I/O) and readiness (``/readyz``: every configured backing service)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.db import connections
from django.http import HttpRequest, HttpResponse

from gau.api.errors import error_response
from gau.api.renderers import dumps
from gau.rpc.service import service_for_app


def healthz(request: HttpRequest) -> HttpResponse:
    """The process is alive and serving requests."""
    return HttpResponse(dumps({"status": "ok"}), content_type="application/json")


def _check_databases() -> None:
    for alias in connections:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT 1")


def _check_cache() -> None:
    key = f"readyz:{uuid.uuid4().hex}"
    cache.set(key, 1, timeout=5)
    if cache.get(key) != 1:
        raise RuntimeError("cache did not return what was stored")
    cache.delete(key)


def _check_broker() -> None:
    from gau.celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)


def _check_storage() -> None:
    if settings.STORAGES["default"]["BACKEND"].endswith("S3Storage"):
        bucket = default_storage.bucket  # type: ignore[attr-defined]
        bucket.meta.client.head_bucket(Bucket=bucket.name)
    else:
        default_storage.listdir("")


def _check_service(app: str) -> Callable[[], None]:
    def check() -> None:
        status = service_for_app(app).resolve().ping()
        if status.app != app:
            raise RuntimeError(f"{app} answered as {status.app}")

    return check


def checks() -> dict[str, Callable[[], None]]:
    """The readiness checks that apply to this configuration.

    Besides the backing services, every app this process calls over HTTP (``GAU_SERVICE_URLS``) is
    pinged through its interface, so a split deployment reports which remote app it cannot reach.
    """
    found: dict[str, Callable[[], None]] = {
        "database": _check_databases,
        "cache": _check_cache,
        "storage": _check_storage,
    }
    if not settings.CELERY_TASK_ALWAYS_EAGER:
        found["broker"] = _check_broker
    for app in settings.GAU_SERVICE_URLS:
        found[f"service:{app}"] = _check_service(app)
    return found


def readyz(request: HttpRequest) -> HttpResponse:
    """200 when every configured backing service answers; 503 naming the ones that did not."""
    results: dict[str, dict[str, object]] = {}
    for name, check in checks().items():
        started = time.perf_counter()
        try:
            check()
        except Exception as exc:  # any failure means not ready; the reason is reported
            results[name] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
        else:
            results[name] = {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 1)}
    failed = sorted(name for name, result in results.items() if not result["ok"])
    if failed:
        return error_response(
            503, "not_ready", f"Not ready: {', '.join(failed)} unavailable.", {"checks": results}, retry_after=5
        )
    return HttpResponse(dumps({"status": "ready", "checks": results}), content_type="application/json")
