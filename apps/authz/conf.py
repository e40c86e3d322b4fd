"""authz settings with their defaults; each can be overridden by a Django setting of the same name."""

from __future__ import annotations

from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    #: Lifetime of an access JWT, seconds.
    "AUTHZ_ACCESS_TOKEN_LIFETIME": 600,
    #: Absolute lifetime of a session (and so of its refresh tokens), seconds.
    "AUTHZ_SESSION_LIFETIME": 30 * 24 * 3600,
    #: Seconds during which a just-rotated refresh token may be replayed to get the same new pair (0: strict).
    "AUTHZ_REFRESH_GRACE_SECONDS": 0,
    #: ``iss`` and ``aud`` of access tokens: the same in every process of a deployment.
    "AUTHZ_ISSUER": "gau-authz",
    "AUTHZ_AUDIENCE": "gau-api",
    #: Clock skew tolerated when checking exp/nbf/iat, seconds.
    "AUTHZ_LEEWAY": 10,
    #: Cache alias holding the revoked-session set (Redis in production).
    "AUTHZ_REVOCATION_CACHE": "default",
    #: Keep the revoked-session set in each process, current through a Redis subscription (no round trip
    #: per request; see apps/authz/revocation.py). Only with a Redis cache; otherwise one GET per check.
    "AUTHZ_REVOCATION_SUBSCRIBE": True,
    #: The subscription pings Redis this often; the in-memory set is trusted only while a pong or a
    #: message arrived within AUTHZ_REVOCATION_STALE_SECONDS (else: direct GET, failing closed).
    "AUTHZ_REVOCATION_PING_SECONDS": 0.5,
    "AUTHZ_REVOCATION_STALE_SECONDS": 1.5,
    #: What to do when that cache cannot be reached: False refuses bearer tokens with 503 (fail closed).
    "AUTHZ_REVOCATION_FAIL_OPEN": False,
    #: How long a process keeps the JWKS in memory, and the least time between two forced re-fetches.
    "AUTHZ_JWKS_CACHE_SECONDS": 300,
    "AUTHZ_JWKS_MIN_REFETCH_SECONDS": 5,
    #: Verified access tokens remembered per process (signature and claims are not re-checked until
    #: their exp; revocation still is, on every request). 0 turns the cache off.
    "AUTHZ_VERIFIED_TOKEN_CACHE_SIZE": 10_000,
    #: How long a process keeps the active signing key and the role -> permissions table, seconds.
    "AUTHZ_LOCAL_CACHE_SECONDS": 60,
    #: An API key's last_used_at is written at most this often, seconds.
    "AUTHZ_API_KEY_TOUCH_SECONDS": 60,
    #: Live sessions a user may hold; a new sign-in beyond it ends the least recently used (reason
    #: "session_limit"). Bounds the session list (GET account/sessions is one unpaginated page).
    "AUTHZ_MAX_SESSIONS_PER_USER": 50,
}


def get(name: str) -> Any:
    """The value of setting ``name`` (``AUTHZ_*``), falling back to its default."""
    return getattr(settings, name, DEFAULTS[name])
