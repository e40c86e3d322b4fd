"""Benchmark smoke: every ``bench/bench_*.py`` still runs end to end (``BENCH_SMOKE=1``: tiny durations).

Ratios are not enforced here (the figures of a one-second run on a shared CI box mean nothing); what is
checked is that each benchmark exits 0 and prints at least one well-formed ``BENCH`` line, so a refactor
cannot silently break ``make bench``.

The selected benchmarks run side by side (``BENCH_SMOKE_PARALLEL`` at once, default 3, longest first),
each isolated from the others and from the test session: its own PostgreSQL database (``DATABASE_URL``'s
name + ``_smoke_<name>``, created and migrated on first use and kept for the next run), its own Redis
database on a ``redis-server`` started for this module, and its own RabbitMQ vhost (made with
``rabbitmqctl``, deleted afterwards), so no worker of the session, or of another benchmark, takes its
tasks. A benchmark still running after ``TIMEOUT`` seconds gets SIGINT (its ``finally`` blocks stop what
it started), then SIGKILL.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from bench import lib
from bench.run import BENCH_LINE, format_table, table_row
from tests.support import processes

ROOT = Path(__file__).resolve().parent.parent
BENCHES = sorted(path.stem.removeprefix("bench_") for path in (ROOT / "bench").glob("bench_*.py"))
#: Longest first, so the parallel lanes finish together.
LONGEST_FIRST = (
    "split",
    "load",
    "cdn_peer",
    "email_peer",
    "email",
    "account",
    "upload",
    "cdn",
    "import",
    "framework",
    "kanban",
)
TIMEOUT = 240
PARALLEL = max(1, int(os.environ.get("BENCH_SMOKE_PARALLEL", "3")))

pytestmark = [pytest.mark.live, pytest.mark.bench]


def test_every_benchmark_is_covered() -> None:
    assert {
        "account",
        "cdn",
        "cdn_peer",
        "email",
        "email_peer",
        "framework",
        "import",
        "kanban",
        "load",
        "metrics",
        "realtime",
        "split",
        "upload",
    } <= set(BENCHES)


def test_summary_table_has_one_row_per_bench_line() -> None:
    lines = [
        "BENCH framework: bare=100 req/s (p50 1ms); drf=80 req/s (p50 2ms); ratio=0.80 (target >= 0.75)",
        "BENCH load: clients=8 requests=10 ratio=0.90 (target >= 1)",
    ]
    rows = [table_row(line) for line in lines]
    assert rows[0] == ("framework", "bare=100 req/s", "drf=80 req/s", "0.80", ">= 0.75", "met")
    assert rows[1][:2] == ("load", "-")
    assert rows[1][-1] == "MISSED"
    table = format_table(rows).splitlines()
    assert table[0].startswith("| benchmark")
    assert "met/missed" in table[0]
    assert len(table) == 4


@dataclass(frozen=True)
class SmokeRun:
    name: str
    returncode: int | None  # None: stopped after TIMEOUT
    output: str
    seconds: float


def run_benchmark(name: str, env: dict[str, str]) -> SmokeRun:
    """``python -m bench.bench_<name>`` in its own process group; SIGINT then SIGKILL past ``TIMEOUT``."""
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-u", "-m", f"bench.bench_{name}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    returncode: int | None
    try:
        output, _ = proc.communicate(timeout=TIMEOUT)
        returncode = proc.returncode
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGINT)  # KeyboardInterrupt: the bench stops its children
        try:
            output, _ = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            output, _ = proc.communicate()
        returncode = None
    return SmokeRun(name, returncode, output, time.monotonic() - started)


def _with_database_suffix(url: str, suffix: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + suffix))


def isolated_run(name: str, redis_url: str) -> SmokeRun:
    """Run ``name`` on its own database, Redis database (of ``redis_url``'s server) and vhost."""
    database = os.environ.get("DATABASE_URL") or lib.SERVICE_DEFAULTS["DATABASE_URL"]
    broker = os.environ.get("CELERY_BROKER_URL") or lib.SERVICE_DEFAULTS["CELERY_BROKER_URL"]
    with lib.own_vhost(broker, f"smoke_{name}") as own_broker:
        env = {
            **os.environ,
            "BENCH_SMOKE": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
            "DATABASE_URL": _with_database_suffix(database, f"_smoke_{name}"),
            "REDIS_URL": redis_url,
            "CELERY_BROKER_URL": own_broker or broker,
        }
        env.pop("DJANGO_SETTINGS_MODULE", None)  # each bench chooses its own settings
        return run_benchmark(name, env)


@pytest.fixture(scope="module")
def smoke_runs(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Future[SmokeRun]]]:
    """Every selected benchmark, started side by side at the first test that asks (``-k``/``--deselect``
    honoured: only the parameters this session will run are started)."""
    selected = {
        item.callspec.params["name"]
        for item in request.session.items
        if getattr(item, "originalname", "") == "test_benchmark_runs" and hasattr(item, "callspec")
    }
    order = sorted(selected, key=lambda n: LONGEST_FIRST.index(n) if n in LONGEST_FIRST else len(LONGEST_FIRST))
    port = processes.free_port()
    redis = processes.start(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        log_path=tmp_path_factory.mktemp("bench-smoke") / "redis.log",
    )
    try:
        processes.wait_until(lambda: processes.port_open("127.0.0.1", port), timeout=30, what="redis", proc=redis)
        with ThreadPoolExecutor(max_workers=PARALLEL, thread_name_prefix="bench-smoke") as pool:
            futures = {
                name: pool.submit(isolated_run, name, f"redis://127.0.0.1:{port}/{index % 16}")
                for index, name in enumerate(order)
            }
            yield futures
    finally:
        processes.stop(redis)


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed (apt-get install wrk)")
@pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server is not installed")
@pytest.mark.parametrize("name", BENCHES)
@pytest.mark.timeout(4 * TIMEOUT)  # may wait for benchmarks queued behind others (each stops after TIMEOUT)
def test_benchmark_runs(name: str, smoke_runs: dict[str, Future[SmokeRun]]) -> None:
    done = smoke_runs[name].result()
    print(f"bench smoke {name}: exit {done.returncode} in {done.seconds:.0f}s")
    tail = done.output[-4000:]
    assert done.returncode is not None, f"bench_{name} did not finish within {TIMEOUT}s:\n{tail}"
    assert done.returncode == 0, tail
    bench_lines = [line.strip() for line in done.output.splitlines() if BENCH_LINE.match(line.strip())]
    assert bench_lines, f"bench_{name} printed no BENCH line:\n{tail}"
    for line in bench_lines:
        table_row(line)  # parses into the summary table
