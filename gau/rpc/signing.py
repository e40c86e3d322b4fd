"""HMAC signatures for internal service calls.

The signature covers the HTTP method, the path, the target app, a timestamp, a nonce and the SHA-256
digest of the body. Requests are signed with the newest key of ``GAU_INTERNAL_KEYS``; any listed key
verifies, so keys rotate by prepending a new one, deploying everywhere, then dropping the old one.
A nonce is accepted once (remembered in the cache for twice the allowed clock skew).

Other headers (``Content-Type``, ``X-Request-ID``, the ``traceparent`` of tracing) are outside the
signature: they label a call for logs and traces and decide nothing, so they are added after signing.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Mapping, Sequence

from django.core.cache import cache

APP_HEADER = "X-Gau-App"
TIMESTAMP_HEADER = "X-Gau-Timestamp"
NONCE_HEADER = "X-Gau-Nonce"
SIGNATURE_HEADER = "X-Gau-Signature"
SCHEME = "v1"


class SignatureError(Exception):
    """Why a signed request was refused; ``str()`` is safe to return to the caller."""


def _canonical(*, method: str, path: str, app: str, timestamp: str, nonce: str, body: bytes) -> bytes:
    digest = hashlib.sha256(body).hexdigest()
    return "\n".join([method.upper(), path, app, timestamp, nonce, digest]).encode()


def _mac(key: str, message: bytes) -> str:
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()


def sign(*, key: str, method: str, path: str, app: str, body: bytes, now: float | None = None) -> dict[str, str]:
    """Headers that authenticate one request to ``app``'s internal endpoint."""
    timestamp = str(int(time.time() if now is None else now))
    nonce = secrets.token_urlsafe(18)
    mac = _mac(key, _canonical(method=method, path=path, app=app, timestamp=timestamp, nonce=nonce, body=body))
    return {
        APP_HEADER: app,
        TIMESTAMP_HEADER: timestamp,
        NONCE_HEADER: nonce,
        SIGNATURE_HEADER: f"{SCHEME}={mac}",
    }


def verify(
    *,
    keys: Sequence[str],
    method: str,
    path: str,
    app: str,
    body: bytes,
    headers: Mapping[str, str],
    max_skew: int,
    now: float | None = None,
) -> None:
    """Raise :class:`SignatureError` unless the request was signed for ``app`` with a listed key.

    Checks, in order: headers present, target app, timestamp freshness, MAC (constant time, every key),
    and finally that the nonce was not seen before (only a valid request consumes its nonce).
    """
    if not keys:
        raise SignatureError("internal calls are disabled: GAU_INTERNAL_KEYS is not set")
    signed_app = headers.get(APP_HEADER)
    timestamp = headers.get(TIMESTAMP_HEADER)
    nonce = headers.get(NONCE_HEADER)
    signature = headers.get(SIGNATURE_HEADER)
    if not (signed_app and timestamp and nonce and signature):
        raise SignatureError("missing signature headers")
    if signed_app != app:
        raise SignatureError("signature was made for another app")
    try:
        ts = int(timestamp)
    except ValueError:
        raise SignatureError("malformed timestamp") from None
    current = time.time() if now is None else now
    if abs(current - ts) > max_skew:
        raise SignatureError("stale timestamp")
    scheme, _, mac = signature.partition("=")
    if scheme != SCHEME or not mac:
        raise SignatureError("unsupported signature scheme")
    message = _canonical(method=method, path=path, app=app, timestamp=timestamp, nonce=nonce, body=body)
    # Compare against every key (no early exit), so timing does not reveal which key matched.
    matched = False
    for key in keys:
        matched |= hmac.compare_digest(_mac(key, message), mac)
    if not matched:
        raise SignatureError("bad signature")
    if not cache.add(f"rpc-nonce:{app}:{nonce}", 1, timeout=2 * max_skew):
        raise SignatureError("replayed request")
