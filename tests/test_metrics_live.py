"""Prometheus metrics in real processes: gunicorn with two workers (multiprocess mode), internal calls
between two server processes, and a Celery prefork worker's own scrape endpoint."""

from __future__ import annotations

import signal
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.multiprocess import MultiProcessCollector

from conftest import ServerFactory, child_env, wait_for
from gau.config import APP_NAMES
from tests.support import processes
from tests.support.metrics import METRICS_TOKEN, auth, value

pytestmark = pytest.mark.live

METRICS_ENV = {"GAU_METRICS": "true", "GAU_METRICS_TOKEN": METRICS_TOKEN}


def scrape(url: str) -> str:
    response = httpx.get(
        f"{url}/internal/metrics", headers=auth(), timeout=30
    )  # a worker's first request loads the URLconf
    assert response.status_code == 200, response.text
    return response.text


def healthz_counts_per_process(directory: Path) -> dict[str, float]:
    """``gau_http_requests_total{route="healthz"}`` of each worker's own file (name: counter_<pid>.db)."""
    counts: dict[str, float] = {}
    for path in directory.glob("counter_*.db"):
        for family in MultiProcessCollector.merge([str(path)]):  # type: ignore[no-untyped-call]
            for sample in family.samples:
                if sample.name == "gau_http_requests_total" and sample.labels.get("route") == "healthz":
                    counts[path.stem] = counts.get(path.stem, 0) + sample.value
    return counts


def stale_file(path: Path) -> None:
    """A dead worker's counter file from an earlier run of the server: 1000 healthz requests."""
    from prometheus_client.mmap_dict import MmapedDict, mmap_key

    labels = (["method", "route", "status"], ["GET", "healthz", "200"])
    stale = MmapedDict(str(path))  # type: ignore[no-untyped-call]
    stale.write_value(mmap_key("gau_http_requests", "gau_http_requests_total", *labels, ""), 1000.0, 0.0)  # type: ignore[no-untyped-call]
    stale.close()  # type: ignore[no-untyped-call]
    assert healthz_counts_per_process(path.parent) == {path.stem: 1000.0}


@pytest.fixture(scope="module")
def split_pair(
    django_db_setup: None, django_db_blocker: Any, s3: Any, _smtp_session: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str, Path]]:
    """An account process and, calling it over signed HTTP, a process serving the other apps with two
    gunicorn workers and metrics on; yields (account URL, the other's URL, its multiprocess directory)."""
    tmp = tmp_path_factory.mktemp("metrics-live")
    directory = tmp / "prometheus"
    directory.mkdir()
    stale_file(directory / "counter_999999.db")  # a previous run's: gunicorn.conf.py must empty the directory
    factory = ServerFactory(tmp, s3, _smtp_session)
    try:
        with django_db_blocker.unblock():
            account_url = factory(GAU_SERVED_APPS="account")
            others = ",".join(app for app in APP_NAMES if app != "account")
            rest_url = factory(
                workers=2,
                GAU_SERVED_APPS=others,
                GAU_SERVICE_URLS=f"account={account_url}",
                PROMETHEUS_MULTIPROC_DIR=str(directory),
                GAU_METRICS="true",
                GAU_METRICS_TOKEN=METRICS_TOKEN,
            )
        log = factory.servers[rest_url].log_path.read_text()
        assert f"metrics: multiprocess directory {directory}" in log  # gunicorn.conf.py's on_starting ran
        yield account_url, rest_url, directory
    finally:
        for proc in factory.servers.values():
            # SIGKILL: a graceful stop waits seconds for the database pool threads; nothing is in flight here.
            processes.stop(proc, sig=signal.SIGKILL)


def test_two_gunicorn_workers_are_summed_in_one_scrape(split_pair: tuple[str, str, Path]) -> None:
    _, url, directory = split_pair
    labels = {"route": "healthz", "method": "GET", "status": "200"}
    before = value(scrape(url), "gau_http_requests_total", **labels)  # the readiness polls of the fixture

    def hit(_: int) -> None:
        # A connection per request, several at once: both workers accept some.
        assert httpx.get(f"{url}/healthz", headers={"Connection": "close"}, timeout=30).status_code == 200

    sent = 0
    with ThreadPoolExecutor(8) as pool:
        for _ in range(10):
            list(pool.map(hit, range(40)))
            sent += 40
            if len(healthz_counts_per_process(directory)) >= 2:
                break
    per_process = healthz_counts_per_process(directory)
    assert len(per_process) >= 2, f"one worker took every request: {per_process}"

    text = scrape(url)
    assert value(text, "gau_http_requests_total", **labels) == before + sent  # summed across the workers
    assert sum(per_process.values()) == before + sent
    assert value(text, "gau_http_request_duration_seconds_count", **labels) == before + sent
    for le in ("0.005", "0.1", "1.0", "+Inf"):
        assert value(text, "gau_http_request_duration_seconds_bucket", le=le, **labels) > 0
    assert "/healthz" not in text  # route templates, never raw paths


def test_internal_calls_are_measured_in_the_calling_process(split_pair: tuple[str, str, Path]) -> None:
    account_url, rest_url, _ = split_pair
    labels = {"app": "account", "method": "ping"}
    before = scrape(rest_url)
    assert httpx.get(f"{rest_url}/readyz", timeout=10).status_code == 200  # pings account over signed HTTP
    text = scrape(rest_url)
    count = "gau_rpc_client_duration_seconds_count"
    assert value(text, count, outcome="ok", **labels) == value(before, count, outcome="ok", **labels) + 1
    assert value(text, "gau_rpc_client_duration_seconds_bucket", outcome="ok", le="+Inf", **labels) >= 1
    assert value(text, "gau_rpc_client_errors_total", **labels) == 0
    # Metrics are off in the account process: its endpoint does not exist.
    assert httpx.get(f"{account_url}/internal/metrics", headers=auth(), timeout=10).status_code == 404
    # Unreachable and erroring calls: tests/test_metrics.py (outcome "unavailable", code "service_unavailable").


@pytest.fixture
def metrics_worker(transactional_db: None, s3, _smtp_session, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A Celery prefork worker (2 children) with metrics on, consuming a queue of its own; yields
    (its scrape URL, the queue)."""
    from gau.celery import app

    queue = f"metrics-{uuid.uuid4().hex[:8]}"
    port = processes.free_port()
    log = tmp_path / "worker.log"
    env = child_env(
        s3,
        _smtp_session,
        GAU_METRICS_WORKER_PORT=str(port),
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "prometheus"),
        **METRICS_ENV,
    )
    proc = processes.start(
        [
            processes.PYTHON,
            "-m",
            "celery",
            "-A",
            "gau",
            "worker",
            "-Q",
            queue,
            "-P",
            "prefork",
            "-c",
            "2",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-l",
            "info",
            "-n",
            f"{queue}@%h",
        ],
        env=env,
        log_path=log,
    )
    try:
        processes.wait_until(lambda: b"ready." in log.read_bytes(), timeout=60, what="Celery worker", proc=proc)
        processes.wait_until(lambda: processes.port_open("127.0.0.1", port), timeout=10, what="metrics port", proc=proc)
        yield f"http://127.0.0.1:{port}", queue
    finally:
        processes.stop(proc, sig=signal.SIGKILL)  # the test is over: no graceful drain
        with app.connection_for_write() as conn:
            conn.default_channel.queue_delete(queue)  # type: ignore[attr-defined]


def test_celery_task_outcomes_and_durations_from_the_workers_endpoint(metrics_worker: tuple[str, str]) -> None:
    from gau.celery import app

    url, queue = metrics_worker
    assert httpx.get(f"{url}/internal/metrics", timeout=5).status_code == 404  # no bearer
    assert httpx.get(f"{url}/metrics", headers=auth(), timeout=5).status_code == 404
    task = "authz.purge_expired_sessions"
    for _ in range(3):
        app.send_task(task, queue=queue)
    app.send_task(task, args=["unexpected"], queue=queue)  # TypeError in the worker: FAILURE

    def counted() -> bool:
        text = scrape(url)
        return value(text, "gau_celery_tasks_total", task=task) >= 4

    assert wait_for(counted, timeout=30), scrape(url)
    text = scrape(url)
    assert value(text, "gau_celery_tasks_total", task=task, state="SUCCESS") == 3
    assert value(text, "gau_celery_tasks_total", task=task, state="FAILURE") == 1
    assert value(text, "gau_celery_task_duration_seconds_count", task=task, state="SUCCESS") == 3
    assert value(text, "gau_celery_task_duration_seconds_bucket", task=task, state="SUCCESS", le="+Inf") == 3
