"""Signing keys: Ed25519 pairs stored with the private half encrypted, rotated by a command.

The private key is wrapped with Fernet under a key derived (HKDF) from ``SECRET_KEY``; keys wrapped under
a ``SECRET_KEY_FALLBACKS`` entry still open, so rotating SECRET_KEY does not lose them. The newest
unretired key signs; retired keys stay published in the JWKS until every token they signed has expired.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
from datetime import timedelta
from typing import Any

import jwt
from cryptography.fernet import InvalidToken, MultiFernet
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from apps.authz import conf
from apps.authz.models import SigningKey
from gau import crypto

ALGORITHM = "EdDSA"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _wrapper() -> MultiFernet:
    return crypto.multi_fernet(salt=b"gau.authz", info=b"signing-key-wrap")


def public_jwk(private: Ed25519PrivateKey) -> dict[str, str]:
    """The public JWK of ``private``, with its RFC 7638 thumbprint as ``kid``."""
    raw = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    x = _b64url(raw)
    thumbprint = _b64url(
        hashlib.sha256(json.dumps({"crv": "Ed25519", "kty": "OKP", "x": x}, separators=(",", ":")).encode()).digest()
    )
    return {"kty": "OKP", "crv": "Ed25519", "x": x, "kid": thumbprint, "alg": ALGORITHM, "use": "sig"}


def create_key() -> SigningKey:
    """Generate a new key pair and store it (private half encrypted). It signs from now on."""
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    jwk = public_jwk(private)
    key = SigningKey.objects.create(
        kid=jwk["kid"], algorithm=ALGORITHM, private_key_encrypted=_wrapper().encrypt(pem), public_jwk=jwk
    )
    _active.clear()
    return key


def rotate() -> SigningKey:
    """Retire every signing key and create a new one, in one transaction. Returns the new key."""
    with transaction.atomic():
        list(SigningKey.objects.select_for_update().filter(retired_at__isnull=True))
        SigningKey.objects.filter(retired_at__isnull=True).update(retired_at=timezone.now())
        return create_key()


def publish_window() -> timedelta:
    """How long a retired key stays in the JWKS: its last tokens' lifetime plus skew and process caches."""
    return timedelta(
        seconds=conf.get("AUTHZ_ACCESS_TOKEN_LIFETIME")
        + conf.get("AUTHZ_LEEWAY")
        + conf.get("AUTHZ_LOCAL_CACHE_SECONDS")
    )


def published_keys() -> QuerySet[SigningKey]:
    """Keys that verify: the active ones and those retired less than :func:`publish_window` ago."""
    return SigningKey.objects.filter(Q(retired_at__isnull=True) | Q(retired_at__gt=timezone.now() - publish_window()))


def purge_retired() -> int:
    """Delete keys no longer published (their tokens are all expired). Returns how many."""
    deleted, _ = SigningKey.objects.filter(retired_at__lte=timezone.now() - publish_window()).delete()
    return deleted


def jwks() -> dict[str, Any]:
    """The JWK Set of published keys, newest first."""
    return {"keys": [dict(k.public_jwk) for k in published_keys().order_by("-created_at")]}


class _ActiveKeyCache:
    """The signing key, kept in process memory for ``AUTHZ_LOCAL_CACHE_SECONDS``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._value: tuple[float, str, Ed25519PrivateKey] | None = None

    def clear(self) -> None:
        self._value = None

    def get(self) -> tuple[str, Ed25519PrivateKey]:
        value = self._value
        if value is not None and time.monotonic() - value[0] < conf.get("AUTHZ_LOCAL_CACHE_SECONDS"):
            return value[1], value[2]
        with self._lock:
            kid, private = _load_active()
            self._value = (time.monotonic(), kid, private)
            return kid, private


def _load_active() -> tuple[str, Ed25519PrivateKey]:
    for key in SigningKey.objects.filter(retired_at__isnull=True).order_by("-created_at")[:5]:
        try:
            pem = _wrapper().decrypt(bytes(key.private_key_encrypted))
        except InvalidToken:
            continue  # wrapped under a SECRET_KEY this process no longer knows: unusable, skip it
        private = serialization.load_pem_private_key(pem, password=None)
        assert isinstance(private, Ed25519PrivateKey)
        return key.kid, private
    key = create_key()  # first use on a fresh database, or no usable key left
    return _load_active() if key else ("", Ed25519PrivateKey.generate())


_active = _ActiveKeyCache()


def clear_cache() -> None:
    """Forget the cached signing key (the next signature reads the table again)."""
    _active.clear()


def sign(claims: dict[str, Any]) -> str:
    """A compact JWS of ``claims`` signed by the active key, with ``kid`` and ``typ`` in the header."""
    kid, private = _active.get()
    return jwt.encode(claims, private, algorithm=ALGORITHM, headers={"kid": kid, "typ": "at+jwt"})
