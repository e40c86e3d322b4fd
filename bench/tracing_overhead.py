"""What tracing costs a request (not part of ``make bench``: it measures a setting, not a target).

    python -m bench.tracing_overhead            # BENCH_ROUNDS (default 4) x 300 requests per server

Two gunicorn processes (gthread, 1 worker x 2 threads, DEBUG off, JSON logs) of the same code: one with
tracing off, one with ``OTEL_EXPORTER_OTLP_ENDPOINT`` set (every request traced, spans exported to a
local OTLP receiver, ``tests/support/otlp.py``). One client, requests one at a time, rounds interleaved
(off, on, on, off...): ``GET /api/v2/account/me`` without credentials (a 401 from DRF, no database).
Prints p50/p99 of each and the p50 difference.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.support import otlp, processes  # noqa: E402

PATH = "/api/v2/account/me"


def start(extra: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    port = processes.free_port()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DEBUG": "false",
        "SECRET_KEY": "bench-tracing-overhead-key-loopback-only-000000000000",
        "ALLOWED_HOSTS": "127.0.0.1",
        "GAU_LOG_FORMAT": "json",
        **extra,
    }
    args = [sys.executable, "-m", "gunicorn", "gau.wsgi", "-b", f"127.0.0.1:{port}", "--workers", "1"]
    args += ["--threads", "2", "--worker-class", "gthread"]
    proc = subprocess.Popen(
        args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    url = f"http://127.0.0.1:{port}"
    processes.wait_until(lambda: processes.http_ready(url + "/healthz"), timeout=60, what="gunicorn", proc=proc)
    return proc, url


def timed(url: str, requests: int) -> list[float]:
    times = []
    with httpx.Client() as client:
        for _ in range(20):
            client.get(url + PATH)
        for _ in range(requests):
            started = time.perf_counter()
            client.get(url + PATH)
            times.append(time.perf_counter() - started)
    return times


def main() -> None:
    rounds = int(os.environ.get("BENCH_ROUNDS", "4"))
    with otlp.receiving() as receiver:
        off, off_url = start({})
        on, on_url = start({"OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint})
        results: dict[str, list[float]] = {"off": [], "on": []}
        try:
            for index in range(rounds):
                order = [("off", off_url), ("on", on_url)]
                for name, url in order if index % 2 == 0 else order[::-1]:
                    results[name] += timed(url, 300)
        finally:
            processes.stop(off)
            processes.stop(on)
        spans = len(receiver.spans())
    p50 = {}
    for name, times in results.items():
        times.sort()
        p50[name] = statistics.median(times) * 1000
        print(f"tracing {name}: p50 {p50[name]:.2f} ms, p99 {times[int(len(times) * 0.99)] * 1000:.2f} ms")
    print(f"tracing on costs {p50['on'] - p50['off']:+.2f} ms at p50 ({spans} spans received)")


if __name__ == "__main__":
    main()
