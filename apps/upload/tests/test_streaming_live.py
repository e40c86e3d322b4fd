"""A large upload through a real gunicorn worker: memory stays flat and the bytes arrive intact."""

from __future__ import annotations

import hashlib
import os
import threading
import time
import uuid

import httpx
import psutil  # type: ignore[import-untyped]
import pytest

from apps.authz.services import authz_service
from gau import blobs

pytestmark = [pytest.mark.live]
MiB = 1024 * 1024


def test_200_mib_upload_streams_with_bounded_worker_memory(gau_server, s3, tmp_path) -> None:
    base = gau_server(UPLOAD_QUOTA_BYTES=str(1024 * MiB))
    token = authz_service.issue_tokens(user_id=uuid.uuid4()).access_token
    path = tmp_path / "big.bin"
    digest = hashlib.sha256()
    with path.open("wb") as fh:
        block = os.urandom(MiB)
        for i in range(200):
            chunk = i.to_bytes(4, "big") + block[4:]
            digest.update(chunk)
            fh.write(chunk)
    master = psutil.Process(int(next(p.pid for p in psutil.process_iter(["cmdline"]) if _is_master(p, base))))
    worker = master.children()[0]
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(timeout=300, headers=headers) as client:
        warm = client.post(f"{base}/api/v2/upload/files?purpose=file", files={"file": ("w.bin", os.urandom(16 * MiB))})
        assert warm.status_code == 201, warm.text
        before = worker.memory_info().rss
        peak = before
        done = threading.Event()

        def watch() -> None:
            nonlocal peak
            while not done.is_set():
                peak = max(peak, worker.memory_info().rss)
                time.sleep(0.02)

        watcher = threading.Thread(target=watch)
        watcher.start()
        try:
            with path.open("rb") as fh:
                response = client.post(
                    f"{base}/api/v2/upload/files?purpose=file",
                    files={"file": ("big.bin", fh, "application/octet-stream")},
                )
        finally:
            done.set()
            watcher.join()
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["size"] == 200 * MiB
    assert body["sha256"] == digest.hexdigest()
    growth = (peak - before) / MiB
    assert growth < 64, f"worker RSS grew by {growth:.1f} MiB"
    assert not [k for k in s3.keys("objects/s/") if blobs.stat(k) is None]


def _is_master(proc: psutil.Process, base: str) -> bool:
    try:
        cmd = proc.info["cmdline"] or []
    except psutil.Error:
        return False
    return "gunicorn" in " ".join(cmd) and base.removeprefix("http://") in " ".join(cmd)
