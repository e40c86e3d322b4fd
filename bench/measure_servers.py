"""Production-server comparison for ADR 0001 (not part of ``make bench``: it measures a choice, not a target).

    python -m bench.measure_servers            # BENCH_DURATION / BENCH_ROUNDS as for the benchmarks

The same DRF ping as ``framework`` (``bench.settings_full``, ``/api/v2/bench/ping``, full middleware) served
by gunicorn gthread 1 worker x 4 threads (production today), granian WSGI (1 worker, 4 blocking threads)
and uvicorn ASGI (1 worker; Django's ASGI handler runs the sync view in a thread), each one process on
this 2-core box, loaded by the same wrk; rounds interleaved. Prints req/s and server CPU per request, and
each ratio against gunicorn. Needs granian and uvicorn installed (requirements-dev.txt).
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import lib

PATH = "/api/v2/bench/ping"


@contextlib.contextmanager
def other_server(name: str, args: list[str], port: int, env: dict[str, str]) -> Iterator[lib.Server]:
    log_path = lib.scratch_dir() / f"{name}-{port}.log"
    full_env = {**env, "DJANGO_SETTINGS_MODULE": "bench.settings_full", "PORT": str(port)}
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
            args, cwd=lib.ROOT, env=full_env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    server = lib.Server(name=name, url=f"http://{lib.HOST}:{port}", proc=proc, log_path=log_path)
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise lib.BenchError(f"{name} exited:\n{server.log_tail()}")
            with contextlib.suppress(OSError):
                if lib.http_get(server.url + PATH, timeout=2)[0] == 200:
                    break
            if time.monotonic() > deadline:
                raise lib.BenchError(f"{name} did not start:\n{server.log_tail()}")
            time.sleep(0.1)
        yield server
    finally:
        server.stop()


def main() -> int:
    lib.ensure_wrk()
    env = lib.server_env()
    bin_dir = Path(lib.PYTHON).parent
    gp, up = lib.free_port(), lib.free_port()
    granian = [str(bin_dir / "granian"), "--interface", "wsgi", "--host", lib.HOST, "--port", str(gp)]
    granian += ["--workers", "1", "--blocking-threads", "4", "--log-level", "warning", "gau.wsgi:application"]
    uvicorn = [lib.PYTHON, "-m", "uvicorn", "gau.asgi:application", "--host", lib.HOST, "--port", str(up)]
    uvicorn += ["--workers", "1", "--log-level", "warning", "--no-access-log"]
    with (
        lib.running("gunicorn", settings="bench.settings_full", env=env, workers=1, threads=4) as gunicorn,
        other_server("granian", granian, gp, env) as gran,
        other_server("uvicorn", uvicorn, up, env) as uvi,
    ):
        for other in (gran, uvi):

            def candidate(o: lib.Server = other) -> lib.WrkResult:
                return lib.run_wrk(o.url + PATH, server=o)

            def warmup(o: lib.Server = other) -> None:
                for server in (gunicorn, o):
                    lib.run_wrk(server.url + PATH, duration=2)

            base, cand = lib.interleave(
                lambda: lib.run_wrk(gunicorn.url + PATH, server=gunicorn),
                candidate,
                warmup=warmup,
                labels=("gunicorn", other.name),
            )
            print(
                f"SERVER {other.name} vs gunicorn-gthread: {base.figures()}; {cand.figures()}; "
                f"ratio={cand.requests_per_sec / base.requests_per_sec:.2f}",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except lib.BenchError as exc:
        print(f"servers: error: {exc}", file=sys.stderr)
        sys.exit(2)
