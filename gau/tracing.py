"""OpenTelemetry tracing: one trace per user request across apps, internal calls and Celery tasks.

On when ``OTEL_EXPORTER_OTLP_ENDPOINT`` (or ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``) or ``GAU_OTEL`` is
set, off when ``OTEL_SDK_DISABLED=true`` or ``OTEL_TRACES_EXPORTER=none`` (see :func:`wanted`). Everything
else is the standard ``OTEL_*`` variables read by the SDK: ``OTEL_SERVICE_NAME``,
``OTEL_RESOURCE_ATTRIBUTES``, ``OTEL_TRACES_SAMPLER``, ``OTEL_BSP_SCHEDULE_DELAY``, the OTLP/HTTP
exporter's endpoint, headers, timeout and compression.

**Off costs nothing**: this module imports ``opentelemetry`` only inside :func:`setup`, and every other
function here is a constant-time no-op until :func:`setup` ran (``tests/test_tracing.py`` checks that a
process with tracing off never imports ``opentelemetry``).

Instrumented: Django (server spans, ``traceparent`` extracted from incoming requests), httpx (the signed
internal calls of ``gau.rpc``: ``traceparent`` injected next to the signature headers, which the
signature does not cover), Celery (publish and run spans; the context travels in the task message's
headers), psycopg and Redis. Outboxes that publish later (after commit, or from a sweeper) keep the
``traceparent`` of the request that created their row (:func:`current_traceparent`) and publish inside
:func:`attached`, so the delivery joins the original trace.

Per process, before Django loads its middleware: :func:`setup_from_settings` runs in ``gau.wsgi`` and
``gau.asgi`` (each gunicorn worker imports them after the fork, unless ``--preload``), ``manage.py``
(runserver, commands) and Celery's ``worker_process_init`` / ``beat_init`` (``gau.celery``), so every
batch span processor and its export thread belong to the process that uses them. With ``--preload`` the
SDK restarts the export thread in the forked child (``os.register_at_fork``) and ``gunicorn.conf.py``'s
``post_fork`` calls :func:`after_fork`. :func:`flush` sends what is buffered before a worker process exits.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

_TRUE = {"1", "true", "yes", "on"}


class _State:
    """Set by :func:`setup`: the SDK's tracer provider and the opentelemetry API functions the helpers use
    (bound once, no import per call). Both ``None`` while tracing is off."""

    provider: Any = None
    api: Any = None


_state = _State()
_lock = threading.Lock()


def wanted(env: Mapping[str, str] | None = None) -> bool:
    """Whether the environment asks for tracing (an OTLP endpoint or ``GAU_OTEL``, not disabled)."""
    env = os.environ if env is None else env
    if env.get("OTEL_SDK_DISABLED", "").strip().lower() in _TRUE:
        return False
    if env.get("OTEL_TRACES_EXPORTER", "").strip().lower() == "none":
        return False
    if env.get("GAU_OTEL", "").strip().lower() in _TRUE:
        return True
    return bool(env.get("OTEL_EXPORTER_OTLP_ENDPOINT") or env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"))


def active() -> bool:
    """Whether :func:`setup` turned tracing on in this process."""
    return _state.provider is not None


def default_service_name(served_apps: Sequence[str], all_apps: Sequence[str]) -> str:
    """``gau`` for the monolith, ``gau-<app>[-<app>...]`` for a process serving some apps."""
    if not served_apps or set(served_apps) >= set(all_apps):
        return "gau"
    return "gau-" + "-".join(served_apps)


def setup_from_settings(role: str = "web") -> bool:
    """:func:`setup` if the settings turn tracing on (``GAU_OTEL``); the process's entry points call it
    before Django loads its middleware: ``gau.wsgi``/``gau.asgi`` (each gunicorn worker), ``manage.py``
    (runserver, commands), and Celery's worker-process and beat start (``gau.celery``).

    ``role``: ``web``, ``worker`` or ``beat``; the default service name is ``gau[-<apps>]`` for web
    processes, ``gau-worker`` and ``gau-beat`` otherwise. Returns whether tracing is on.
    """
    from django.conf import settings

    if not getattr(settings, "GAU_OTEL", False):
        return False
    served = list(settings.GAU_SERVED_APPS)
    name = default_service_name(served, settings.GAU_APPS) if role == "web" else f"gau-{role}"
    return setup(service_name=name, attributes={"gau.role": role, "gau.served_apps": ",".join(served)})


def setup(*, service_name: str, attributes: Mapping[str, str] | None = None) -> bool:
    """Install the tracer provider (OTLP/HTTP exporter, batch processor) and the instrumentations.

    Idempotent. ``service_name`` is used unless ``OTEL_SERVICE_NAME`` is set. Returns whether tracing is on.
    """
    with _lock:
        if _state.provider is not None:
            return True
        from types import SimpleNamespace

        from opentelemetry import context, propagate, trace
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import SERVICE_NAME, Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        resource = Resource.create(
            {**(attributes or {}), SERVICE_NAME: os.environ.get("OTEL_SERVICE_NAME") or service_name}
        )
        provider = TracerProvider(resource=resource)  # sampler from OTEL_TRACES_SAMPLER (parent-based default)
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        trace.set_tracer_provider(provider)
        _instrument()
        _state.api = SimpleNamespace(
            trace=trace,
            context=context,
            inject=propagate.inject,
            extract=propagate.extract,
            tracer=trace.get_tracer("gau"),
        )
        _state.provider = provider
        return True


def _instrument() -> None:
    from opentelemetry.instrumentation.celery import CeleryInstrumentor
    from opentelemetry.instrumentation.django import DjangoInstrumentor
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
    from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor
    from opentelemetry.instrumentation.redis import RedisInstrumentor

    # Health checks are polled every few seconds by the orchestrator: not worth a trace each.
    excluded = None if os.environ.get("OTEL_PYTHON_DJANGO_EXCLUDED_URLS") else "healthz,readyz"
    DjangoInstrumentor().instrument(excluded_urls=excluded)
    HTTPXClientInstrumentor().instrument()
    CeleryInstrumentor().instrument()  # type: ignore[no-untyped-call]
    PsycopgInstrumentor().instrument(enable_commenter=False, skip_dep_check=True)
    RedisInstrumentor().instrument()


def after_fork(role: str = "web") -> None:
    """In a forked worker (gunicorn ``post_fork``, Celery ``worker_process_init``): set up for this process.

    The batch span processor's export thread does not survive ``fork``: a provider made before the fork
    (gunicorn ``--preload``) gets a new thread from the SDK in the child (``os.register_at_fork``), and
    nothing is left to do. Otherwise the child sets up here (importing ``gau`` defaults the settings
    module to ``gau.settings``); ``gau.wsgi`` would do it anyway when the worker loads the app.
    """
    if _state.provider is not None or not wanted():
        return
    if os.environ.get("DJANGO_SETTINGS_MODULE"):
        setup_from_settings(role)


def flush(timeout_millis: int = 5000) -> None:
    """Export the buffered spans now (before a worker process exits)."""
    if _state.provider is not None:
        _state.provider.force_flush(timeout_millis)


def current_traceparent() -> str:
    """The W3C ``traceparent`` of the current span, or ``""`` (tracing off, or no span)."""
    if _state.api is None:
        return ""
    carrier: dict[str, str] = {}
    _state.api.inject(carrier)
    return carrier.get("traceparent", "")


@contextlib.contextmanager
def attached(traceparent: str | None) -> Iterator[None]:
    """Run the block as a child of ``traceparent`` (one captured by :func:`current_traceparent`).

    A no-op when tracing is off or ``traceparent`` is empty: the block keeps the current context.
    """
    if _state.api is None or not traceparent:
        yield
        return
    token = _state.api.context.attach(_state.api.extract({"traceparent": traceparent}))
    try:
        yield
    finally:
        _state.api.context.detach(token)


@contextlib.contextmanager
def span(name: str, **attributes: str | int | float | bool) -> Iterator[None]:
    """A span of our own around a block (e.g. the SMTP conversation); a no-op when tracing is off."""
    if _state.api is None:
        yield
        return
    with _state.api.tracer.start_as_current_span(name, attributes=attributes):
        yield


def set_attribute(key: str, value: str | int | float | bool) -> None:
    """Set an attribute on the current span (a no-op when tracing is off)."""
    if _state.api is not None:
        _state.api.trace.get_current_span().set_attribute(key, value)


def log_ids() -> tuple[str, str] | None:
    """``(trace_id, span_id)`` in hex of the current span, for log lines; ``None`` when there is none."""
    if _state.api is None:
        return None
    ctx = _state.api.trace.get_current_span().get_span_context()
    if not ctx.is_valid:
        return None
    return f"{ctx.trace_id:032x}", f"{ctx.span_id:016x}"
