"""Sign-in with Google, or any OpenID provider found by its discovery URL (authlib client).

Authorization code flow with PKCE (S256), ``state`` (single-use, bound to the browser by a cookie) and
``nonce``; ID tokens are verified against the provider's JWKS with the algorithm pinned to asymmetric
ones, and issuer, audience (our client id), expiry and nonce checked. The provider metadata and keys are
cached for an hour; an unknown ``kid`` refetches the keys once (key rotation).
"""

from __future__ import annotations

import hashlib
from typing import Any

import httpx
from authlib.common.security import generate_token
from authlib.integrations.httpx_client import OAuth2Client
from authlib.jose import JsonWebKey, JsonWebToken
from authlib.jose.errors import JoseError
from authlib.oidc.core import CodeIDToken
from django.conf import settings
from django.core.cache import cache

from apps.account.services.errors import OAuthFailedError, OAuthNotConfiguredError

#: Asymmetric algorithms only: "none" and HMAC (signed with a public key) are never accepted.
ALLOWED_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "ES256", "ES384", "EdDSA"]
STATE_TTL = 600
METADATA_TTL = 3600
SCOPE = "openid email profile"


def _client_settings() -> tuple[str, str, str]:
    url, client_id, secret = (
        settings.GOOGLE_OIDC_DISCOVERY_URL,
        settings.GOOGLE_CLIENT_ID,
        settings.GOOGLE_CLIENT_SECRET,
    )
    if not (url and client_id and secret):
        raise OAuthNotConfiguredError()
    return url, client_id, secret


def _fetch_json(url: str) -> dict[str, Any]:
    try:
        response = httpx.get(url, timeout=5)
        response.raise_for_status()
        data = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise OAuthFailedError(f"The identity provider could not be reached ({type(exc).__name__}).") from None
    if not isinstance(data, dict):
        raise OAuthFailedError("The identity provider answered with something unexpected.")
    return data


def _cache_key(kind: str, url: str) -> str:
    return f"acct:oidc:{kind}:{hashlib.sha256(url.encode()).hexdigest()[:24]}"


def metadata() -> dict[str, Any]:
    """The provider's discovery document (cached)."""
    url, _, _ = _client_settings()
    key = _cache_key("meta", url)
    data: dict[str, Any] | None = cache.get(key)
    if data is None:
        data = _fetch_json(url)
        for field in ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri"):
            if not isinstance(data.get(field), str):
                raise OAuthFailedError(f"The provider's discovery document lacks {field}.")
        cache.set(key, data, METADATA_TTL)
    return data


def _jwks(*, refresh: bool = False) -> dict[str, Any]:
    uri = str(metadata()["jwks_uri"])
    key = _cache_key("jwks", uri)
    data: dict[str, Any] | None = None if refresh else cache.get(key)
    if data is None:
        data = _fetch_json(uri)
        cache.set(key, data, METADATA_TTL)
    return data


def _client(redirect_uri: str | None = None) -> OAuth2Client:
    _, client_id, secret = _client_settings()
    return OAuth2Client(
        client_id=client_id,
        client_secret=secret,
        scope=SCOPE,
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
        timeout=10,
    )


def authorization_url(*, redirect_uri: str, login_hint: str | None = None) -> tuple[str, str]:
    """The provider URL to send the browser to, and the ``state`` to bind to the browser."""
    meta = metadata()
    state, nonce, verifier = generate_token(32), generate_token(32), generate_token(64)
    extra: dict[str, str] = {"nonce": nonce}
    if login_hint:
        extra["login_hint"] = login_hint[:254]
    with _client(redirect_uri) as client:
        url, _ = client.create_authorization_url(
            meta["authorization_endpoint"], state=state, code_verifier=verifier, **extra
        )
    cache.set(
        f"acct:oidc:state:{state}",
        {"nonce": nonce, "verifier": verifier, "redirect_uri": redirect_uri},
        STATE_TTL,
    )
    return str(url), state


def complete(*, code: str, state: str) -> dict[str, Any]:
    """Exchange the code (with the PKCE verifier) and return the verified ID token claims.

    The state is single-use: a replayed callback finds nothing.
    """
    key = f"acct:oidc:state:{state}"
    entry: dict[str, str] | None = cache.get(key)
    if entry is None or not cache.delete(key):
        raise OAuthFailedError("The sign-in attempt expired or was already used; start again.")
    meta = metadata()
    try:
        with _client(entry["redirect_uri"]) as client:
            token = client.fetch_token(
                meta["token_endpoint"],
                grant_type="authorization_code",
                code=code,
                code_verifier=entry["verifier"],
            )
    except Exception as exc:  # authlib raises OAuthError, httpx its own: either way the exchange failed
        raise OAuthFailedError(f"The provider refused the authorization code ({type(exc).__name__}).") from None
    id_token = token.get("id_token")
    if not isinstance(id_token, str):
        raise OAuthFailedError("The provider returned no ID token.")
    return verify_id_token(id_token, nonce=entry["nonce"])


def verify_id_token(id_token: str, *, nonce: str | None = None) -> dict[str, Any]:
    """Verify signature (provider keys, asymmetric algorithms), iss, aud == our client id, exp, iat, nonce."""
    _, client_id, _ = _client_settings()
    meta = metadata()
    options = {
        "iss": {"essential": True, "value": meta["issuer"]},
        "aud": {"essential": True, "value": client_id},
        "sub": {"essential": True},
        "exp": {"essential": True},
        "iat": {"essential": True},
    }
    decoder = JsonWebToken(ALLOWED_ALGORITHMS)
    claims: Any = None
    for refresh in (False, True):
        try:
            keys = JsonWebKey.import_key_set(_jwks(refresh=refresh))
            claims = decoder.decode(
                id_token,
                keys,
                claims_cls=CodeIDToken,
                claims_options=options,
                claims_params={"nonce": nonce, "client_id": client_id},
            )
            break
        except (JoseError, ValueError) as exc:
            if refresh or "kid" not in str(exc).lower():
                raise OAuthFailedError(f"The ID token is not valid ({type(exc).__name__}).") from None
    try:
        claims.validate(leeway=int(getattr(settings, "ACCOUNT_OIDC_LEEWAY", 60)))
    except JoseError as exc:
        raise OAuthFailedError(f"The ID token is not valid ({exc.error}).") from None
    if isinstance(claims.get("aud"), list) and claims.get("azp") not in (None, client_id):
        raise OAuthFailedError("The ID token was issued to another client.")
    return dict(claims)
