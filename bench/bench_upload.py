"""A 1 GiB upload through ``POST /api/v2/upload/files``: server memory and throughput.

Candidate: the file streamed by httpx as multipart to gunicorn (gthread 1x4, production settings), which
hashes it and streams it into S3 multipart, then moves it server-side to its content address.
Baseline: boto3 ``upload_fileobj`` of the same file to the same S3 server (moto), default transfer
settings (8 MiB parts, 10 threads).

Lines: ``upload_memory``: peak RSS growth of the worker process during the upload, against a limit of
64 MiB (ratio = 64 MiB / growth, target >= 1). ``upload_throughput``: MiB/s of the upload vs boto3's
(ratio target >= 0.5). Rounds interleaved (``BENCH_UPLOAD_ROUNDS``, default 2), medians.
Run: ``make bench BENCH_ARGS=upload`` or ``.venv/bin/python bench/bench_upload.py``.
"""

from __future__ import annotations

import os
import statistics
import sys
import threading
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
import psutil  # type: ignore[import-untyped]

from bench import lib
from bench.s3server import client as s3_client
from bench.s3server import django_call, moto_server

MiB = 1024 * 1024
SIZE = int(lib.knob("upload_mib", 1024)) * MiB
LIMIT_MIB = 64
GUNICORN = {"workers": 1, "threads": 4, "worker_class": "gthread"}


def make_file(path: Path) -> None:
    block = os.urandom(8 * MiB)
    with path.open("wb") as fh:
        for index in range(SIZE // len(block)):
            fh.write(block[:16] + index.to_bytes(8, "big") + block[24:])  # no two parts alike


class PeakRss:
    """Polls the RSS of ``pid`` (and its children) every 20 ms while running."""

    def __init__(self, pid: int) -> None:
        self.proc = psutil.Process(pid)
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def rss(self) -> int:
        return int(self.proc.memory_info().rss)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.rss())
            time.sleep(0.02)

    def __enter__(self) -> PeakRss:
        self.peak = self.rss()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def main() -> int:
    scratch = lib.scratch_dir()
    path = scratch / "big.bin"
    make_file(path)
    rounds = int(lib.knob("upload_rounds", 2))
    with moto_server() as s3env:
        os.environ.update(s3env)
        env = lib.server_env(services=True, extra={"UPLOAD_QUOTA_BYTES": str(64 * SIZE)})
        lib.migrate(env)
        token = django_call(
            env,
            "import uuid\nfrom apps.authz.services import authz_service\n"
            "print(authz_service.issue_tokens(user_id=uuid.uuid4()).access_token)",
        ).splitlines()[-1]
        auth = {"Authorization": f"Bearer {token}"}
        s3 = s3_client(s3env)
        with lib.running("upload", env=env, **GUNICORN) as server:
            workers = psutil.Process(server.proc.pid).children()
            if len(workers) != 1:
                raise lib.BenchError(f"expected one gunicorn worker, found {len(workers)}")
            worker = workers[0].pid
            url = f"{server.url}/api/v2/upload/files?purpose=file"
            with httpx.Client(timeout=600, headers=auth) as http:
                # Warm-up: modules, boto3 clients and thread pools loaded before measuring memory.
                warm = http.post(url, files={"file": ("warm.bin", os.urandom(20 * MiB))})
                if warm.status_code != 201:
                    raise lib.BenchError(
                        f"warm-up upload failed: {warm.status_code} {warm.text[:500]}\n{server.log_tail()}"
                    )
                http.delete(f"{server.url}/api/v2/upload/files/{warm.json()['id']}")
                gau_times: list[float] = []
                boto_times: list[float] = []
                growths: list[float] = []
                for index in range(rounds):
                    for side in ("boto3", "gau") if index % 2 == 0 else ("gau", "boto3"):
                        if side == "boto3":
                            started = time.perf_counter()
                            with path.open("rb") as fh:
                                s3.upload_fileobj(fh, s3env["S3_BUCKET"], "baseline/big.bin")
                            boto_times.append(time.perf_counter() - started)
                            s3.delete_object(Bucket=s3env["S3_BUCKET"], Key="baseline/big.bin")
                            print(
                                f"  round {index + 1}/{rounds} boto3: {SIZE / MiB / boto_times[-1]:.0f} MiB/s",
                                flush=True,
                            )
                            continue
                        monitor = PeakRss(worker)
                        before = monitor.rss()
                        with monitor, path.open("rb") as fh:
                            started = time.perf_counter()
                            response = http.post(url, files={"file": ("big.bin", fh, "application/octet-stream")})
                            gau_times.append(time.perf_counter() - started)
                        if response.status_code != 201:
                            raise lib.BenchError(f"upload failed: {response.status_code} {response.text[:500]}")
                        growth = (monitor.peak - before) / MiB
                        growths.append(growth)
                        print(
                            f"  round {index + 1}/{rounds}   gau: {SIZE / MiB / gau_times[-1]:.0f} MiB/s, "
                            f"worker RSS {before / MiB:.0f} -> peak {monitor.peak / MiB:.0f} MiB (+{growth:.1f})",
                            flush=True,
                        )
                        http.delete(f"{server.url}/api/v2/upload/files/{response.json()['id']}")
    growth = max(growths)
    print(
        lib.bench_line(
            "upload_memory",
            f"limit={LIMIT_MIB} MiB; growth={growth:.1f} MiB "
            f"(worker peak RSS, {SIZE // MiB} MiB upload, worst of {len(growths)});",
            LIMIT_MIB / max(growth, 0.1),
            1.0,
        ),
        flush=True,
    )
    boto_rate = SIZE / MiB / statistics.median(boto_times)
    gau_rate = SIZE / MiB / statistics.median(gau_times)
    print(
        lib.bench_line(
            "upload_throughput", f"boto3={boto_rate:.0f} MiB/s; gau={gau_rate:.0f} MiB/s;", gau_rate / boto_rate, 0.5
        ),
        flush=True,
    )
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except lib.BenchError as exc:
        print(f"upload: error: {exc}", file=sys.stderr)
        sys.exit(2)
