"""What Prometheus metrics cost per request: the same API request with ``GAU_METRICS`` off and on.

Baseline: the framework benchmark's candidate (a DRF ``APIView`` at an API path through the full
production middleware stack, ``bench.settings_full``) with metrics off. Candidate: the same server with
``GAU_METRICS=true`` in multiprocess mode (``PROMETHEUS_MULTIPROC_DIR``, as the chart runs it): the
middleware times the request, resolves its route template and writes a counter and a histogram to the
worker's mmap file. Same gunicorn configuration, interleaved rounds.

``ratio`` = candidate req/s / baseline req/s. Target: metrics keep at least 90% of the throughput of an
empty API request (on a real endpoint, which does I/O, the share is far smaller).
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import lib

NAME = "metrics"
TARGET = 0.90
PATH = "/api/v2/bench/ping"
GUNICORN = {"workers": 1, "threads": 4, "worker_class": "gthread"}
TOKEN = "bench-metrics-token-loopback-only-0000000000"  # noqa: S105  # loopback bench servers only


def main() -> int:
    lib.ensure_wrk()
    env = lib.server_env()
    metrics_dir = lib.scratch_dir() / "prometheus-bench"
    metrics_env = {
        **env,
        "GAU_METRICS": "true",
        "GAU_METRICS_TOKEN": TOKEN,
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
    }
    print(
        f"{NAME}: gunicorn {GUNICORN['worker_class']} {GUNICORN['workers']}x{GUNICORN['threads']}, "
        f"wrk {int(lib.knob('connections', 16))} connections, {lib.knob('duration', 6):g}s x "
        f"{int(lib.knob('rounds', 3))} rounds per side, interleaved",
        flush=True,
    )
    with (
        lib.running("off", settings="bench.settings_full", env=env, **GUNICORN) as off,
        lib.running("on", settings="bench.settings_full", env=metrics_env, **GUNICORN) as on,
    ):
        status, body = lib.http_get(on.url + "/internal/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        if status != 200 or b"gau_http_requests_total" not in body:
            raise lib.BenchError(f"metrics are not on in the candidate: {status} {body[:200]!r}")

        baseline, candidate = lib.wrk_ab(off.url + PATH, on.url + PATH, servers=(off, on), labels=("off", "on"))
    lib.report(NAME, baseline, candidate, target=TARGET)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except lib.BenchError as exc:
        print(f"{NAME}: error: {exc}", file=sys.stderr)
        sys.exit(2)
