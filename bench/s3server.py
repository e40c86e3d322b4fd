"""A moto S3 server process for benchmarks that need object storage (the same server the tests use)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from typing import Any

from bench import lib

ACCESS_KEY = "gau-bench"
SECRET_KEY = "gau-bench-secret"  # noqa: S105  # a throwaway local server


@contextlib.contextmanager
def moto_server() -> Iterator[dict[str, str]]:
    """Start moto, create a bucket, yield the S3_* variables; stop it afterwards."""
    port = lib.free_port()
    log = open(lib.scratch_dir() / f"moto-{port}.log", "ab")  # noqa: SIM115
    proc = subprocess.Popen(
        [lib.PYTHON, "-m", "moto.server", "-H", lib.HOST, "-p", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    env = {
        "S3_ENDPOINT_URL": f"http://{lib.HOST}:{port}",
        "S3_BUCKET": f"bench-{uuid.uuid4().hex[:8]}",
        "S3_ACCESS_KEY_ID": ACCESS_KEY,
        "S3_SECRET_ACCESS_KEY": SECRET_KEY,
        "S3_REGION": "us-east-1",
    }
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                client(env).create_bucket(Bucket=env["S3_BUCKET"])
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise lib.BenchError("moto S3 server did not start") from None
                time.sleep(0.2)
        yield env
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)


def client(env: dict[str, str]) -> Any:
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=env["S3_ENDPOINT_URL"],
        aws_access_key_id=env["S3_ACCESS_KEY_ID"],
        aws_secret_access_key=env["S3_SECRET_ACCESS_KEY"],
        region_name=env["S3_REGION"],
    )


def django_call(env: dict[str, str], code: str) -> str:
    """Run ``code`` in a Django process with ``env`` (production settings); return its stdout, stripped."""
    result = subprocess.run(
        [lib.PYTHON, "-c", "import django; django.setup()\n" + code],
        cwd=lib.ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "gau.settings"},
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise lib.BenchError(f"setup step failed:\n{result.stderr[-3000:]}")
    return result.stdout.strip()
