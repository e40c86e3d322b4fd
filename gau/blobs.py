"""Object storage shared by ``apps.upload`` (writes originals) and ``apps.cdn`` (reads them, writes variants).

Storage is infrastructure, like the database: both apps reach the same bucket through Django's default
storage, an S3-compatible store (``storages.backends.s3.S3Storage``: R2, S3, MinIO) or local disk
(``FileSystemStorage``). S3 is driven through the boto3 client directly for what the storage API lacks:
multipart streaming, ranged reads and server-side copies.

Also here: signed, expiring URLs for private objects (HMAC over key, params and expiry), minted by upload
and checked by the CDN.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import hmac
import os
import shutil
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.files.storage import default_storage

from gau.rpc.errors import ServiceUnavailableError

#: Multipart part size: S3's minimum (except for the last part), which keeps peak memory about
#: PART_SIZE * (2 + MAX_PARTS_IN_FLIGHT) and still allows 50 GB objects (10,000 parts).
PART_SIZE = 5 * 1024 * 1024
MAX_PARTS_IN_FLIGHT = 2


def object_key(key: str) -> str:
    """Bucket path of the original for content address ``key``."""
    return f"objects/{key[:2]}/{key}"


def variant_prefix(key: str) -> str:
    """Bucket folder holding the CDN variants of ``key``."""
    return f"variants/{key}/"


class StorageUnavailableError(ServiceUnavailableError):
    """Object storage could not be reached or failed (503 with Retry-After)."""

    code = "storage_unavailable"
    default_message = "File storage is unavailable; try again shortly."


class BlobNotFoundError(LookupError):
    """The object is not in storage (deleted after its metadata was read, or never written)."""


def _unavailable[**P, R](func: Callable[P, R]) -> Callable[P, R]:
    """Turn connection failures and 5xx answers from S3 (or disk I/O errors) into StorageUnavailableError."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return func(*args, **kwargs)
        except BotoCoreError as exc:
            raise StorageUnavailableError(reason=type(exc).__name__, retry_after=5) from exc
        except ClientError as exc:
            status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 500))
            if status >= 500:
                raise StorageUnavailableError(reason=f"S3 {status}", retry_after=5) from exc
            raise

    return wrapper


def _s3() -> tuple[Any, str, str] | None:
    """(boto3 client, bucket, key prefix) when the default storage is S3, else None."""
    storage: Any = default_storage
    if hasattr(storage, "bucket_name") and hasattr(storage, "connection"):
        location = (storage.location or "").strip("/")
        return storage.connection.meta.client, storage.bucket_name, f"{location}/" if location else ""
    return None


def _fs_path(key: str) -> Path:
    return Path(default_storage.path(key))


@dataclass(frozen=True)
class BlobInfo:
    """Size and content type of a stored object."""

    size: int
    content_type: str


@_unavailable
def put_bytes(key: str, data: bytes, content_type: str) -> None:
    """Store ``data`` at ``key`` (overwrites)."""
    s3 = _s3()
    if s3:
        client, bucket, prefix = s3
        client.put_object(Bucket=bucket, Key=prefix + key, Body=data, ContentType=content_type)
        return
    path = _fs_path(key)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + f".{os.getpid()}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


@_unavailable
def read_bytes(key: str) -> bytes | None:
    """The whole object (only for bounded objects: images, variants), or None if missing."""
    s3 = _s3()
    if s3:
        client, bucket, prefix = s3
        try:
            return bytes(client.get_object(Bucket=bucket, Key=prefix + key)["Body"].read())
        except client.exceptions.NoSuchKey:
            return None
    try:
        return _fs_path(key).read_bytes()
    except FileNotFoundError:  # no exists() first: the file may go between the check and the read
        return None


@_unavailable
def stat(key: str) -> BlobInfo | None:
    """Size and content type of ``key``, or None if missing."""
    s3 = _s3()
    if s3:
        client, bucket, prefix = s3
        try:
            head = client.head_object(Bucket=bucket, Key=prefix + key)
        except client.exceptions.ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in {"404", "NoSuchKey", "NotFound"}:
                return None
            raise
        return BlobInfo(size=int(head["ContentLength"]), content_type=str(head.get("ContentType", "")))
    try:
        return BlobInfo(size=_fs_path(key).stat().st_size, content_type="")
    except FileNotFoundError:
        return None


@_unavailable
def iter_range(key: str, start: int = 0, end: int | None = None, chunk: int = 256 * 1024) -> Iterator[bytes]:
    """Stream bytes ``start..end`` (inclusive) of ``key`` without holding the object in memory.

    The object is opened before this returns (so an outage is an error here, not mid-response); a
    missing object raises :class:`BlobNotFoundError`.
    """
    s3 = _s3()
    if s3:
        client, bucket, prefix = s3
        rng = f"bytes={start}-{'' if end is None else end}"
        try:
            found = client.get_object(Bucket=bucket, Key=prefix + key, Range=rng)
        except client.exceptions.NoSuchKey:
            raise BlobNotFoundError(key) from None
        return _iter_body(found["Body"], chunk)
    try:
        fh = _fs_path(key).open("rb")
    except FileNotFoundError:
        raise BlobNotFoundError(key) from None
    return _iter_file(fh, start, end, chunk)


def _iter_body(body: Any, chunk: int) -> Iterator[bytes]:
    try:
        yield from body.iter_chunks(chunk)
    finally:
        body.close()


def _iter_file(fh: Any, start: int, end: int | None, chunk: int) -> Iterator[bytes]:
    with fh:
        fh.seek(start)
        remaining = None if end is None else end - start + 1
        while remaining is None or remaining > 0:
            data = fh.read(chunk if remaining is None else min(chunk, remaining))
            if not data:
                return
            if remaining is not None:
                remaining -= len(data)
            yield data


@_unavailable
def copy(src: str, dst: str) -> None:
    """Server-side copy (S3 multipart copy for large objects); local disk: rename-free copy."""
    s3 = _s3()
    if s3:
        client, bucket, prefix = s3
        client.copy({"Bucket": bucket, "Key": prefix + src}, bucket, prefix + dst)
        return
    target = _fs_path(dst)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(_fs_path(src), target)


def move(src: str, dst: str) -> None:
    """Move ``src`` to ``dst`` (S3: copy then delete; disk: atomic rename)."""
    if _s3():
        copy(src, dst)
        delete(src)
        return
    target = _fs_path(dst)
    target.parent.mkdir(parents=True, exist_ok=True)
    _fs_path(src).replace(target)


@_unavailable
def delete(key: str) -> None:
    """Delete ``key`` (missing is fine)."""
    s3 = _s3()
    if s3:
        client, bucket, prefix = s3
        client.delete_object(Bucket=bucket, Key=prefix + key)
        return
    _fs_path(key).unlink(missing_ok=True)


@_unavailable
def delete_prefix(prefix_key: str) -> int:
    """Delete every object under ``prefix_key``; returns how many."""
    s3 = _s3()
    if s3:
        client, bucket, prefix = s3
        count = 0
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix + prefix_key):
            objs = [{"Key": o["Key"]} for o in page.get("Contents", [])]
            if objs:
                client.delete_objects(Bucket=bucket, Delete={"Objects": objs, "Quiet": True})
                count += len(objs)
        return count
    folder = _fs_path(prefix_key)
    if not folder.exists():
        return 0
    count = sum(1 for p in folder.rglob("*") if p.is_file())
    shutil.rmtree(folder, ignore_errors=True)
    return count


class StreamWriter:
    """Write an object of unknown size chunk by chunk: S3 multipart (bounded memory) or a file on disk.

    Hashes what it writes (``sha256``) and counts it (``size``). Call :meth:`complete` or :meth:`abort`.
    """

    def __init__(self, key: str, content_type: str = "application/octet-stream", *, hashing: bool = True) -> None:
        self.key = key
        self._hashing = hashing
        self.size = 0
        self.sha256 = hashlib.sha256()
        self._s3 = _s3()
        self._buffer: list[bytes] = []
        self._buffered = 0
        self._parts: list[Future[dict[str, Any]]] = []
        self._upload_id: str | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._fh: Any = None
        if self._s3 is None:
            path = _fs_path(key)
            path.parent.mkdir(parents=True, exist_ok=True)
            self._fh = path.open("wb")
        self._content_type = content_type

    @_unavailable
    def write(self, data: bytes) -> None:
        self.size += len(data)
        if self._hashing:
            self.sha256.update(data)
        if self._fh is not None:
            self._fh.write(data)
            return
        self._buffer.append(data)
        self._buffered += len(data)
        if self._buffered >= PART_SIZE:
            self._flush_part()

    def _flush_part(self) -> None:
        assert self._s3 is not None
        client, bucket, prefix = self._s3
        if self._upload_id is None:
            created = client.create_multipart_upload(
                Bucket=bucket, Key=prefix + self.key, ContentType=self._content_type
            )
            self._upload_id = created["UploadId"]
            self._pool = ThreadPoolExecutor(max_workers=MAX_PARTS_IN_FLIGHT, thread_name_prefix="s3-part")
        body = b"".join(self._buffer)
        self._buffer, self._buffered = [], 0
        number = len(self._parts) + 1
        # Bound memory: wait for the oldest part before queueing more than MAX_PARTS_IN_FLIGHT.
        pending = [f for f in self._parts if not f.done()]
        if len(pending) >= MAX_PARTS_IN_FLIGHT:
            pending[0].result()
        assert self._pool is not None
        upload_id = self._upload_id

        def send() -> dict[str, Any]:
            out = client.upload_part(
                Bucket=bucket, Key=prefix + self.key, UploadId=upload_id, PartNumber=number, Body=body
            )
            return {"PartNumber": number, "ETag": out["ETag"]}

        self._parts.append(self._pool.submit(send))

    @_unavailable
    def complete(self) -> None:
        """Finish the object."""
        if self._fh is not None:
            self._fh.close()
            return
        assert self._s3 is not None
        client, bucket, prefix = self._s3
        if self._upload_id is None:  # small: one PUT
            client.put_object(
                Bucket=bucket, Key=prefix + self.key, Body=b"".join(self._buffer), ContentType=self._content_type
            )
            self._buffer, self._buffered = [], 0
            return
        if self._buffer:
            self._flush_part()
        parts = [f.result() for f in self._parts]
        client.complete_multipart_upload(
            Bucket=bucket, Key=prefix + self.key, UploadId=self._upload_id, MultipartUpload={"Parts": parts}
        )
        self._shutdown()

    def abort(self) -> None:
        """Drop everything written so far."""
        if self._fh is not None:
            self._fh.close()
            _fs_path(self.key).unlink(missing_ok=True)
            return
        self._buffer, self._buffered = [], 0
        if self._upload_id is not None and self._s3 is not None:
            client, bucket, prefix = self._s3
            for f in self._parts:
                with contextlib.suppress(Exception):  # aborting anyway
                    f.result()
            client.abort_multipart_upload(Bucket=bucket, Key=prefix + self.key, UploadId=self._upload_id)
            self._upload_id = None
        self._shutdown()

    def _shutdown(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None


# --- Signed URLs ---------------------------------------------------------------------------------


def _url_key(secret: str) -> bytes:
    return hashlib.sha256(b"gau.blobs.signed-url:" + secret.encode()).digest()


def _signature(key: str, params: Mapping[str, str], expires: int, *, secret: str | None = None) -> str:
    canonical = "&".join(f"{k}={params[k]}" for k in sorted(params) if k not in {"sig", "exp"})
    message = f"{key}\n{canonical}\n{expires}".encode()
    return hmac.new(_url_key(secret or settings.SECRET_KEY), message, hashlib.sha256).hexdigest()[:40]


def signed_query(key: str, params: Mapping[str, str] | None = None, *, expires_in: int = 3600) -> str:
    """Query string (without ``?``) granting access to ``key`` with ``params`` until about ``expires_in`` s.

    Signed under the current SECRET_KEY. The expiry is rounded up to the next quarter hour, so URLs minted
    close together are identical and cache well.
    """
    params = dict(params or {})
    expires = int(time.time()) + expires_in
    expires += -expires % 900
    return urlencode({**params, "exp": str(expires), "sig": _signature(key, params, expires)})


def verify_signature(key: str, params: Mapping[str, str], *, now: float | None = None) -> bool:
    """Whether ``params`` (a request's query) carry a valid, unexpired signature for ``key``.

    URLs signed under a SECRET_KEY_FALLBACKS entry still verify, so rotating SECRET_KEY breaks no link.
    """
    sig = params.get("sig", "")
    try:
        expires = int(params.get("exp", ""))
    except ValueError:
        return False
    if expires < (time.time() if now is None else now):
        return False
    matched = False
    for secret in (settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", ())):
        matched |= hmac.compare_digest(sig, _signature(key, params, expires, secret=secret))
    return matched
