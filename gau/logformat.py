"""Log lines: the one-line JSON formatter (``GAU_LOG_FORMAT=json``) and the request context every line carries.

:data:`request_id` holds the id of the request (or task) being handled in this thread or task, set by
``gau.middleware.RequestIdMiddleware`` (``X-Request-ID``, honoured when sane, else generated), passed on
in internal calls (``gau.rpc``) and in Celery task headers (``gau.celery``). :class:`ContextFilter` adds it,
and the current trace and span ids when tracing is on (``gau.tracing``), to every record.
"""

from __future__ import annotations

import logging
import re
import uuid
from contextvars import ContextVar

import orjson

from gau import tracing

REQUEST_ID_HEADER = "X-Request-ID"
#: The request id of the request or task being handled ("" outside one).
request_id: ContextVar[str] = ContextVar("gau_request_id", default="")
#: What an incoming ``X-Request-ID`` may be: short, and only characters safe in a log line and a header.
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@/+=-]{0,127}")


def sane_request_id(value: str | None) -> str | None:
    """``value`` if it can be trusted as a request id (≤ 128 characters of ``[A-Za-z0-9._:@/+=-]``), else None."""
    if value and _SANE_REQUEST_ID.fullmatch(value):
        return value
    return None


def new_request_id() -> str:
    return uuid.uuid4().hex


class ContextFilter(logging.Filter):
    """Adds ``request_id`` and, with tracing on, ``trace_id`` and ``span_id`` to every record (never drops one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        rid = request_id.get()
        if rid and not hasattr(record, "request_id"):
            record.request_id = rid
        ids = tracing.log_ids()
        if ids is not None:
            record.trace_id, record.span_id = ids
        return True


def _safe(value: object) -> object:
    """An extra field as logged: a request (Django's ``django.request`` lines carry one) as its method and
    path, never its query string, which may hold a token (``/verify-email?token=...``)."""
    method, path = getattr(value, "method", None), getattr(value, "path", None)
    if isinstance(method, str) and isinstance(path, str) and hasattr(value, "META"):
        return f"{method} {path}"
    return value


class JsonFormatter(logging.Formatter):
    """Each record as one JSON object: time, level, logger, message, and any ``extra`` fields."""

    _skip = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, object] = {
            "time": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        data.update({k: _safe(v) for k, v in vars(record).items() if k not in self._skip})
        if record.exc_info:
            data["exc"] = self.formatException(record.exc_info)
        return orjson.dumps(data, default=str).decode()
