"""Access-token verification that needs no database: public keys cached in memory, revocation in Redis.

Used in every process, whether authz is local or remote: the JWKS comes from ``authz_service.get_jwks()``
(a database read locally, an RPC call when authz is elsewhere) and is kept for
``AUTHZ_JWKS_CACHE_SECONDS``; a token naming an unknown ``kid`` triggers a re-fetch at most every
``AUTHZ_JWKS_MIN_REFETCH_SECONDS``, so forged kids cannot make us hammer the key source.
The algorithm is pinned to EdDSA: ``alg: none``, HMAC algorithms and anything else are refused before any
key is looked at.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import threading
import time
import uuid
from collections import OrderedDict
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from apps.authz import conf, revocation
from apps.authz.services.dto import PrincipalData
from apps.authz.services.errors import InvalidTokenError, RevocationCheckUnavailableError
from apps.authz.services.interface import AuthzService

logger = logging.getLogger("gau.authz")

ALGORITHM = "EdDSA"
MAX_TOKEN_LENGTH = 4096
REQUIRED_CLAIMS = ["iss", "aud", "sub", "sid", "jti", "iat", "exp"]


class JwksCache:
    """Public keys by kid, fetched through the authz interface and kept in process memory."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._keys: dict[str, Ed25519PublicKey] = {}
        self._fetched_at = 0.0
        self._attempted_at = 0.0

    def clear(self) -> None:
        with self._lock:
            self._keys, self._fetched_at, self._attempted_at = {}, 0.0, 0.0

    def _refresh(self) -> None:
        self._attempted_at = time.monotonic()
        document = AuthzService.resolve().get_jwks()
        keys: dict[str, Ed25519PublicKey] = {}
        for jwk in document.get("keys", []):
            if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519" or not isinstance(jwk.get("kid"), str):
                continue
            key = jwt.PyJWK(jwk, algorithm=ALGORITHM).key
            if isinstance(key, Ed25519PublicKey):
                keys[jwk["kid"]] = key
        self._keys = keys
        self._fetched_at = self._attempted_at

    def get(self, kid: str) -> Ed25519PublicKey | None:
        """The public key ``kid``, re-fetching the set when stale or when an unknown kid appears (rate-limited)."""
        now = time.monotonic()
        fresh = now - self._fetched_at < conf.get("AUTHZ_JWKS_CACHE_SECONDS")
        key = self._keys.get(kid)
        if key is not None and fresh:
            return key
        if fresh and now - self._attempted_at < conf.get("AUTHZ_JWKS_MIN_REFETCH_SECONDS"):
            return None
        with self._lock:
            if self._keys.get(kid) is None or time.monotonic() - self._fetched_at >= conf.get(
                "AUTHZ_JWKS_CACHE_SECONDS"
            ):
                self._refresh()
            return self._keys.get(kid)


jwks_cache = JwksCache()


class VerifiedTokenCache:
    """Claims of access tokens whose signature and claims were already verified, keyed by the token string.

    A signed token is immutable, so re-verifying it on every request only burns CPU (an Ed25519 check and
    the claim checks, ~0.2-0.5 ms). An entry is kept until the token's ``exp`` plus the leeway (after
    that the token is invalid anyway), at most ``AUTHZ_VERIFIED_TOKEN_CACHE_SIZE`` entries (least
    recently used dropped first), and is only used while its signing key is still in the JWKS cache, so a
    key removed from the JWKS stops its cached tokens too. Revocation is **not** cached: it is checked on
    every request (see :func:`verify_access_token`).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, tuple[dict[str, Any], str, float]] = OrderedDict()

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def get(self, token: str) -> dict[str, Any] | None:
        entry = self._entries.get(token)
        if entry is None:
            return None
        claims, kid, valid_until = entry
        if time.time() >= valid_until or jwks_cache.get(kid) is None:
            with self._lock:
                self._entries.pop(token, None)
            return None
        with self._lock:
            if token in self._entries:
                self._entries.move_to_end(token)
        return claims

    def put(self, token: str, kid: str, claims: dict[str, Any]) -> None:
        size = int(conf.get("AUTHZ_VERIFIED_TOKEN_CACHE_SIZE"))
        if size <= 0:
            return
        valid_until = float(claims["exp"]) + float(conf.get("AUTHZ_LEEWAY"))
        with self._lock:
            self._entries[token] = (claims, kid, valid_until)
            self._entries.move_to_end(token)
            while len(self._entries) > size:
                self._entries.popitem(last=False)


verified_tokens = VerifiedTokenCache()


def _header(token: str) -> dict[str, Any]:
    """The unverified JOSE header, only to pick the key (PyJWT re-validates everything in ``decode``).

    Parsed here rather than with ``jwt.get_unverified_header`` because that validates every segment
    character by character, which doubled the cost of a verification.
    """
    segment = token.split(".", 1)[0]
    try:
        header = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (ValueError, binascii.Error):
        raise InvalidTokenError() from None
    if not isinstance(header, dict):
        raise InvalidTokenError()
    return header


def decode_access_token(access_token: str) -> dict[str, Any]:
    """The verified claims of ``access_token``. Raises :class:`InvalidTokenError` (no revocation check)."""
    if not isinstance(access_token, str) or not access_token or len(access_token) > MAX_TOKEN_LENGTH:
        raise InvalidTokenError()
    cached = verified_tokens.get(access_token)
    if cached is not None:
        return cached
    header = _header(access_token)
    kid = header.get("kid")
    if header.get("alg") != ALGORITHM or not isinstance(kid, str) or header.get("typ") != "at+jwt":
        raise InvalidTokenError()
    key = jwks_cache.get(kid)
    if key is None:
        raise InvalidTokenError()
    try:
        claims: dict[str, Any] = jwt.decode(
            access_token,
            key,
            algorithms=[ALGORITHM],
            audience=conf.get("AUTHZ_AUDIENCE"),
            issuer=conf.get("AUTHZ_ISSUER"),
            leeway=conf.get("AUTHZ_LEEWAY"),
            options={"require": REQUIRED_CLAIMS},
        )
    except jwt.PyJWTError:
        raise InvalidTokenError() from None
    verified_tokens.put(access_token, kid, claims)
    return claims


def verify_access_token(access_token: str) -> PrincipalData:
    """The principal of a valid, unrevoked access token.

    Raises :class:`InvalidTokenError`, or :class:`RevocationCheckUnavailableError` when the revocation store
    is down and ``AUTHZ_REVOCATION_FAIL_OPEN`` is false.
    """
    claims = decode_access_token(access_token)
    try:
        user_id = uuid.UUID(str(claims["sub"]))
        session_id = uuid.UUID(str(claims["sid"]))
        roles = claims.get("roles", [])
        if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
            raise ValueError("roles")
    except (ValueError, TypeError):
        raise InvalidTokenError() from None
    try:
        revoked = revocation.is_revoked(session_id)
    except revocation.RevocationStoreError as exc:
        if not conf.get("AUTHZ_REVOCATION_FAIL_OPEN"):
            raise RevocationCheckUnavailableError(retry_after=5) from None
        logger.warning("revocation store unavailable, accepting token of session %s (fail-open): %s", session_id, exc)
        revoked = False
    if revoked:
        raise InvalidTokenError()
    return PrincipalData(user_id=user_id, kind="user", session_id=session_id, roles=frozenset(roles))
