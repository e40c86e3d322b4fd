"""The real tuspy client against a real gunicorn process, with a real bearer token: cut mid-PATCH, resume."""

from __future__ import annotations

import hashlib
import io
import socket
import time
import uuid
from urllib.parse import urlsplit

import httpx
import pytest
from tusclient import client as tus_client

from apps.authz.services import authz_service

pytestmark = [pytest.mark.live]
MiB = 1024 * 1024


def test_tuspy_resumes_after_an_interrupted_patch(gau_server, s3) -> None:
    base = gau_server()
    user_id = uuid.uuid4()
    token = authz_service.issue_tokens(user_id=user_id).access_token
    auth = {"Authorization": f"Bearer {token}"}
    data = bytes(range(256)) * (24 * 1024 * 4)  # 24 MiB
    probe = httpx.options(f"{base}/api/v2/upload/tus/", headers=auth)
    assert probe.status_code == 204, probe.text
    client = tus_client.TusClient(f"{base}/api/v2/upload/tus/", headers=auth)
    first = client.uploader(
        file_stream=io.BytesIO(data),
        chunk_size=4 * MiB,
        metadata={"filename": "video.bin", "purpose": "file"},
        upload_checksum=True,
    )
    first.upload(stop_at=8 * MiB)  # two chunks, then the client "crashes"
    assert first.url is not None
    assert first.offset == 8 * MiB

    # A real interruption: a PATCH announcing 6 MiB whose connection drops after 3 MiB.
    parts = urlsplit(first.url)
    with socket.create_connection((parts.hostname, parts.port)) as sock:
        headers = (
            f"PATCH {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\nAuthorization: Bearer {token}\r\n"
            f"Tus-Resumable: 1.0.0\r\nUpload-Offset: {8 * MiB}\r\nContent-Type: application/offset+octet-stream\r\n"
            f"Content-Length: {6 * MiB}\r\n\r\n"
        )
        sock.sendall(headers.encode() + data[8 * MiB : 11 * MiB])
        time.sleep(0.5)
    deadline = time.monotonic() + 20
    offset = 0
    while time.monotonic() < deadline:
        head = httpx.head(first.url, headers={**auth, "Tus-Resumable": "1.0.0"})
        offset = int(head.headers["Upload-Offset"])
        if offset > 8 * MiB:
            break
        time.sleep(0.2)
    assert offset == 11 * MiB  # the bytes that arrived before the cut were kept

    # A new client process would only know the URL: resume from the server's offset.
    resumed = tus_client.TusClient(f"{base}/api/v2/upload/tus/", headers=auth).uploader(
        file_stream=io.BytesIO(data), url=first.url, chunk_size=4 * MiB, upload_checksum=True
    )
    assert resumed.offset == 11 * MiB
    resumed.upload()
    assert resumed.offset == len(data)

    listing = httpx.get(f"{base}/api/v2/upload/files", headers=auth).json()["results"]
    assert len(listing) == 1
    assert listing[0]["sha256"] == hashlib.sha256(data).hexdigest()
    assert listing[0]["size"] == len(data)
    assert not s3.keys("tus/")


def test_unauthenticated_tus_is_401(gau_server) -> None:
    base = gau_server()
    response = httpx.post(f"{base}/api/v2/upload/tus/", headers={"Tus-Resumable": "1.0.0", "Upload-Length": "5"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
