"""Tracing (gau/tracing.py), request ids and log lines (gau/logformat.py, gau/middleware.py).

The end-to-end proof (one trace per request across the fully split topology, no secret in any log) is in
tests/e2e/test_topologies.py; these are the process-level checks. Tracing is global to a process, so the
"on" checks run in a subprocess (this test process stays untraced).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from gau import logformat, tracing
from gau.rpc import signing
from tests.support import otlp, processes

ROOT = Path(__file__).resolve().parents[1]


def _run(script: str, **env: str) -> subprocess.CompletedProcess[str]:
    """``script`` in a fresh interpreter with only ``env`` (plus PATH and an embedded-default Gau)."""
    base = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DEBUG": "true",
        "LANG": "C.UTF-8",
        "ALLOWED_HOSTS": "testserver",
    }
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


# A request through the real WSGI entry point (gau.wsgi), a task module, the rpc client and the helpers.
_SCRIPT = """
import logging, sys
from gau import wsgi, tracing
import gau.celery, gau.rpc.client, apps.email.tasks
from django.test import Client

response = Client().get("/api/v2/account/me", HTTP_X_REQUEST_ID="probe-123")
assert response.status_code == 401, response.status_code
assert response["X-Request-ID"] == "probe-123"
with tracing.span("probe"):
    parent = tracing.current_traceparent()
    logging.getLogger("probe").warning("inside")
with tracing.attached(parent):
    child = tracing.current_traceparent()
tracing.flush()
print("PARENT=" + parent)
print("CHILD=" + child)
print("OTEL=" + ",".join(sorted(m for m in sys.modules if m.startswith("opentelemetry"))))
"""


_PRINT_OTEL_MODULES = """
import sys
IMPORTS
print("OTEL=" + ",".join(sorted(m for m in sys.modules if m.startswith("opentelemetry"))))
"""


def _value(output: str, key: str) -> str:
    return next(line.split("=", 1)[1] for line in output.splitlines() if line.startswith(key + "="))


def test_tracing_off_imports_no_opentelemetry() -> None:
    """Off (no OTEL endpoint, no GAU_OTEL) costs nothing: Gau imports no opentelemetry module.

    redis-py itself imports ``opentelemetry.sdk.metrics`` (its optional observability) whenever the SDK is
    installed, so the baseline is what ``import redis`` alone brings: nothing may come on top of it (no
    tracing SDK, exporter, propagator or instrumentation)."""
    result = _run(_SCRIPT, GAU_LOG_FORMAT="json")
    assert result.returncode == 0, result.stderr
    baseline = _run(_PRINT_OTEL_MODULES.replace("IMPORTS", "import redis"))
    assert baseline.returncode == 0, baseline.stderr
    redis_brings = set(filter(None, _value(baseline.stdout, "OTEL").split(",")))
    gau_brings = set(filter(None, _value(result.stdout, "OTEL").split(",")))
    assert gau_brings - redis_brings == set()
    assert not any(m.startswith(("opentelemetry.sdk.trace", "opentelemetry.instrumentation")) for m in gau_brings)
    assert _value(result.stdout, "PARENT") == ""
    assert not tracing.active()  # nor in this test process


def test_tracing_on_exports_spans_and_logs_carry_the_ids() -> None:
    with otlp.receiving() as receiver:
        result = _run(
            _SCRIPT,
            GAU_LOG_FORMAT="json",
            OTEL_EXPORTER_OTLP_ENDPOINT=receiver.endpoint,
            OTEL_BSP_SCHEDULE_DELAY="50",
            GAU_SERVED_APPS="account,authz",
        )
        assert result.returncode == 0, result.stderr
        parent, child = _value(result.stdout, "PARENT"), _value(result.stdout, "CHILD")
        spans = receiver.wait_for(
            "the request's and the probe's spans",
            lambda s: (
                s
                if {"probe", "probe-123"} <= {x.name for x in s} | {x.attributes.get("gau.request_id") for x in s}
                else None
            ),
        )
    assert "opentelemetry.sdk" in _value(result.stdout, "OTEL")
    # The request: a server span tagged with its request id, from a service named after its apps.
    (server,) = [s for s in spans if s.attributes.get("gau.request_id") == "probe-123"]
    assert server.name.startswith("GET")
    assert server.kind == 2  # SERVER
    assert server.service == "gau-account-authz"
    # traceparent captured inside a span; a block attached to it continues the same trace.
    (probe,) = [s for s in spans if s.name == "probe"]
    assert parent.startswith(f"00-{probe.trace_id}-{probe.span_id}-")  # then the sampled flag
    assert child == parent
    # The log line written inside the span carries its ids.
    lines = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    (inside,) = [line for line in lines if line["message"] == "inside"]
    assert (inside["trace_id"], inside["span_id"]) == (probe.trace_id, probe.span_id)


@pytest.mark.live
def test_preloaded_gunicorn_workers_export_their_spans_after_fork(tmp_path: Path) -> None:
    """gunicorn ``--preload`` (tracing set up in the arbiter, before the fork) with two workers, run as the
    image runs it (from the project root, so gunicorn.conf.py's hooks apply; no DJANGO_SETTINGS_MODULE in
    the environment): every request's span is exported by the worker that served it, the SDK having
    restarted the export thread in each child. Without ``--preload`` (each worker sets up for itself) is
    what the split end-to-end topology runs."""
    import re

    import httpx

    port = processes.free_port()
    url = f"http://127.0.0.1:{port}"
    args = [processes.PYTHON, "-m", "gunicorn", "gau.wsgi", "--workers", "2", "--bind", url[7:]]
    args += ["--access-logfile", "-", "--preload"]
    log = tmp_path / "gunicorn.log"
    with otlp.receiving() as receiver, log.open("ab") as out:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "DEBUG": "true",
            "ALLOWED_HOSTS": "127.0.0.1",
            "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint,
            "OTEL_BSP_SCHEDULE_DELAY": "50",
        }
        proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        proc.log_path = log  # type: ignore[attr-defined]
        try:
            processes.wait_until(lambda: processes.http_ready(url + "/healthz"), timeout=60, what="gunicorn", proc=proc)
            sent = [f"fork-{i}" for i in range(12)]
            for rid in sent:  # a new connection each: the two workers share them
                response = httpx.get(url + "/api/v2/account/me", headers={"X-Request-ID": rid, "Connection": "close"})
                assert response.status_code == 401
            receiver.wait_for(
                "a span for every request",
                lambda spans: set(sent) <= {s.attributes.get("gau.request_id") for s in spans},
            )
        finally:
            processes.stop(proc)
    pids = set(re.findall(r"rid=fork-\d+ pid=<(\d+)>", log.read_text()))
    assert pids, log.read_text()[-2000:]  # the access log names the worker of each request (usually both)


@pytest.mark.parametrize("endpoint", ["", "http://127.0.0.1:9"])
def test_the_post_fork_hook_sets_tracing_up_in_the_worker_only_when_on(endpoint: str) -> None:
    """gunicorn's post_fork runs in the new worker before it imports gau.wsgi, with no settings module in the
    image's environment: the hook sets tracing up when it is on, and imports nothing when it is off."""
    script = """
    import sys
    import runpy
    hooks = runpy.run_path("gunicorn.conf.py")
    hooks["post_fork"](None, None)
    hooks["worker_exit"](None, None)
    from gau import tracing
    print("ACTIVE=" + str(tracing.active()))
    print("OTEL=" + ",".join(m for m in sys.modules if m.startswith("opentelemetry.sdk.trace")))
    """
    result = _run(script, OTEL_EXPORTER_OTLP_ENDPOINT=endpoint)
    assert result.returncode == 0, result.stderr
    assert _value(result.stdout, "ACTIVE") == str(bool(endpoint))
    assert bool(_value(result.stdout, "OTEL")) is bool(endpoint)


@pytest.mark.parametrize(
    ("env", "on"),
    [
        ({}, False),
        ({"GAU_OTEL": "true"}, True),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, True),
        ({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4318/v1/traces"}, True),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318", "OTEL_SDK_DISABLED": "true"}, False),
        ({"GAU_OTEL": "true", "OTEL_TRACES_EXPORTER": "none"}, False),
    ],
)
def test_tracing_is_wanted_by_the_standard_variables(env: dict[str, str], on: bool) -> None:
    assert tracing.wanted(env) is on


def test_helpers_are_no_ops_when_off() -> None:
    assert tracing.current_traceparent() == ""
    with tracing.attached("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"), tracing.span("x"):
        assert tracing.log_ids() is None


# --- request ids ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("abc-123", True),
        ("0af7651916cd43dd8448eb211c80319c", True),
        ("trace:a/b+c=d@e.f_g", True),
        ("x" * 128, True),
        ("x" * 129, False),
        ("with space", False),
        ("new\nline", False),
        ('quote"', False),
        ("-leading-dash", False),
        ("", False),
    ],
)
def test_a_sane_request_id_is_honoured_else_one_is_generated(client: Client, sent: str, kept: bool) -> None:
    response = client.get("/api/v2/account/me", headers={"X-Request-ID": sent} if sent else {})
    returned = response["X-Request-ID"]
    if kept:
        assert returned == sent
    else:
        assert returned != sent
        assert len(returned) == 32
        int(returned, 16)


def test_each_request_gets_its_own_id(client: Client) -> None:
    first, second = client.get("/healthz")["X-Request-ID"], client.get("/healthz")["X-Request-ID"]
    assert first != second


def test_the_context_filter_adds_the_request_id() -> None:
    import logging

    record = logging.LogRecord("t", logging.INFO, __file__, 1, "m", None, None)
    token = logformat.request_id.set("rid-1")
    try:
        assert logformat.ContextFilter().filter(record)
    finally:
        logformat.request_id.reset(token)
    line = json.loads(logformat.JsonFormatter().format(record))
    assert line["request_id"] == "rid-1"
    assert "trace_id" not in line  # tracing is off here


def test_a_logged_request_shows_no_query_string(rf: Any) -> None:
    """Django's 4xx/5xx lines carry the request; its repr has the query string, which may hold a token."""
    import logging

    request = rf.get("/verify-email", {"token": "secret-token-from-an-email-123"})
    record = logging.LogRecord("django.request", logging.WARNING, __file__, 1, "Bad Request: %s", (request.path,), None)
    record.request = request
    record.status_code = 400
    line = logformat.JsonFormatter().format(record)
    assert "secret-token" not in line
    assert json.loads(line)["request"] == "GET /verify-email"


# --- the signature and the labels added after it ------------------------------------------------------


@pytest.mark.django_db
def test_labels_added_after_signing_do_not_break_the_signature_which_still_covers_the_call() -> None:
    key = "k" * 40
    body = b'{"user_id": "u"}'
    path = "/internal/rpc/authz/ping/"
    headers = signing.sign(key=key, method="POST", path=path, app="authz", body=body)
    labelled = {
        **headers,
        "traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        "X-Request-ID": "rid-42",
        "Content-Type": "application/json",
    }
    signing.verify(keys=[key], method="POST", path=path, app="authz", body=body, headers=labelled, max_skew=60)
    # ... while what it covers still counts: another body, path or app is refused.
    fresh = signing.sign(key=key, method="POST", path=path, app="authz", body=body)
    for change in ({"body": b"{}"}, {"path": "/internal/rpc/authz/other/"}):
        args = {"method": "POST", "path": path, "app": "authz", "body": body, **change}
        with pytest.raises(signing.SignatureError, match="bad signature"):
            signing.verify(keys=[key], headers={**fresh, "X-Request-ID": "r"}, max_skew=60, **args)  # type: ignore[arg-type]
