"""Access JWTs: claims, and every tampering case refused (verification pins EdDSA and the key by kid)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from apps.authz.services import InvalidTokenError, PrincipalData, authz_service

pytestmark = pytest.mark.django_db


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def segments(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    header, payload, _ = token.split(".")

    def pad(s: str) -> str:
        return s + "=" * (-len(s) % 4)

    return json.loads(base64.urlsafe_b64decode(pad(header))), json.loads(base64.urlsafe_b64decode(pad(payload)))


def raw_token(header: dict[str, Any], claims: dict[str, Any], signature: bytes = b"") -> str:
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"
    return f"{signing_input}.{b64(signature)}"


def refused(token: str) -> None:
    with pytest.raises(InvalidTokenError) as caught:
        authz_service.authenticate_token(access_token=token)
    assert caught.value.code == "authz.invalid_token"


def test_issued_token_carries_the_agreed_claims(user_id: uuid.UUID) -> None:
    pair = authz_service.issue_tokens(user_id=user_id, user_agent="pytest", ip="203.0.113.9")
    header, claims = segments(pair.access_token)
    assert header["alg"] == "EdDSA"
    assert header["kid"] == authz_service.get_jwks()["keys"][0]["kid"]
    assert set(claims) >= {"iss", "aud", "sub", "sid", "jti", "iat", "exp", "roles"}
    assert claims["sub"] == str(user_id)
    assert claims["sid"] == str(pair.session_id)
    assert claims["exp"] - claims["iat"] == 600 == pair.expires_in
    assert claims["roles"] == ["user"]
    assert pair.token_type == "Bearer"
    assert pair.refresh_token.startswith("gau_rt_")
    principal = authz_service.authenticate_token(access_token=pair.access_token)
    assert principal == PrincipalData(
        user_id=user_id, kind="user", session_id=pair.session_id, roles=frozenset({"user"})
    )


def test_jwks_publishes_only_public_material(user_id: uuid.UUID) -> None:
    authz_service.issue_tokens(user_id=user_id)
    (jwk,) = authz_service.get_jwks()["keys"]
    assert set(jwk) == {"kty", "crv", "x", "kid", "alg", "use"}
    assert (jwk["kty"], jwk["crv"], jwk["alg"], jwk["use"]) == ("OKP", "Ed25519", "EdDSA", "sig")


def _valid_claims(user_id: uuid.UUID) -> tuple[dict[str, Any], dict[str, Any]]:
    pair = authz_service.issue_tokens(user_id=user_id)
    return segments(pair.access_token)


def test_alg_none_is_refused(user_id: uuid.UUID) -> None:
    header, claims = _valid_claims(user_id)
    refused(raw_token({**header, "alg": "none"}, claims))
    refused(raw_token({**header, "alg": "None"}, claims))


def test_hs256_signed_with_the_public_key_is_refused(user_id: uuid.UUID) -> None:
    header, claims = _valid_claims(user_id)
    jwk = authz_service.get_jwks()["keys"][0]
    forged_header = {**header, "alg": "HS256"}
    signing_input = f"{b64(json.dumps(forged_header).encode())}.{b64(json.dumps(claims).encode())}".encode()
    for secret in (jwk["x"].encode(), base64.urlsafe_b64decode(jwk["x"] + "="), json.dumps(jwk).encode()):
        signature = hmac.new(secret, signing_input, hashlib.sha256).digest()
        refused(raw_token(forged_header, claims, signature))


def test_wrong_or_missing_kid_is_refused(user_id: uuid.UUID) -> None:
    _, claims = _valid_claims(user_id)
    attacker = Ed25519PrivateKey.generate()
    refused(jwt.encode(claims, attacker, algorithm="EdDSA", headers={"kid": "not-a-key-of-ours", "typ": "at+jwt"}))
    refused(jwt.encode(claims, attacker, algorithm="EdDSA", headers={"typ": "at+jwt"}))


def test_our_kid_with_another_key_is_refused(user_id: uuid.UUID) -> None:
    header, claims = _valid_claims(user_id)
    attacker = Ed25519PrivateKey.generate()
    refused(jwt.encode(claims, attacker, algorithm="EdDSA", headers={"kid": header["kid"], "typ": "at+jwt"}))


def test_modified_claims_break_the_signature(user_id: uuid.UUID) -> None:
    pair = authz_service.issue_tokens(user_id=user_id)
    header_b64, _, sig = pair.access_token.split(".")
    _, claims = segments(pair.access_token)
    claims["roles"] = ["admin"]
    refused(f"{header_b64}.{b64(json.dumps(claims).encode())}.{sig}")


@pytest.mark.parametrize(
    ("change", "value"),
    [("iss", "https://evil.example"), ("aud", "another-api"), ("exp", -3600), ("nbf", 3600), ("iat", 3600)],
)
def test_wrong_issuer_audience_or_time_is_refused(user_id: uuid.UUID, change: str, value: Any) -> None:
    """Signed with our real key (the signer is not the problem): the claims are."""
    from apps.authz import keys

    _, claims = _valid_claims(user_id)
    now = int(time.time())
    claims[change] = now + value if isinstance(value, int) else value
    if change == "exp":
        claims["iat"] = claims["nbf"] = now - 7200
    refused(keys.sign(claims))


@pytest.mark.parametrize("missing", ["sid", "sub", "jti", "exp", "iss", "aud"])
def test_tokens_missing_a_required_claim_are_refused(user_id: uuid.UUID, missing: str) -> None:
    from apps.authz import keys

    _, claims = _valid_claims(user_id)
    del claims[missing]
    refused(keys.sign(claims))


def test_garbage_is_refused() -> None:
    for token in ("", "abc", "a.b.c", "x" * 5000, "eyJhbGciOiJFZERTQSJ9..", "Bearer x"):
        refused(token)
