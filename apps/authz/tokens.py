"""Opaque refresh tokens and access-token claims.

Refresh tokens are 256-bit random strings, stored only as SHA-256 digests (they carry enough entropy that
a slow hash adds nothing). A rotated token's successor is derived from it with HMAC under a key from
``SECRET_KEY``: so within the grace window a replay of the old token yields the very same successor,
without the successor ever being stored in clear.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import uuid
from datetime import datetime
from typing import Any

from django.conf import settings

from apps.authz import conf

REFRESH_PREFIX = "gau_rt_"
API_KEY_PREFIX = "gau_ak_"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def digest(token: str) -> str:
    """The stored form of a refresh token or API key."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_refresh_token() -> str:
    return REFRESH_PREFIX + secrets.token_urlsafe(32)


def successor(token: str) -> str:
    """The refresh token that replaces ``token`` when it is rotated (deterministic, unguessable)."""
    key = hashlib.sha256(b"gau.authz.refresh-successor:" + settings.SECRET_KEY.encode()).digest()
    return REFRESH_PREFIX + _b64url(hmac.new(key, token.encode(), hashlib.sha256).digest())


def new_api_key() -> str:
    return API_KEY_PREFIX + secrets.token_urlsafe(32)


def api_key_prefix(key: str) -> str:
    """The visible part of an API key (shown in lists so the owner can tell keys apart)."""
    return key[: len(API_KEY_PREFIX) + 6]


def access_claims(
    *, user_id: uuid.UUID, session_id: uuid.UUID, roles: frozenset[str], issued_at: datetime, seed: str
) -> dict[str, Any]:
    """Claims of an access token. ``seed`` (the refresh token it is issued with) fixes ``jti``, so a replay
    within the grace window produces the same token."""
    iat = int(issued_at.timestamp())
    return {
        "iss": conf.get("AUTHZ_ISSUER"),
        "aud": conf.get("AUTHZ_AUDIENCE"),
        "sub": str(user_id),
        "sid": str(session_id),
        "jti": str(uuid.UUID(bytes=hashlib.sha256(b"jti:" + seed.encode()).digest()[:16], version=4)),
        "iat": iat,
        "nbf": iat,
        "exp": iat + int(conf.get("AUTHZ_ACCESS_TOKEN_LIFETIME")),
        "roles": sorted(roles),
    }
