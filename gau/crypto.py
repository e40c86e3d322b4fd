"""Encryption at rest under a key derived from ``SECRET_KEY`` (with ``SECRET_KEY_FALLBACKS``).

Each use names its own ``salt``/``info`` pair, so the derived keys of two uses are unrelated (HKDF-SHA256,
RFC 5869) and a ciphertext of one use never opens under another. Values are Fernet tokens (AES-128-CBC +
HMAC-SHA256, authenticated); the current SECRET_KEY encrypts, and the fallbacks still decrypt, so rotating
SECRET_KEY with the old value kept in SECRET_KEY_FALLBACKS loses nothing. Once nothing is wrapped under an
old key any more (see :func:`rotate`), it can leave the fallbacks.
"""

from __future__ import annotations

import base64
import functools

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

__all__ = ["DecryptionError", "decrypt", "encrypt", "multi_fernet", "rotate"]


class DecryptionError(Exception):
    """The value was not encrypted under SECRET_KEY or any SECRET_KEY_FALLBACKS entry, or was altered."""


@functools.lru_cache(maxsize=64)
def _fernet_for(secret: str, salt: bytes, info: bytes) -> Fernet:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=info).derive(secret.encode())
    return Fernet(base64.urlsafe_b64encode(derived))


def multi_fernet(*, salt: bytes, info: bytes) -> MultiFernet:
    """Fernet keys for one use: the current SECRET_KEY's first (it encrypts), then each fallback's."""
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return MultiFernet([_fernet_for(s, salt, info) for s in secrets])


def encrypt(data: bytes, *, salt: bytes, info: bytes) -> bytes:
    """``data`` encrypted under the current SECRET_KEY (a URL-safe base64 Fernet token, ASCII)."""
    return multi_fernet(salt=salt, info=info).encrypt(data)


def decrypt(token: bytes, *, salt: bytes, info: bytes) -> bytes:
    """The plaintext of ``token``. Raises :class:`DecryptionError` if no known key opens it."""
    try:
        return multi_fernet(salt=salt, info=info).decrypt(token)
    except InvalidToken:
        raise DecryptionError() from None


def rotate(token: bytes, *, salt: bytes, info: bytes) -> bytes:
    """``token`` re-encrypted under the current SECRET_KEY. Raises :class:`DecryptionError`."""
    try:
        return multi_fernet(salt=salt, info=info).rotate(token)
    except InvalidToken:
        raise DecryptionError() from None
